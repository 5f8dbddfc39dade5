"""Gradients that are not what they seem: an ndarray whose operators lie, arrays that change or raise."""

import numpy as np


class Agreeable(np.ndarray):
    """Says it equals anything; any difference or absolute value is zero."""

    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __sub__(self, other):
        return np.zeros(self.shape)

    def __abs__(self):
        return np.zeros(self.shape)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(self.shape)


class Shifty:
    """A different array each time it is read."""

    def __init__(self, shape):
        self.shape, self.reads = shape, 0

    def __array__(self, dtype=None, copy=None):
        self.reads += 1
        return np.full(self.shape, float(self.reads))


class Unreadable:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("cannot be read")


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return (3 * dout * (cache > 0)).view(Agreeable)  # three times the gradient


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    return Shifty(dout.shape)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return Unreadable()
