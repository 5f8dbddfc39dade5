"""Helpers the assignment gives with its notebook."""

import numpy as np


def affine_relu_forward(x, w, b):
    a = x.reshape(x.shape[0], -1).dot(w) + b
    return np.maximum(0, a), (x, w, a)


def affine_relu_backward(dout, cache):
    x, w, a = cache
    da = dout * (a > 0)
    return da.dot(w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T.dot(da), da.sum(axis=0)
