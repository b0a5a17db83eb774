// Declarations only: libFuzzer itself comes from -sanitize=fuzzer.
#include "FuzzDriver.h"
