// CSV parsing for numeric tables: one pass over the bytes, no allocation per field.
#include "CKernels.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double powers_of_ten[] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/// Clinger's fast path: a decimal with at most 19 significant digits whose mantissa is
/// below 2⁵³ and whose power of ten is at most 22 in magnitude is m·10ᵉ or m/10⁻ᵉ with
/// both operands exact, so one correctly rounded operation gives the correctly rounded
/// result. Anything else goes to strtod.
static int parse_fast(const char *s, size_t len, double *out) {
  size_t i = 0;
  int negative = 0;
  if (i < len && (s[i] == '-' || s[i] == '+')) { negative = s[i] == '-'; i++; }
  uint64_t mantissa = 0;
  int digits = 0, exponent = 0, any = 0;
  while (i < len && s[i] >= '0' && s[i] <= '9') {
    any = 1;
    if (mantissa || s[i] != '0') {
      if (++digits > 19) return -1;
      mantissa = mantissa * 10 + (uint64_t)(s[i] - '0');
    }
    i++;
  }
  if (i < len && s[i] == '.') {
    i++;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
      any = 1;
      if (mantissa || s[i] != '0') {
        if (++digits > 19) return -1;
        mantissa = mantissa * 10 + (uint64_t)(s[i] - '0');
      }
      exponent--;
      i++;
    }
  }
  if (!any) return -1;
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    int eneg = 0, e = 0, edigits = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) { eneg = s[i] == '-'; i++; }
    while (i < len && s[i] >= '0' && s[i] <= '9') {
      if (e < 10000) e = e * 10 + (s[i] - '0');
      edigits++;
      i++;
    }
    if (!edigits) return -1;
    exponent += eneg ? -e : e;
  }
  if (i != len) return -1;
  if (mantissa <= (1ULL << 53) && exponent >= -22 && exponent <= 22) {
    double v = (double)mantissa;
    v = exponent < 0 ? v / powers_of_ten[-exponent] : v * powers_of_ten[exponent];
    *out = negative ? -v : v;
    return 1;
  }
#if defined(__x86_64__) && LDBL_MANT_DIG == 64
  // Up to 19 digits (what repr() and Swift print): x87 extended precision holds the mantissa
  // and 10^|e| ≤ 10^27 exactly, so one extended operation is within half an extended ulp
  // of the true value. Rounding that to double is then correct unless it sits next to a
  // halfway point between two doubles (low 11 of its 64 significand bits near 0x400);
  // those rare cases go to strtod.
  if (mantissa != 0 && exponent >= -27 && exponent <= 27) {
    long double m = (long double)mantissa, p = 1;
    for (int e = exponent < 0 ? -exponent : exponent; e > 0; e--) p *= 10;
    long double r = exponent < 0 ? m / p : m * p;
    uint64_t significand;
    memcpy(&significand, &r, sizeof significand);
    uint64_t low = significand & 0x7FF;
    if (low < 0x3FF || low > 0x401) {
      double v = (double)r;
      *out = negative ? -v : v;
      return 1;
    }
  }
#endif
  return -1;
}

int emz_parse_double(const char *text, size_t len, double *out) {
  if (len == 0) return 0;
  int fast = parse_fast(text, len, out);
  if (fast == 1) return 1;
  // strtod also reads hexadecimal ("0x10"), "infinity" and "nan(...)": only decimal text here.
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
      if (!(len == 3 && (text[0] | 0x20) == 'i') && !(len == 4 && (text[1] | 0x20) == 'i')) return 0;
    }
  }
  char buf[64];
  char *copy = len < sizeof buf ? buf : malloc(len + 1);
  if (!copy) return 0;
  memcpy(copy, text, len);
  copy[len] = 0;
  char *end = NULL;
  *out = strtod(copy, &end);
  int ok = (end == copy + len) && len > 0 && copy[0] != ' ' && copy[0] != '\t';
  if (copy != buf) free(copy);
  return ok;
}

static inline int is_missing(const char *s, size_t len) {
  if (len == 0) return 1;
  if (len == 2) return s[0] == 'N' && s[1] == 'A';
  if (len == 3) return (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'a' && (s[2] | 0x20) == 'n';
  return 0;
}

size_t emz_csv_parse(const char *buf, size_t len, int final, size_t fields, const int32_t *slots,
                     size_t columns, int32_t sequence_field, int32_t latent_field,
                     emz_csv_state *state, double *values, double *latent,
                     uint8_t *sequence_starts, size_t capacity, size_t *rows) {
  size_t pos = 0, row = 0;
  state->error = 0;
  while (pos < len && row < capacity) {
    const char *end = memchr(buf + pos, '\n', len - pos);
    if (!end && !final) break;  // an incomplete last line waits for more bytes
    size_t line_end = end ? (size_t)(end - buf) : len;
    size_t next = end ? line_end + 1 : len;
    size_t stop = line_end;
    if (stop > pos && buf[stop - 1] == '\r') stop--;
    if (stop == pos) {
      // A blank line: fine at the end of the file, an error before another row.
      if (!state->pending_blank_line) {
        state->pending_blank_line = 1;
        state->blank_row = state->rows_total + row;
      }
      pos = next;
      continue;
    }
    if (state->pending_blank_line) {
      state->error = EMZ_CSV_EMPTY_LINE;
      state->error_row = state->blank_row;
      break;
    }
    double *out = values + row * columns;
    size_t field = 0, start = pos;
    for (size_t i = pos;; i++) {
      if (i == stop || buf[i] == ',') {
        size_t a = start, b = i;
        while (a < b && (buf[a] == ' ' || buf[a] == '\t')) a++;
        while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t')) b--;
        if (b - a >= 2 && buf[a] == '"' && buf[b - 1] == '"') { a++; b--; }
        if (field < fields) {
          int32_t slot = slots[field];
          if (slot >= 0) {
            double v;
            if (is_missing(buf + a, b - a)) {
              out[slot] = NAN;
            } else if (!emz_parse_double(buf + a, b - a, &v)) {
              if (state->text_rows && state->number_rows && state->number_rows[field] < 0) {
                // Text before any number: the column may be a text column (decided by the
                // caller over the whole file); a number after this is the error.
                if (state->text_rows[field] < 0) state->text_rows[field] = (int64_t)(state->rows_total + row);
                out[slot] = NAN;
              } else {
                state->error = EMZ_CSV_NOT_A_NUMBER;
              }
            } else if (!isfinite(v)) {
              state->error = EMZ_CSV_NOT_FINITE;
            } else if (state->text_rows && state->number_rows && state->text_rows[field] >= 0) {
              state->error = EMZ_CSV_NUMBER_AFTER_TEXT;
            } else {
              out[slot] = v;
              if (state->number_rows && state->number_rows[field] < 0)
                state->number_rows[field] = (int64_t)(state->rows_total + row);
            }
            if (state->error) {
              state->error_row = state->rows_total + row;
              state->error_field = field;
              break;
            }
          }
          if ((int32_t)field == sequence_field) {
            size_t n = b - a;
            // Ids of any length: the previous id lives in the inline buffer or, when longer,
            // in a heap buffer that grows as needed (freed by emz_csv_state_free).
            char *previous = state->long_sequence ? state->long_sequence : state->sequence;
            int same = state->has_sequence && n == state->sequence_length && memcmp(previous, buf + a, n) == 0;
            sequence_starts[row] = (uint8_t)!same;
            state->has_sequence = 1;
            if (!same) {
              if (n > sizeof state->sequence && n > state->long_capacity) {
                char *grown = realloc(state->long_sequence, n);
                if (!grown) {
                  state->error = EMZ_CSV_NOT_A_NUMBER;
                  state->error_row = state->rows_total + row;
                  state->error_field = field;
                  break;
                }
                state->long_sequence = grown;
                state->long_capacity = n;
              }
              char *target = n > sizeof state->sequence ? state->long_sequence : state->sequence;
              if (target == state->sequence && state->long_sequence) {
                free(state->long_sequence);
                state->long_sequence = NULL;
                state->long_capacity = 0;
              }
              memcpy(target, buf + a, n);
              state->sequence_length = n;
            }
          }
          if ((int32_t)field == latent_field) {
            double v;
            latent[row] = emz_parse_double(buf + a, b - a, &v) ? v : NAN;
          }
        }
        field++;
        if (i == stop) break;
        start = i + 1;
      }
    }
    if (state->error) break;
    if (field != fields) {
      state->error = EMZ_CSV_FIELD_COUNT;
      state->error_row = state->rows_total + row;
      state->error_field = field;
      break;
    }
    row++;
    pos = next;
  }
  *rows = row;
  state->rows_total += row;
  return pos;
}

void emz_csv_state_free(emz_csv_state *state) {
  free(state->long_sequence);
  state->long_sequence = NULL;
  state->long_capacity = 0;
}
