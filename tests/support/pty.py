"""Runs one program on a new pseudo-terminal, with no shell between them, for the tests.

Usage: python3 pty.py [--stdin FILE] STDOUT STDERR PROGRAM [ARGS...]

This driver is to the program what a job-control shell would be, and nothing more: the
session leader that owns the pty, and the parent that puts the program in a process group of
its own in the foreground and sees it stop (`waitpid(WUNTRACED)`). Python's `pty.fork()` is
not used because it makes the program the session leader: its process group would then be
orphaned, and Linux discards a Ctrl-Z stop sent to an orphaned group.

The program's standard input (unless --stdin names a file to read it from) and controlling
terminal are the pty; its stdout and stderr go to the files named, so the pty shows only what
the program writes to /dev/tty.

Commands come on stdin, one JSON object a line, and each gets one JSON line on stdout. Bytes
travel as hex. Every wait is for an event and bounded by the command's timeout (seconds):
  {"op": "expect", "text": HEX, "timeout": S}  the pty shows TEXT (after the last match)
      -> {"ok": true, "before": HEX} or, on timeout, {"ok": false, "seen": HEX}
  {"op": "send", "bytes": HEX}                 keystrokes       -> {"ok": true}
  {"op": "wait", "timeout": S}                 the program exits or stops
      -> {"ok": true, "exited": N} | {"ok": true, "signaled": N} | {"ok": true, "stopped": N}
         or, on timeout, {"ok": false}
  {"op": "resume"}                             SIGCONT to its process group, as `fg` does
  {"op": "hangup"}                             hangs the terminal up (vhangup(2), root
      only), as the end of a login session does: reads on it see the end of file
                                                                       -> {"ok": true}
  {"op": "close"}                              closes the pty (master and slave), as a
      terminal emulator that dies does; modes and transcript end here  -> {"ok": true}
  {"op": "modes"}                              the pty's local modes now
      -> {"ok": true, "echo": B, "icanon": B, "isig": B}
  {"op": "transcript"}                         -> {"ok": true, "shown": HEX}, all it showed
At the end of the commands, a program still running is killed.
"""

import ctypes
import fcntl
import json
import os
import select
import signal
import sys
import termios
import time


def spawn(slave, stdin_path, stdout_path, stderr_path, argv):
    pid = os.fork()
    if pid != 0:
        return pid
    try:
        os.setpgid(0, 0)
        # Take the foreground before exec, as a shell's child does: otherwise the program
        # could touch the terminal before the parent hands it over, and be stopped (SIGTTOU).
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        os.tcsetpgrp(slave, os.getpid())
        # Python ignores some signals; an ignored signal stays ignored across exec.
        for number in (signal.SIGTTOU, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
        os.dup2(os.open(stdin_path, os.O_RDONLY) if stdin_path else slave, 0)
        for fd, path in ((1, stdout_path), (2, stderr_path)):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        os.execv(argv[0], argv)
    except BaseException as err:  # whatever it is, report it and leave the fork
        os.write(2, f"pty.py: cannot start {argv[0]}: {err}\n".encode())
    os._exit(127)


class Driver:
    def __init__(self, stdin_path, stdout_path, stderr_path, argv):
        # A session of its own: the pty becomes its controlling terminal, and the terminal
        # the tests run from (if any) is never touched.
        os.setsid()
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
        # The slave stays open here, so its modes can be read after the program is gone.
        self.pid = spawn(self.slave, stdin_path, stdout_path, stderr_path, argv)
        try:
            os.setpgid(self.pid, self.pid)
        except OSError:
            pass  # the child did it first and has already exec'd
        self.running = True
        self.shown = bytearray()
        self.cursor = 0

    def read_pty(self, timeout):
        """Adds what the pty shows within `timeout` seconds to the transcript."""
        if self.master is None:  # hung up: nothing more to show
            time.sleep(max(timeout, 0))
            return
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if ready:
            try:
                self.shown += os.read(self.master, 4096)
            except OSError:
                pass  # nothing left to read

    def expect(self, text, timeout):
        deadline = time.monotonic() + timeout
        while True:
            found = self.shown.find(text, self.cursor)
            if found >= 0:
                before = self.shown[self.cursor : found]
                self.cursor = found + len(text)
                return {"ok": True, "before": before.hex()}
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return {"ok": False, "seen": self.shown[self.cursor :].hex()}
            self.read_pty(remaining)

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while self.running:
            pid, status = os.waitpid(self.pid, os.WUNTRACED | os.WNOHANG)
            if pid == self.pid:
                if os.WIFSTOPPED(status):
                    return {"ok": True, "stopped": os.WSTOPSIG(status)}
                self.running = False
                if os.WIFSIGNALED(status):
                    return {"ok": True, "signaled": os.WTERMSIG(status)}
                return {"ok": True, "exited": os.WEXITSTATUS(status)}
            if time.monotonic() >= deadline:
                return {"ok": False}
            # Keep reading the pty while waiting (a full pty would block the program); this
            # is also the pace at which waitpid is asked again.
            self.read_pty(0.01)
        return {"ok": False, "error": "the program has already ended"}

    def modes(self):
        local = termios.tcgetattr(self.slave)[3]
        return {
            "ok": True,
            "echo": bool(local & termios.ECHO),
            "icanon": bool(local & termios.ICANON),
            "isig": bool(local & termios.ISIG),
        }

    def transcript(self):
        while self.master is not None and select.select([self.master], [], [], 0)[0]:
            before = len(self.shown)
            self.read_pty(0)
            if len(self.shown) == before:
                break
        return {"ok": True, "shown": self.shown.hex()}

    def handle(self, command):
        op = command["op"]
        if op == "expect":
            return self.expect(bytes.fromhex(command["text"]), command["timeout"])
        if op == "send":
            os.write(self.master, bytes.fromhex(command["bytes"]))
            return {"ok": True}
        if op == "wait":
            return self.wait(command["timeout"])
        if op == "resume":
            os.killpg(self.pid, signal.SIGCONT)
            return {"ok": True}
        if op == "hangup":
            signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the driver is on it too
            if ctypes.CDLL(None, use_errno=True).vhangup() != 0:
                return {"ok": False, "error": os.strerror(ctypes.get_errno())}
            return {"ok": True}
        if op == "close":
            # The driver's own slave descriptor goes too: the pty is gone, not only its
            # master. The driver, the session leader, gets a SIGHUP for it.
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            os.close(self.master)
            os.close(self.slave)
            self.master = self.slave = None
            return {"ok": True}
        if op == "modes":
            return self.modes()
        if op == "transcript":
            return self.transcript()
        return {"ok": False, "error": f"unknown op {op!r}"}

    def finish(self):
        if self.running:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(self.pid, 0)


def main():
    args = sys.argv[1:]
    stdin_path = None
    if args[0] == "--stdin":
        stdin_path, args = args[1], args[2:]
    stdout_path, stderr_path, *argv = args
    driver = Driver(stdin_path, stdout_path, stderr_path, argv)
    try:
        for line in sys.stdin:
            reply = driver.handle(json.loads(line))
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
    finally:
        driver.finish()


if __name__ == "__main__":
    main()
