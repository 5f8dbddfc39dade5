"""Assignment 3's layer_utils: the sandwiches of assignment 2, one over a layer this copy lacks."""

from .layers import *  # noqa: F403


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)  # noqa: F405
    out, relu_cache = relu_forward(a)  # noqa: F405
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)  # noqa: F405


def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    a, fc_cache = affine_forward(x, w, b)  # noqa: F405
    normed, ln_cache = layernorm_forward(a, gamma, beta, ln_param)  # noqa: F405
    out, relu_cache = relu_forward(normed)  # noqa: F405
    return out, (fc_cache, ln_cache, relu_cache)


def affine_ln_relu_backward(dout, cache):
    fc_cache, ln_cache, relu_cache = cache
    da, dgamma, dbeta = layernorm_backward(relu_backward(dout, relu_cache), ln_cache)  # noqa: F405
    dx, dw, db = affine_backward(da, fc_cache)  # noqa: F405
    return dx, dw, db, dgamma, dbeta
