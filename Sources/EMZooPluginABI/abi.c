// The ABI is the header alone; this file exists because a C target needs a source file, and
// checks that the header compiles as C on its own.
#include "emzoo_plugin.h"

_Static_assert(EMZOO_PLUGIN_ABI_VERSION == 1, "emzoo reads ABI version 1");
