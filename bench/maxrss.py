#!/usr/bin/env python3
"""Peak resident memory (max RSS) of one command, and only that command.

    python3 bench/maxrss.py [--stdin FILE] [--stdout FILE] -- CMD [ARG...]

Prints one JSON line on stdout: {"maxrss_kib": N, "exit": E, "method": M}.
CMD's stdin/stdout come from/go to the given files (default /dev/null);
its stderr is passed through. Run one fresh wrapper per measurement.

Why not simply subprocess.run() + getrusage(RUSAGE_CHILDREN)?  On Linux a
child's ru_maxrss also counts the memory of the process it was exec'd from:
at execve() the kernel folds the old address space's high-water mark into
the process's maxrss. Python's subprocess uses vfork/posix_spawn, so the
"old address space" is the Python wrapper itself and even `true` reports
~11-14 MiB (plain fork: ~8-11 MiB). That floor would hide anything smaller.

So the wrapper makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER,
via ctypes), starts `sh -c 'CMD <in >out & exit 0'`: the shell (dash, ~1 MiB)
forks CMD and exits at once, CMD is re-parented to this wrapper, and its own
wait4() rusage is read when it exits. The floor is then the shell's size
(`true` measures ~0.7 MiB). ru_maxrss is max(floor, CMD's real peak), so the
figure is exact whenever it is above the floor. If a CMD forks children of
its own and waits for them, their peaks are folded in (max), as usual.

If prctl is unavailable (not Linux), it falls back to a direct fork+exec and
says so with "method": "direct" (the number is then an upper bound).
"""

import ctypes
import json
import os
import sys

PR_SET_CHILD_SUBREAPER = 36
RUNNER = 'i=$1; o=$2; shift 2; "$@" <"$i" >"$o" & exit 0'


def _subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def measure(cmd, stdin="/dev/null", stdout="/dev/null"):
    """Run cmd; return (maxrss_kib, exit_code, method)."""
    if _subreaper():
        sh = os.posix_spawn("/bin/sh", ["sh", "-c", RUNNER, "sh", stdin, stdout] + cmd,
                            os.environ)
        result = None
        while True:
            try:
                pid, status, ru = os.wait4(-1, 0)
            except ChildProcessError:
                break
            code = os.waitstatus_to_exitcode(status)
            if pid == sh:
                if code != 0:
                    result = result or (0, code)   # the shell failed (e.g. a redirect)
            else:
                result = (ru.ru_maxrss, code)
        if result is None:
            raise SystemExit("maxrss: command did not run")
        return result[0], result[1], "subreaper"

    pid = os.fork()
    if pid == 0:  # child
        try:
            fi = os.open(stdin, os.O_RDONLY)
            fo = os.open(stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            os.dup2(fi, 0)
            os.dup2(fo, 1)
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _pid, status, ru = os.wait4(pid, 0)
    return ru.ru_maxrss, os.waitstatus_to_exitcode(status), "direct"


def main(argv):
    stdin = stdout = "/dev/null"
    while argv and argv[0] != "--":
        if argv[0] in ("--stdin", "--stdout") and len(argv) >= 2:
            if argv[0] == "--stdin":
                stdin = argv[1]
            else:
                stdout = argv[1]
            argv = argv[2:]
        else:
            print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
            return 2
    cmd = argv[1:]
    if not cmd:
        print("maxrss: no command given", file=sys.stderr)
        return 2
    kib, code, method = measure(cmd, stdin, stdout)
    print(json.dumps({"maxrss_kib": kib, "exit": code, "method": method}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
