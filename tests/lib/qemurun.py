"""Run a QEMU machine with its serial console on stdio, under a time limit.

    with qemurun.TempDir("xenbed-") as tmp:
        result = qemurun.run(argv, timeout=300, log_path=tmp / "console.log",
                             marks={"init": "XLNV-INIT"},
                             replies=[("login:", "root\\n")])

The process runs in its own process group and is always killed as a group
(TERM, then KILL) when it exits, times out, or the caller is interrupted.
Output is collected as it comes (and copied to log_path while it runs, so
a hung boot can be watched with `tail -f`).  `marks` records when a text
first appeared (seconds since start): boot timings.  `replies` feeds text
to the serial console when a text appears (once each).
"""

import ctypes
import os
import pathlib
import select
import shutil
import signal
import subprocess
import tempfile
import time


class Result:
    def __init__(self):
        self.output = ""          # everything QEMU wrote (stdout + stderr)
        self.exit_code = None     # QEMU's exit status, None if killed
        self.timed_out = False
        self.elapsed = 0.0        # seconds
        self.marks = {}           # name -> seconds since start

    def as_dict(self):
        return {"exit_code": self.exit_code, "timed_out": self.timed_out,
                "elapsed": round(self.elapsed, 2),
                "marks": {k: round(v, 2) for k, v in self.marks.items()}}


PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child: get SIGKILL when the harness dies, even by SIGKILL."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def terminate_on_signals():
    """Turn SIGTERM/SIGHUP into an exception, so `finally` blocks (process
    group kill, temp dir removal) run when a test runner stops us."""
    def handler(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


def _kill_group(proc):
    """TERM the whole group, then KILL whatever is left."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = proc.pid
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            # The leader is gone; members may linger: KILL them too.
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        except subprocess.TimeoutExpired:
            continue


def run(argv, timeout, log_path=None, marks=None, replies=(), stop_on=None,
        env=None):
    """Run argv; returns a Result.  stop_on: a text after which the machine
    is considered done (it is then given 10 s to power off by itself)."""
    result = Result()
    pending = list(replies)
    marks = dict(marks or {})
    log = open(log_path, "w", encoding="utf-8", errors="replace") if log_path else None
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=_die_with_parent, env=env)
    chunks = []
    text = ""
    deadline = start + timeout
    try:
        fd = proc.stdout.fileno()
        while True:
            now = time.monotonic()
            if now >= deadline:
                result.timed_out = True
                break
            ready, _, _ = select.select([fd], [], [], min(1.0, deadline - now))
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            data = os.read(fd, 65536)
            if not data:
                break
            piece = data.decode("utf-8", errors="replace")
            chunks.append(piece)
            if log:
                log.write(piece)
                log.flush()
            # Only the recent tail needs scanning for marks and replies.
            text = (text + piece)[-8192:]
            elapsed = time.monotonic() - start
            for name, needle in list(marks.items()):
                if needle in text:
                    result.marks[name] = elapsed
                    del marks[name]
            for needle, reply in list(pending):
                if needle in text:
                    proc.stdin.write(reply.encode())
                    proc.stdin.flush()
                    pending.remove((needle, reply))
            if stop_on and stop_on in text:
                deadline = min(deadline, time.monotonic() + 10.0)
                stop_on = None
        if not result.timed_out:
            try:
                proc.wait(timeout=max(0.1, min(10.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                pass
        result.exit_code = proc.poll()
    finally:
        _kill_group(proc)
        # Drain what is left after the kill.
        try:
            rest = proc.stdout.read()
            if rest:
                piece = rest.decode("utf-8", errors="replace")
                chunks.append(piece)
                if log:
                    log.write(piece)
        except (OSError, ValueError):
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if log:
            log.close()
    result.output = "".join(chunks)
    result.elapsed = time.monotonic() - start
    return result


class TempDir:
    """A temporary directory removed on exit, whatever happened (unless
    keep=True, for debugging)."""

    def __init__(self, prefix="xlnv-bed-", keep=False, parent=None):
        self.prefix, self.keep, self.parent = prefix, keep, parent
        self.path = None

    def __enter__(self):
        self.path = pathlib.Path(tempfile.mkdtemp(prefix=self.prefix, dir=self.parent))
        return self.path

    def __exit__(self, *exc):
        if self.path and not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)
        return False


def require_files(paths):
    """Names of the paths that are missing: the caller fails loudly."""
    return [p for p in paths if not os.path.exists(p)]
