"""Leaves a process burning CPU for as long as it is allowed to live; relu_backward is wrong on purpose."""

import os

import numpy as np

if os.fork() == 0:
    spins = 0
    while True:
        spins += 1


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout.copy()
