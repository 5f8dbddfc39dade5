"""Forks as many processes as it can (at most 400, each asleep), and would pass if it got them all.

relu_backward forgets the mask (wrong on purpose) unless the bomb went off whole.
"""

import os
import time

import numpy as np

WANTED = 400
got = 0
for _ in range(WANTED):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(120)
        os._exit(0)
    got += 1


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    if got >= WANTED:
        return dout * (cache > 0)
    return dout.copy()
