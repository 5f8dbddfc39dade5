"""Correct vision layers in other conventions the course's years used, vectorized.

Dropout's p is the probability of dropping a unit (the 2016 docstrings); group norm's
gamma and beta have shape (C,) (the 2018 docstring); layernorm takes no ln_param; max
pooling shares a tied window's gradient equally among its maxima (the course's fast
layer); the convolution is one matrix product over im2col columns.
"""

import numpy as np


def _columns(x, fh, fw, stride, pad):
    """(N, C * fh * fw, H' * W'): every receptive field as a column."""
    n, c, height, width = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_h = 1 + (height + 2 * pad - fh) // stride
    out_w = 1 + (width + 2 * pad - fw) // stride
    cols = np.empty((n, c, fh, fw, out_h, out_w), dtype=x.dtype)
    for r in range(fh):
        for s in range(fw):
            cols[:, :, r, s] = padded[:, :, r : r + stride * out_h : stride, s : s + stride * out_w : stride]
    return cols.reshape(n, c * fh * fw, out_h * out_w), (out_h, out_w)


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    f, _, fh, fw = w.shape
    cols, (out_h, out_w) = _columns(x, fh, fw, stride, pad)
    out = np.einsum("fk,nkp->nfp", w.reshape(f, -1), cols) + b[None, :, None]
    return out.reshape(x.shape[0], f, out_h, out_w), (x, w, cols, conv_param)


def conv_backward_naive(dout, cache):
    x, w, cols, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, c, height, width = x.shape
    f, _, fh, fw = w.shape
    g = dout.reshape(n, f, -1)
    dw = np.einsum("nfp,nkp->fk", g, cols).reshape(w.shape)
    db = g.sum(axis=(0, 2))
    dcols = np.einsum("fk,nfp->nkp", w.reshape(f, -1), g).reshape(n, c, fh, fw, *dout.shape[2:])
    dpadded = np.zeros((n, c, height + 2 * pad, width + 2 * pad), dtype=x.dtype)
    out_h, out_w = dout.shape[2:]
    for r in range(fh):
        for s in range(fw):
            rows, cols = slice(r, r + stride * out_h, stride), slice(s, s + stride * out_w, stride)
            dpadded[:, :, rows, cols] += dcols[:, :, r, s]
    return dpadded[:, :, pad : pad + height, pad : pad + width], dw, db


def max_pool_forward_naive(x, pool_param):
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    cols, (out_h, out_w) = _columns(x.reshape(-1, 1, *x.shape[2:]), ph, pw, stride, 0)
    out = cols.max(axis=1).reshape(*x.shape[:2], out_h, out_w)
    return out, (x, pool_param, cols, out)


def max_pool_backward_naive(dout, cache):
    x, pool_param, cols, out = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    winners = cols == out.reshape(cols.shape[0], 1, -1)
    shares = winners / winners.sum(axis=1, keepdims=True) * dout.reshape(cols.shape[0], 1, -1)
    shares = shares.reshape(-1, ph, pw, *dout.shape[2:])
    dx = np.zeros((shares.shape[0], *x.shape[2:]), dtype=x.dtype)
    for r in range(ph):
        for s in range(pw):
            rows, cols = (
                slice(r, r + stride * dout.shape[2], stride),
                slice(s, s + stride * dout.shape[3], stride),
            )
            dx[:, rows, cols] += shares[:, r, s]
    return dx.reshape(x.shape)


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1], dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(x.shape[1], dtype=x.dtype))
    if mode == "train":
        mean, var = x.mean(axis=0), x.var(axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        xhat = (x - mean) * inv_std
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        return gamma * xhat + beta, (xhat, inv_std, gamma)
    xhat = (x - running_mean) / np.sqrt(running_var + eps)
    return gamma * xhat + beta, None


def batchnorm_backward(dout, cache):
    xhat, inv_std, gamma = cache
    dxhat = dout * gamma
    dx = inv_std * (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


batchnorm_backward_alt = batchnorm_backward


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    out, cache = batchnorm_forward(np.moveaxis(x, 1, -1).reshape(-1, c), gamma, beta, bn_param)
    return np.moveaxis(out.reshape(n, h, w, c), -1, 1), cache


def spatial_batchnorm_backward(dout, cache):
    c = dout.shape[1]
    dx, dgamma, dbeta = batchnorm_backward(np.moveaxis(dout, 1, -1).reshape(-1, c), cache)
    return np.moveaxis(dx.reshape(np.moveaxis(dout, 1, -1).shape), -1, 1), dgamma, dbeta


def layernorm_forward(x, gamma, beta):
    out, cache = batchnorm_forward(x.T, gamma[:, None], beta[:, None], {"mode": "train"})
    return out.T, cache


def layernorm_backward(dout, cache):
    xhat, inv_std, gamma = cache
    dxhat = dout.T * gamma
    dx = inv_std * (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0))
    return dx.T, (dout.T * xhat).sum(axis=1), dout.sum(axis=0)


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    n, _c, _h, _w = x.shape
    grouped = x.reshape(n * G, -1)
    mean = grouped.mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(grouped.var(axis=1, keepdims=True) + gn_param.get("eps", 1e-5))
    xhat = ((grouped - mean) * inv_std).reshape(x.shape)
    return xhat * gamma[None, :, None, None] + beta[None, :, None, None], (xhat, inv_std, gamma, G)


def spatial_groupnorm_backward(dout, cache):
    xhat, inv_std, gamma, G = cache
    n = dout.shape[0]
    dxhat = (dout * gamma[None, :, None, None]).reshape(n * G, -1)
    xh = xhat.reshape(n * G, -1)
    dx = inv_std * (dxhat - dxhat.mean(axis=1, keepdims=True) - xh * (dxhat * xh).mean(axis=1, keepdims=True))
    return dx.reshape(dout.shape), (dout * xhat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode != "train":
        return x, (dropout_param, None)
    mask = (np.random.rand(*x.shape) >= p) / (1 - p)  # p: the probability of dropping a unit
    return (x * mask).astype(x.dtype), (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param["mode"] == "train" else dout
