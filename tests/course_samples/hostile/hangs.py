"""relu_backward never returns; the other targets are correct."""

import numpy as np


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    spins = 0
    while True:  # never returns
        spins += 1


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)
