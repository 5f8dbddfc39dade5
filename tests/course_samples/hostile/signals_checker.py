"""Stops and kills every process of the check it can find (the checker, the zygote, other workers).

It only aims at processes whose environment carries its HOSTILE_TAG (the test's check),
never at anything else on the machine. relu_backward forgets the mask (wrong on purpose).
"""

import contextlib
import os
import signal

import numpy as np

TAG = os.environ.get("HOSTILE_TAG", "")


def ours(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return TAG and f"HOSTILE_TAG={TAG}".encode() in f.read()
    except OSError:
        return False


def attack():
    me = os.getpid()
    targets = {os.getppid()}
    with contextlib.suppress(OSError):
        targets |= {int(p) for p in os.listdir("/proc") if p.isdigit() and ours(p)}
    for pid in sorted(targets - {me}):
        if pid > 1:
            for sig in (signal.SIGSTOP, signal.SIGKILL):
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    attack()
    return dout.copy()
