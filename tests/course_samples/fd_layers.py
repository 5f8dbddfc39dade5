"""Layers and gates the oracle has no reference for, correct: judged by finite differences of the forward."""

import numpy as np


def swish_forward(x):
    s = 1 / (1 + np.exp(-x))
    return x * s, (x, s)


def swish_backward(dout, cache):
    x, s = cache
    return dout * (s + x * s * (1 - s))


def scale_shift_forward(x, gamma, beta):
    return gamma * x + beta, (x, gamma)


def scale_shift_backward(dout, cache):
    x, gamma = cache
    return dout * gamma, (dout * x).sum(axis=0), dout.sum(axis=0)


def affine_tanh_forward(x, w, b):
    out = np.tanh(x.reshape(x.shape[0], -1).dot(w) + b)
    return out, (x, w, out)


def affine_tanh_backward(dout, cache):
    x, w, out = cache
    da = dout * (1 - out**2)
    return da.dot(w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T.dot(da), da.sum(axis=0)


def conv_sum_forward(x, w, b, conv_param):
    """A naive convolution (stride and zero padding from conv_param), then the sum over the channels."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out.sum(axis=1), (x, w, conv_param, xp.shape)


def conv_sum_backward(dout, cache):
    x, w, conv_param, padded = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, _, HH, WW = w.shape
    dconv = np.repeat(dout[:, None], F, axis=1)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros(padded), np.zeros_like(w)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            window = xp[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
            dw += np.tensordot(dconv[:, :, i, j], window, axes=([0], [0]))
            dxp[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW] += np.tensordot(
                dconv[:, :, i, j], w, axes=([1], [0])
            )
    return dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]], dw, dconv.sum(axis=(0, 2, 3))


def sqrt_forward(x):
    out = np.sqrt(x)
    return out, out


def sqrt_backward(dout, cache):
    return dout / (2 * cache)


class DivideGate:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x / y

    def backward(self, dz):
        return [dz / self.y, -dz * self.x / self.y**2]


class HingeGate:
    """max(0, x): a kink at 0 that random inputs do not hit."""

    def forward(self, x):
        self.x = x
        return np.maximum(0, x)

    def backward(self, dz):
        return [dz * (self.x > 0)]
