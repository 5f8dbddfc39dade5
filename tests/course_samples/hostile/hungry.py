"""Backwards that want all the memory there is; the other target is correct."""

import numpy as np


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return np.ones((1 << 40,)) * 0 + dout * (cache > 0)  # 8 TB at once


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    hoard = []
    while True:  # a megabyte at a time, until the allocator says no
        hoard.append(np.ones(1 << 17))


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)
