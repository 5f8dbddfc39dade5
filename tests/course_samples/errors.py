"""Code that breaks the calling conventions or raises: errors and mismatches, never a crash."""

import numpy as np


class MultiplyGate:
    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y

    def backward(self, dz):
        return [self.y * dz]  # one gradient for two inputs


class AddGate:
    def forward(self, x, y):
        return x + y

    def backward(self, dz):
        return dz + undefined_name  # noqa: F821  (raises NameError)


class ExpGate:
    def __init__(self, scale):  # cannot be made without an argument
        self.scale = scale


def relu_forward(x):
    return np.maximum(0, x)  # no cache


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(x))  # wrong sign in the forward
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    dx = dout * (1 - cache**2)  # noqa: F841  (computed, but never returned)


def affine_forward(x, w, b):  # and no affine_backward
    return x.reshape(x.shape[0], -1).dot(w) + b, (x, w, b)


def svm_loss(x, y):
    N = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(N), y][:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    return np.sum(margins) / N  # the loss alone, no gradient


def softmax_loss(x, y):
    probs = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)  # no max shift: overflows
    N = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return loss, dx / N
