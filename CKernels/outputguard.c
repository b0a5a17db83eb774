// Removing a half-written temporary output file when the process is interrupted, and a clean
// exit when a memory-mapped input file is truncated under the fit.
//
// The path and the messages live in static buffers filled before they are needed, so the
// signal handlers only call async-signal-safe functions (unlink, signal, raise, write, _exit).
#include "CKernels.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
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

// MARK: - Mapped input files

#define EMZ_MAPPED_SLOTS 64

/// A registered mapping: `used` is set after the range and the message are written, and
/// cleared before the slot is reused, so the handler never reads a half-written slot.
static struct {
  volatile sig_atomic_t used;
  uintptr_t start, end;
  char message[512];
} mapped[EMZ_MAPPED_SLOTS];

static void mapped_fault(int sig, siginfo_t *info, void *context) {
  (void)context;
  const uintptr_t at = (uintptr_t)info->si_addr;
  for (int s = 0; s < EMZ_MAPPED_SLOTS; s++) {
    if (!mapped[s].used || at < mapped[s].start || at >= mapped[s].end) continue;
    // Several threads of an E step fault at once: the first reports and exits, the others
    // wait for the exit, so the message is one line.
    static volatile int reporting = 0;
    if (__atomic_exchange_n(&reporting, 1, __ATOMIC_SEQ_CST))
      for (;;) pause();
    if (guarded) unlink(guarded_path);
    static const char prefix[] = "emzoo: ";
    ssize_t ignored = write(STDERR_FILENO, prefix, sizeof prefix - 1);
    ignored = write(STDERR_FILENO, mapped[s].message, strlen(mapped[s].message));
    ignored = write(STDERR_FILENO, "\n", 1);
    (void)ignored;
    _exit(2);
  }
  // Not a mapped input: a fault of the program's own, with its default action.
  signal(sig, SIG_DFL);
  raise(sig);
}

static pthread_mutex_t mapped_lock = PTHREAD_MUTEX_INITIALIZER;

int emz_mapped_guard_add(const void *start, size_t length, const char *message) {
  static int installed = 0;
  pthread_mutex_lock(&mapped_lock);
  int slot = -1;
  if (!installed) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = mapped_fault;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    installed = sigaction(SIGBUS, &action, NULL) == 0;
  }
  for (int s = 0; installed && s < EMZ_MAPPED_SLOTS; s++) {
    if (mapped[s].used) continue;
    mapped[s].start = (uintptr_t)start;
    mapped[s].end = (uintptr_t)start + length;
    size_t n = strlen(message);
    if (n >= sizeof mapped[s].message) n = sizeof mapped[s].message - 1;
    memcpy(mapped[s].message, message, n);
    mapped[s].message[n] = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    mapped[s].used = 1;
    slot = s;
    break;
  }
  pthread_mutex_unlock(&mapped_lock);
  return slot;
}

void emz_mapped_guard_remove(int slot) {
  if (slot < 0 || slot >= EMZ_MAPPED_SLOTS) return;
  pthread_mutex_lock(&mapped_lock);
  mapped[slot].used = 0;
  pthread_mutex_unlock(&mapped_lock);
}
