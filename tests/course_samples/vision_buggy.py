"""One realistic bug in every vision target: each must be caught, most with their cause named.

Where the bug is in one half of a pair, the other half is the correct one from
vision_correct.py or correct.py.
"""

import correct as basic
import numpy as np
import vision_correct as good

# ------------------------------------------------------------------ convolution

conv_forward_naive = good.conv_forward_naive


def conv_backward_naive(dout, cache):
    x, w, _, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    _, _, fh, fw = w.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dpadded, dw = np.zeros_like(padded), np.zeros_like(w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * stride, i * stride + fh), slice(j * stride, j * stride + fw)
            dw += np.tensordot(dout[:, :, i, j], padded[:, :, rows, cols], axes=([0], [0]))
            dpadded[:, :, rows, cols] += np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
    return dpadded, dw, dout.sum(axis=(0, 2, 3))  # the padding is not cropped from dx


# ------------------------------------------------------------------ max pooling

max_pool_forward_naive = good.max_pool_forward_naive


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * stride : i * stride + ph, j * stride : j * stride + pw]
            winners = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * stride : i * stride + ph, j * stride : j * stride + pw] = (  # overlaps need +=
                winners * dout[:, :, i : i + 1, j : j + 1]
            )
    return dx


# ------------------------------------------------------------------- dropout

dropout_forward = good.dropout_forward


def dropout_backward(dout, cache):
    dropout_param, _ = cache
    return dout / dropout_param["p"]  # the mask is not applied


# ------------------------------------------------------------------ batch norm


def batchnorm_forward(x, gamma, beta, bn_param):
    out, cache = good.batchnorm_forward(x, gamma, beta, dict(bn_param))  # a copy: bn_param is never updated
    return out, cache


def batchnorm_backward(dout, cache):
    return good.batchnorm_backward(dout, cache)


def batchnorm_backward_alt(dout, cache):
    x, _, var, _, xhat, gamma, _ = cache
    n = x.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    return gamma / (n * np.sqrt(var)) * (n * dout - dbeta - xhat * dgamma), dgamma, dbeta  # eps missing


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    out, cache = good.batchnorm_forward(x.reshape(-1, c), gamma, beta, bn_param)  # no transpose first
    return out.reshape(n, c, h, w), cache


def spatial_batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = good.batchnorm_backward_alt(dout.reshape(-1, dout.shape[1]), cache)
    return dx.reshape(dout.shape), dgamma, dbeta


# ---------------------------------------------------------- layer and group norm

layernorm_forward = good.layernorm_forward


def layernorm_backward(dout, cache):
    dx, _, _ = good.layernorm_backward(dout, cache)
    xhat, _, _ = cache
    return dx, (dout * xhat).sum(axis=1), dout.sum(axis=1)  # summed over the features, as the mean was


spatial_groupnorm_forward = good.spatial_groupnorm_forward


def spatial_groupnorm_backward(dout, cache):
    dx, dgamma, dbeta = good.spatial_groupnorm_backward(dout, cache)
    return dx, dgamma.ravel(), dbeta.ravel()  # not in gamma's (1, C, 1, 1) shape


# ------------------------------------------------------------------ layer_utils


def affine_relu_forward(x, w, b):
    a, fc_cache = basic.affine_forward(x, w, b)
    out, relu_cache = basic.relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, _ = cache
    return basic.affine_backward(dout, fc_cache)  # the ReLU is skipped


def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    a, fc_cache = basic.affine_forward(x, w, b)
    normed, bn_cache = good.batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = basic.relu_forward(normed)
    return out, (fc_cache, bn_cache, relu_cache)


def affine_bn_relu_backward(dout, cache):
    fc_cache, bn_cache, relu_cache = cache
    dnormed, _, _ = good.batchnorm_backward(basic.relu_backward(dout, relu_cache), bn_cache)
    return basic.affine_backward(dnormed, fc_cache)  # dgamma and dbeta are not returned


def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    a, fc_cache = basic.affine_forward(x, w, b)
    normed, ln_cache = good.layernorm_forward(a, gamma, beta, ln_param)
    out, relu_cache = basic.relu_forward(normed)
    return out, (fc_cache, ln_cache, relu_cache)


def affine_ln_relu_backward(dout, cache):
    fc_cache, ln_cache, relu_cache = cache
    dnormed, dgamma, dbeta = good.layernorm_backward(basic.relu_backward(dout, relu_cache), ln_cache)
    dx, dw, db = basic.affine_backward(dnormed, fc_cache)
    return dx, dw, db, dbeta, dgamma  # swapped


def conv_relu_forward(x, w, b, conv_param):
    a, conv_cache = good.conv_forward_naive(x, w, b, conv_param)
    out, relu_cache = basic.relu_forward(a)
    return out, (conv_cache, relu_cache)


def conv_relu_backward(dout, cache):
    conv_cache, relu_cache = cache
    dx, dw, db = good.conv_backward_naive(basic.relu_backward(dout, relu_cache), conv_cache)
    return dx, dw, -db  # the bias's sign flipped


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    a, conv_cache = good.conv_forward_naive(x, w, b, conv_param)
    s, relu_cache = basic.relu_forward(a)
    out, pool_cache = good.max_pool_forward_naive(s, pool_param)
    return out, (conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward(dout, cache):
    conv_cache, _, pool_cache = cache
    return good.conv_backward_naive(good.max_pool_backward_naive(dout, pool_cache), conv_cache)  # no ReLU


def conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param):
    a, conv_cache = good.conv_forward_naive(x, w, b, conv_param)
    normed, bn_cache = good.spatial_batchnorm_forward(
        a, gamma, beta, {**bn_param, "mode": "test"}
    )  # test mode
    out, relu_cache = basic.relu_forward(normed)
    return out, (conv_cache, bn_cache, relu_cache)


def conv_bn_relu_backward(dout, cache):
    conv_cache, bn_cache, relu_cache = cache
    dact = basic.relu_backward(dout, relu_cache)
    dnormed, dgamma, dbeta = good.spatial_batchnorm_backward(dact, bn_cache)
    dx, dw, db = good.conv_backward_naive(dnormed, conv_cache)
    return dx, dw, db, dgamma, dbeta
