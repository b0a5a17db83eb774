"""Tiny launcher: run a command, report its wall time and peak RSS as JSON.

    python3 -S bench/measure.py RESULT.json STDOUT STDERR -- CMD [ARGS...]

Why a separate process: on Linux a child's ru_maxrss includes the peak RSS
of the process it was forked from (exec_mmap records the old address space's
high-water mark). Measured from run.py, which holds data sets and imported
libraries, emzoo's "peak memory" would be run.py's. Forked from this small
interpreter (started with -S, stdlib only) the inherited floor is only the
size of this launcher, ~10 MiB, which RESULT.json also reports as
"launcher_rss_mib".
"""

import json
import os
import sys
import time


def main() -> int:
    result, out, err = sys.argv[1:4]
    if sys.argv[4] != "--":
        raise SystemExit("usage: measure.py RESULT.json STDOUT STDERR -- CMD [ARGS...]")
    cmd = sys.argv[5:]
    with open("/proc/self/status") as f:
        own = next((int(line.split()[1]) for line in f if line.startswith("VmHWM:")), 0)
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:                                   # child: redirect and exec
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            fd = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 2)
            os.execvp(cmd[0], cmd)
        except BaseException as e:  # noqa: BLE001 - exec failed: report via stderr, exit 127
            os.write(2, f"measure.py: cannot run {cmd[0]}: {e}\n".encode())
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t
    with open(result, "w") as f:
        json.dump({"returncode": os.waitstatus_to_exitcode(status), "wall": wall,
                   "maxrss_mib": usage.ru_maxrss / 1024.0,        # Linux: KiB
                   "cpu_seconds": usage.ru_utime + usage.ru_stime,
                   "launcher_cpu_seconds": os.times().user + os.times().system,
                   "launcher_rss_mib": own / 1024.0}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
