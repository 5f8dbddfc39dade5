"""Kills its parent's process group in the middle of a check; the other targets are correct.

In the checker's own process this kills the checker (and whatever shares its group);
a worker runs in a session of its own, so it only reaches the zygote that forked it.
"""

import os
import signal

import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1).dot(w) + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    return dx, dw, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)
    return dout * (cache > 0)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)
