/*
 * emzoo_plugin.h — the stable C ABI of an emzoo emission family, version 1.
 *
 * A plugin is a shared library (`cc -shared -fPIC -O2 -I<dir of this header> f.c -o libf.so`)
 * that exports one function,
 *
 *     const emzoo_family_v1 *emzoo_plugin_family(void);
 *
 * returning a pointer to a static, immutable description of one emission family: its name,
 * its parameter blocks and eight functions (the E step's log-density and statistics, the M
 * step, sampling, and a little bookkeeping). The installed `emzoo` loads it at run time with
 *
 *     emzoo --plugin ./libf.so <command> ...        (or --plugin=./libf.so; repeatable)
 *     EMZOO_PLUGINS=./libf.so:./libg.so emzoo <command> ...
 *
 * and registers the family under `name`: it is then the mixture kind `<name>-mixture` and the
 * HMM emission `"emission": "<name>"`, in every command (list, sample, fit, check, run,
 * decode), and in `impute` when it gives the optional `conditional_mean`.
 *
 * -------------------------------------------------------------------------------------------
 * Model. A family describes K components (or HMM states) over rows of d numbers. Component k
 * has parameters θₖ; the family gives log f(x | θₖ) (every constant included, so emzoo's
 * log-likelihood is the true one), sufficient statistics that *add* over rows, and the M step
 * θₖ = argmax Σᵢ wᵢₖ log f(xᵢ | θₖ) from the summed statistics.
 *
 * Parameters. θ is declared as an ordered list of named blocks. Block b has P_b numbers per
 * component: d when `per_dimension` is nonzero, else `length`. In a spec, block "rates" is
 * the K×P_b matrix `parameters.rates`. emzoo reads and validates it (shape and `constraint`;
 * a bad entry is exit status 2 naming the field and entry) and passes *all* parameters to C
 * as one flat array of K·ΣP_b doubles: block 0 as a row-major K×P_0 matrix, then block 1,
 * and so on. So component k's entry j of block b is
 *
 *     params[K·(P_0 + … + P_{b−1}) + k·P_b + j].
 *
 * Data. x is a row-major matrix of `rows` rows of d doubles. A missing entry is NaN; the
 * family must marginalise it out (score and count only the observed entries). emzoo checks
 * every observed value with `validate_value` before any work.
 *
 * Statistics. S = statistics_per_component(d) doubles per component, K blocks of S, added
 * over rows (so emzoo sums them per chunk of rows and then in a fixed chunk order). Entry 0
 * of each block must be the component's total weight Σᵢ wᵢₖ.
 *
 * -------------------------------------------------------------------------------------------
 * Threading and determinism. Every function may be called from several threads at once, on
 * different rows and different output buffers, with the same `params`. Functions must be
 * re-entrant: all state comes through the arguments; no static or global mutable state, no
 * `rand()`, no `strtok`, no locale changes, no writing to stdout/stderr. The result of each
 * call must depend only on its arguments (bit for bit, including across calls and threads):
 * that is what makes emzoo's results byte-identical for every `--threads`. Randomness comes
 * only from the `emzoo_rng_v1` passed to `sample`.
 *
 * Memory and ownership. All pointers passed to a function are owned by emzoo, valid for the
 * duration of the call only, and must not be retained. Output buffers are allocated by emzoo
 * at the documented sizes. The `emzoo_family_v1` structure, its blocks and strings are owned by
 * the plugin and must stay valid and unchanged while the library is loaded (emzoo never
 * unloads a plugin). Plugins must not allocate memory they do not free within the call.
 *
 * Errors. Every function but the three bookkeeping ones returns an int status: 0 for
 * success, anything else for failure. On failure it should write a short one-line,
 * NUL-terminated message (no newline, at most `error_size` bytes including the NUL, e.g. with
 * `snprintf(error, error_size, ...)`) into `error`, a per-call buffer that emzoo zeroes before
 * the call (EMZOO_ERROR_SIZE bytes). emzoo then reports `emzoo: plugin <name>: <function>:
 * <message>` as ONE line on stderr and exits with status 2 (bad input: the plugin is part of
 * the input). `check_parameters` failures on a spec's parameters name the spec file. Never
 * call exit(), abort() or print from a plugin.
 *
 * Versioning. EMZOO_PLUGIN_ABI_VERSION is bumped for any incompatible change (a field
 * removed, reordered or retyped, a changed meaning). `abi_version` is the first member of
 * every version's structure, so emzoo reads it before anything else and refuses a mismatch
 * with exit status 2 ("plugin ABI version 2, emzoo supports 1"). A plugin sets `abi_version`
 * to EMZOO_PLUGIN_ABI_VERSION of the header it was compiled with and `struct_size` to
 * sizeof(emzoo_family_v1); compatible additions are appended at the end of the structure
 * and recognised by a larger `struct_size` (the first: `conditional_mean`). emzoo reads only
 * the plugin's `struct_size` bytes and treats a member beyond them as NULL.
 */
#ifndef EMZOO_PLUGIN_H
#define EMZOO_PLUGIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. */
#define EMZOO_PLUGIN_ABI_VERSION 1

/** The name of the function every plugin exports (see `emzoo_plugin_family`). */
#define EMZOO_PLUGIN_ENTRY_POINT "emzoo_plugin_family"

/** Size in bytes of the error buffer emzoo passes to every fallible function. */
#define EMZOO_ERROR_SIZE 256

/* Constraints on a parameter block's entries, checked by emzoo when it reads a spec and after
 * every `maximize`. Every entry must be finite in addition. */
/** Any finite number. */
#define EMZOO_REAL 0
/** A finite number > 0. */
#define EMZOO_POSITIVE 1
/** A number in [0, 1]. Use `check_parameters` to exclude an end point. */
#define EMZOO_PROBABILITY 2
/** A finite number >= 0. */
#define EMZOO_NONNEGATIVE 3

/** One named parameter block: a K×P matrix in a spec, P = d or `length`. */
typedef struct emzoo_block_v1 {
  /** The spec key under `parameters`, e.g. "rates"; must not be "weights", "initial" or
   *  "transition" (the mixture's and the HMM's own). */
  const char *name;
  /** Nonzero: d numbers per component (one per data column); zero: `length` numbers. */
  int per_dimension;
  /** Numbers per component when `per_dimension` is zero (>= 1); ignored otherwise. */
  int length;
  /** One of EMZOO_REAL, EMZOO_POSITIVE, EMZOO_PROBABILITY, EMZOO_NONNEGATIVE. */
  int constraint;
} emzoo_block_v1;

/** emzoo's seeded random stream (GSL's MT19937), for `sample` only. */
typedef struct emzoo_rng_v1 {
  /** A uniform draw on [0, 1); never 1. */
  double (*uniform)(void *state);
  /** A standard normal draw, N(0, 1). */
  double (*gaussian)(void *state);
  /** Pass to the two functions above; opaque. */
  void *state;
} emzoo_rng_v1;

/** One emission family. Every function pointer is required unless marked optional. */
typedef struct emzoo_family_v1 {
  /** EMZOO_PLUGIN_ABI_VERSION; the first member in every ABI version. */
  int abi_version;
  /** sizeof(emzoo_family_v1) as the plugin was compiled. */
  size_t struct_size;

  /** The family's name: the HMM's `"emission"` value and the mixture kind `<name>-mixture`.
   *  Letters, digits, '-' and '_' only; must not clash with a family already registered. */
  const char *name;
  /** One line for `emzoo list`. */
  const char *summary;
  /** What one observed data value must be, for error messages: "a non-negative integer". */
  const char *value_description;

  /** 0: any number of data columns (d comes from the data, else from the first per-dimension
   *  block of the spec's parameters); > 0: exactly this many columns. */
  int dimension;

  /** The parameter blocks, in the order of the flat parameter array. */
  const emzoo_block_v1 *blocks;
  /** How many blocks (>= 1). */
  int block_count;

  /** S, the statistics per component for d columns (>= 1; entry 0 is Σ w). */
  int (*statistics_per_component)(int d);

  /** Free parameters of K components with d columns (for AIC and BIC), excluding the
   *  mixture's weights or the HMM's transition matrix. */
  int (*free_parameter_count)(int K, int d);

  /** Nonzero when `x` (an observed, non-NaN data value) is in the family's support. */
  int (*validate_value)(double x);

  /** Writes some valid parameters of K components (K·ΣP doubles) into `out`: the starting point
   *  that emzoo moves components onto rows from (with `reseed`). */
  int (*initial)(int K, int d, double *out, char *error, size_t error_size);

  /** Optional (NULL: every value meeting the blocks' constraints is valid). Returns nonzero
   *  with a message when `params` are not usable (e.g. a probability of 0 where the density
   *  needs log p). Called on a spec's parameters and before every E step. */
  int (*check_parameters)(const double *params, int K, int d, char *error, size_t error_size);

  /** out[i·K + k] = log f(xᵢ | θₖ) for i < rows, every constant included; missing (NaN) entries
   *  of xᵢ are marginalised out (a row with nothing observed scores 0). -INFINITY is allowed
   *  (x impossible under θₖ); NaN is not. */
  int (*log_density)(const double *params, int K, int d, const double *x, size_t rows,
                     double *out, char *error, size_t error_size);

  /** Adds the statistics of `rows` rows weighted by weights[i·K + k] (>= 0) into stats
   *  (K blocks of S doubles, stats[k·S + 0] += Σᵢ weights[i·K + k]). `params` are those the
   *  weights were computed at (a centring point for accurate sums; most families ignore it).
   *  Never overwrite: emzoo sums partial statistics of several calls. */
  int (*accumulate)(const double *params, int K, int d, const double *x, size_t rows,
                    const double *weights, double *stats, char *error, size_t error_size);

  /** The M step: writes θ maximising Σᵢ wᵢₖ log f(xᵢ | θₖ) from the summed statistics (K blocks
   *  of S) into `out` (K·ΣP doubles). `out` arrives holding a copy of `previous` (the parameters
   *  the statistics were computed at), so a component or entry with no weight can keep its
   *  value. Results must meet the blocks' constraints. */
  int (*maximize)(const double *stats, int K, int d, const double *previous, double *out,
                  char *error, size_t error_size);

  /** Draws one row (d values, none NaN) from component k (0 <= k < K) into `row`, using only
   *  `rng` for randomness. */
  int (*sample)(const double *params, int K, int d, int k, const emzoo_rng_v1 *rng,
                double *row, char *error, size_t error_size);

  /** Moves component k onto data row `row` (d values, some possibly NaN): changes only
   *  component k's entries of `params` (K·ΣP doubles, in and out), e.g. a mean set to the row.
   *  emzoo uses it to start components and to repair a component that lost all its weight. */
  int (*reseed)(double *params, int K, int d, int k, const double *row,
                char *error, size_t error_size);

  /* Appended to version 1 (read only when `struct_size` covers it, so a plugin compiled with
   * an older header, whose structure ends above, still loads). */

  /** Optional (NULL, or absent from an older plugin: `emzoo impute` refuses the family with
   *  exit status 2). out[(i·K + k)·d + j] = E[xᵢⱼ | component k, the observed entries of row i]
   *  for every missing (NaN) entry j of each row i < rows; emzoo ignores `out` at observed
   *  entries. With columns independent given the component this is component k's mean of
   *  column j, whatever the row holds. emzoo imputes a mixture's missing entry by
   *  Σₖ p(k | observed entries) out[…k…] and an HMM's by Σₖ p(state k | sequence) out[…k…]. */
  int (*conditional_mean)(const double *params, int K, int d, const double *x, size_t rows,
                          double *out, char *error, size_t error_size);
} emzoo_family_v1;

/** Marks the entry point exported even when a plugin is built with -fvisibility=hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define EMZOO_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define EMZOO_PLUGIN_EXPORT
#endif

/** The entry point a plugin exports: its family, a pointer to static storage. Called once,
 *  from one thread, right after loading. */
EMZOO_PLUGIN_EXPORT const emzoo_family_v1 *emzoo_plugin_family(void);

#ifdef __cplusplus
}
#endif

#endif /* EMZOO_PLUGIN_H */
