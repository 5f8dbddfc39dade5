"""Layers and gates the oracle has no reference for, each with a planted bug."""

import numpy as np


def swish_forward(x):
    s = 1 / (1 + np.exp(-x))
    return x * s, (x, s)


def swish_backward(dout, cache):
    _, s = cache
    return dout * s  # forgets the x * s * (1 - s) term


def scale_shift_forward(x, gamma, beta):
    return gamma * x + beta, (x, gamma)


def scale_shift_backward(dout, cache):
    x, gamma = cache
    return dout * gamma, (dout * x).sum(axis=0), -dout.sum(axis=0)  # dbeta: wrong sign


def affine_tanh_forward(x, w, b):
    out = np.tanh(x.dot(w) + b)
    return out, (x, w, out)


def affine_tanh_backward(dout, cache):
    x, w, out = cache
    da = 1 - out**2  # the upstream gradient is not multiplied in
    return da.dot(w.T), x.T.dot(da), da.sum(axis=0)


def cube_forward(x):
    return x**3, x


def cube_backward(dout, cache):
    return 6 * cache**2 * dout  # twice the derivative


class DivideGate:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x / y

    def backward(self, dz):
        return [-dz * self.x / self.y**2, dz / self.y]  # swapped


class NoisyGate:
    """A forward that is not a function of its inputs: it cannot be judged by finite differences."""

    def forward(self, x):
        return x * np.random.rand()

    def backward(self, dz):
        return [dz]
