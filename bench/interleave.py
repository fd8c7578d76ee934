#!/usr/bin/env python3
"""Times commands side by side: every round runs each command once, in a shuffled order
(seeded, so runs repeat), so a busy spell of a shared machine slows all of them alike instead
of whichever one a block-by-block benchmark happened to be running, and no command always
follows the same neighbour (a keychain call leaves its daemon busy for a moment). Ratios of
medians taken this way are what bench/run.sh's budget is checked against.

    interleave.py SPEC.json OUT.json

SPEC: {"runs": N, "warmup": W, "commands": [{"name": ..., "argv": [...], "prepare": [...]?}]}
`prepare` runs (untimed) before each run of its command. No shell; stdout and stderr of the
commands go to /dev/null, and a command that fails stops the benchmark. OUT is shaped like
hyperfine's --export-json: {"results": [{"command", "median", "mean", "stddev", "min",
"max", "times"}]}, times in seconds.
"""

import json
import os
import random
import statistics
import sys
import time


def spawn(argv, devnull):
    pid = os.posix_spawnp(
        argv[0],
        argv,
        os.environ,
        file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 1),
            (os.POSIX_SPAWN_DUP2, devnull, 2),
        ],
    )
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def main():
    spec_path, out_path = sys.argv[1:]
    spec = json.load(open(spec_path))
    commands = spec["commands"]
    devnull = os.open(os.devnull, os.O_WRONLY)
    times = [[] for _ in commands]
    rounds = spec["warmup"] + spec["runs"]
    order = list(range(len(commands)))
    shuffle = random.Random(20261201).shuffle
    for round_number in range(rounds):
        shuffle(order)
        for index in order:
            command = commands[index]
            if command.get("prepare") and spawn(command["prepare"], devnull) != 0:
                sys.exit(f"interleave: the preparation of {command['name']!r} failed")
            began = time.perf_counter_ns()
            code = spawn(command["argv"], devnull)
            took = (time.perf_counter_ns() - began) / 1e9
            if code != 0:
                sys.exit(f"interleave: {command['name']!r} exited {code}")
            if round_number >= spec["warmup"]:
                times[index].append(took)
    results = []
    for command, taken in zip(commands, times):
        results.append(
            {
                "command": command["name"],
                "median": statistics.median(taken),
                "mean": statistics.fmean(taken),
                "stddev": statistics.stdev(taken) if len(taken) > 1 else 0.0,
                "min": min(taken),
                "max": max(taken),
                "times": taken,
            }
        )
    json.dump({"results": results}, open(out_path, "w"))


if __name__ == "__main__":
    main()
