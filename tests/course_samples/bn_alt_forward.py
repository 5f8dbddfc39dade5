"""Correct batch norm with a second forward of its own for the simplified backward.

``batchnorm_forward_alt`` caches only what ``batchnorm_backward_alt`` needs (xhat, gamma and
the inverse standard deviation); ``batchnorm_backward`` reads the longer cache of
``batchnorm_forward``, which the alternative backward cannot unpack.
"""

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == "train":
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        std = np.sqrt(var + eps)
        xhat = (x - mean) / std
        out = gamma * xhat + beta
        cache = (x, mean, var, std, xhat, gamma, beta, eps)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    x, mean, var, std, xhat, gamma, _, eps = cache
    N = x.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dvar = np.sum(dxhat * (x - mean), axis=0) * -0.5 * (var + eps) ** (-1.5)
    dmean = np.sum(-dxhat / std, axis=0) + dvar * np.mean(-2.0 * (x - mean), axis=0)
    dx = dxhat / std + dvar * 2.0 * (x - mean) / N + dmean / N
    return dx, dgamma, dbeta


def batchnorm_forward_alt(x, gamma, beta, bn_param):
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] != "train":
        return out, None
    _, _, _, std, xhat, _, _, _ = cache
    return out, (xhat, gamma, 1.0 / std)


def batchnorm_backward_alt(dout, cache):
    xhat, gamma, istd = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = gamma * istd / N * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta
