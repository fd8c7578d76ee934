"""The command the `exec --token-file` tests run under pointauth (python3, standard library).

Usage: python3 child.py MODE ARGS...

  read LOG SECONDS INTERVAL   every INTERVAL s for SECONDS s (or until LOG.stop exists): read
                              $POINTAUTH_TOKEN_FILE and present its token to the stand-in's
                              /whoami; one line per read in LOG: `STATUS TAG` (TAG: the
                              token's last 12 characters), or `missing`, or `partial ...`
  signals LOG                 record each forwarded signal, one name a line in LOG; LOG.ready
                              holds the pid once the handlers are in; ends when LOG.stop exists
  env LOG                     LOG: JSON of what the command was given (variables, the file's
                              contents, modes), then exit
  tty                         on a terminal: say whether it is in the terminal's foreground
                              process group, wait for one Ctrl-C, then count any more for a
                              second; exit with the number of SIGINTs seen
"""

import json
import os
import signal
import stat
import sys
import time
import urllib.error
import urllib.request

FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"]


def whoami(token):
    request = urllib.request.Request(
        os.environ["POINTAUTH_BASE_URL"] + "/whoami",
        headers={"Authorization": "Bearer " + token},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


def read(log, seconds, interval):
    path = os.environ["POINTAUTH_TOKEN_FILE"]
    deadline = time.monotonic() + float(seconds)
    with open(log, "a") as out:
        while time.monotonic() < deadline and not os.path.exists(log + ".stop"):
            try:
                with open(path) as f:
                    token = f.read()
            except FileNotFoundError:
                out.write("missing\n")
            else:
                # A JWT has three parts and nothing else, no whitespace: a torn write would not.
                parts = token.split(".")
                if len(parts) != 3 or token != token.strip() or not all(parts):
                    out.write(f"partial {len(token)}\n")
                else:
                    out.write(f"{whoami(token)} {token[-12:]}\n")
            out.flush()
            time.sleep(float(interval))


def signals(log):
    out = open(log, "a")

    def record(number, _frame):
        out.write(signal.Signals(number).name + "\n")
        out.flush()

    for name in FORWARDED:
        signal.signal(getattr(signal, name), record)
    with open(log + ".ready.tmp", "w") as ready:
        ready.write(str(os.getpid()))
    os.rename(log + ".ready.tmp", log + ".ready")
    deadline = time.monotonic() + 120
    while not os.path.exists(log + ".stop") and time.monotonic() < deadline:
        time.sleep(0.02)


def env(log):
    path = os.environ.get("POINTAUTH_TOKEN_FILE")
    seen = {
        name: os.environ.get(name)
        for name in [
            "POINTAUTH_ACCESS_TOKEN",
            "POINTAUTH_ACCESS_TOKEN_EXPIRES_AT",
            "POINTAUTH_TOKEN_FILE",
            "BEARER_TOKEN_FILE",
            "BEARER_TOKEN",
            "POINTAUTH_PASSWORD",
            "POINTAUTH_USERNAME",
        ]
    }
    if path:
        with open(path) as f:
            seen["contents"] = f.read()
        seen["file_mode"] = stat.S_IMODE(os.lstat(path).st_mode)
        seen["dir_mode"] = stat.S_IMODE(os.lstat(os.path.dirname(path)).st_mode)
    for name in ("SIGHUP", "SIGTERM", "SIGUSR1"):
        ignored = signal.getsignal(getattr(signal, name)) == signal.SIG_IGN
        seen[name.lower() + "_ignored"] = ignored
    with open(log, "w") as out:
        json.dump(seen, out)


def tty():
    count = 0

    def interrupted(_number, _frame):
        nonlocal count
        count += 1

    signal.signal(signal.SIGINT, interrupted)
    terminal = os.open("/dev/tty", os.O_WRONLY)
    foreground = os.tcgetpgrp(0) == os.getpgrp()
    os.write(terminal, f"foreground={foreground}\nready\n".encode())
    deadline = time.monotonic() + 60
    while count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    # A second delivery of the same Ctrl-C would come within microseconds; a second is ample.
    time.sleep(1)
    os.write(terminal, f"interrupts={count}\n".encode())
    sys.exit(count)


def main():
    mode, *args = sys.argv[1:]
    {"read": read, "signals": signals, "env": env, "tty": tty}[mode](*args)


if __name__ == "__main__":
    main()
