#!/usr/bin/python3
"""Runs a command with the kernel's keyring calls refused, as Docker's default seccomp
profile refuses them: add_key, keyctl and request_key fail with EPERM, nothing else changes.

    /usr/bin/python3 tests/support/no_keyring.py COMMAND [ARGS...]

Needs Debian's python3-seccomp (libseccomp's bindings), hence /usr/bin/python3.
"""
import errno
import os
import sys

import seccomp

if len(sys.argv) < 2:
    sys.exit("usage: no_keyring.py COMMAND [ARGS...]")
rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for call in ("add_key", "keyctl", "request_key"):
    rules.add_rule(seccomp.ERRNO(errno.EPERM), call)
rules.load()
os.execvp(sys.argv[1], sys.argv[1:])
