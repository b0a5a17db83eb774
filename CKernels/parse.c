// Number parsing for the CSV reader: strtod on a bounded, NUL-terminated copy.
#include "CKernels.h"

#include <stdlib.h>
#include <string.h>

int emz_parse_double(const char *text, size_t len, double *out) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) {
    if (len == 0) return 0;
    char *big = malloc(len + 1);
    if (!big) return 0;
    memcpy(big, text, len);
    big[len] = 0;
    char *end = NULL;
    *out = strtod(big, &end);
    int ok = (end == big + len);
    free(big);
    return ok;
  }
  memcpy(buf, text, len);
  buf[len] = 0;
  char *end = NULL;
  *out = strtod(buf, &end);
  return end == buf + len;
}
