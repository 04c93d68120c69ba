#!/usr/bin/env python3
"""Drive `testbed shell` on a pseudo-terminal, as a user at a keyboard would.

    lib-pty.py PROMPT -- COMMAND [ARGS...]

Starts COMMAND with a new pty as its stdin, stdout, stderr and controlling
terminal, waits for PROMPT (the shell's PS1), then: line editing (a
backspace), Ctrl-C to a `sleep 30` in the foreground (the shell must stay),
and `echo hi; exit 3`. Prints one line per step, "STEP ok|FAIL seconds", and
last "status N" (the exit status, 128+N for a signal). Everything the
terminal showed goes to stderr."""
import os
import pty
import select
import sys
import time

TIMEOUT = float(os.environ.get("PTY_TIMEOUT", "90"))


def main():
    prompt = sys.argv[1].encode()
    argv = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    seen = bytearray()

    def wait_for(pat, timeout, start=0):
        """Until @pat appears after offset @start; its end offset or -1."""
        end = time.monotonic() + timeout
        while True:
            i = seen.find(pat, start)
            if i >= 0:
                return i + len(pat)
            left = end - time.monotonic()
            if left <= 0:
                return -1
            r, _, _ = select.select([fd], [], [], left)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    return -1
                if not data:
                    return -1
                seen.extend(data)

    def step(name, ok, t0):
        print("%s %s %.2f" % (name, "ok" if ok else "FAIL", time.monotonic() - t0), flush=True)

    t0 = time.monotonic()
    at = wait_for(prompt, TIMEOUT)
    step("prompt", at >= 0, t0)
    if at >= 0:
        t0 = time.monotonic()
        os.write(fd, b"echo ed-ab\x7f\x7fit-ok\r")   # two backspaces: "ed-it-ok"
        at2 = wait_for(b"ed-it-ok", 20, at)
        step("line-editing", at2 >= 0, t0)
        at = max(at, at2)
        t0 = time.monotonic()
        os.write(fd, b"sleep 30; echo after-sleep-$?\r")
        wait_for(b"after-sleep-$?", 20, at)  # the echo of the line typed
        time.sleep(1.0)
        at = len(seen)
        os.write(fd, b"\x03")
        at2 = wait_for(prompt, 20, at)
        # ^C ends the whole line's job; the shell prints a new prompt and stays
        step("ctrl-c", at2 >= 0 and time.monotonic() - t0 < 25, t0)
        at = max(at, at2)
        t0 = time.monotonic()
        os.write(fd, b"echo hi-$((6*7)); exit 3\r")
        step("echo", wait_for(b"hi-42", 20, at) >= 0, t0)
    else:
        os.kill(pid, 9)
    deadline = time.monotonic() + 60
    status = None
    while status is None and time.monotonic() < deadline:
        try:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                data = os.read(fd, 4096)
                seen.extend(data)
        except OSError:
            pass
        p, st = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            status = os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        status = "timeout"
    sys.stderr.write(seen.decode(errors="replace"))
    print("status %s" % status, flush=True)


main()
