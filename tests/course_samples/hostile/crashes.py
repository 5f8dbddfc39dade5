"""relu_backward crashes the interpreter (a read at address 0: SIGSEGV); the other target is correct."""

import ctypes

import numpy as np


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    ctypes.string_at(0)
    return dout * (cache > 0)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)
