// Removing a half-written temporary output file when the process is interrupted.
//
// The path lives in a static buffer filled before the file is created, so the signal
// handler only calls async-signal-safe functions (unlink, signal, raise).
#include "CKernels.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static char guarded_path[4096];
static volatile sig_atomic_t guarded = 0;

static void remove_and_reraise(int sig) {
  if (guarded) unlink(guarded_path);
  guarded = 0;
  signal(sig, SIG_DFL);
  raise(sig);
}

int emz_output_guard_install(void) {
  static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
    // A signal the user ignores (nohup: SIGHUP) stays ignored.
    struct sigaction current;
    if (sigaction(signals[i], NULL, &current) == 0 && current.sa_handler == SIG_IGN) continue;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = remove_and_reraise;
    sigemptyset(&action.sa_mask);
    if (sigaction(signals[i], &action, NULL) != 0) return -1;
  }
  return 0;
}

int emz_output_guard_set(const char *path) {
  size_t n = strlen(path);
  if (n >= sizeof guarded_path) return -1;
  guarded = 0;
  memcpy(guarded_path, path, n + 1);
  guarded = 1;
  return 0;
}

void emz_output_guard_clear(void) { guarded = 0; }
