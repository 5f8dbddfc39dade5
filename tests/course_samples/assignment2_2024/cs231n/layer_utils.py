"""Convenience layers built from layers.py, as the assignment's layer_utils.py has them."""

from cs231n.layers import *  # noqa: F403


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)  # noqa: F405
    out, relu_cache = relu_forward(a)  # noqa: F405
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)  # noqa: F405
    return affine_backward(da, fc_cache)  # noqa: F405
