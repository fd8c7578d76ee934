#!/usr/bin/python3
"""Runs a command with the kernel's keyring calls refused, as Docker's default seccomp
profile refuses them: add_key, keyctl and request_key fail with EPERM, nothing else changes.
With --errno, they fail with that error instead (ENOSYS: a kernel built without keys).

    /usr/bin/python3 tests/support/no_keyring.py [--errno NAME] COMMAND [ARGS...]

Needs Debian's python3-seccomp (libseccomp's bindings), hence /usr/bin/python3.
"""
import errno
import os
import sys

import seccomp

args = sys.argv[1:]
code = errno.EPERM
if args[:1] == ["--errno"] and len(args) >= 2:
    code = getattr(errno, args[1])
    args = args[2:]
if not args:
    sys.exit("usage: no_keyring.py [--errno NAME] COMMAND [ARGS...]")
rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for call in ("add_key", "keyctl", "request_key"):
    rules.add_rule(seccomp.ERRNO(code), call)
rules.load()
os.execvp(args[0], args)
