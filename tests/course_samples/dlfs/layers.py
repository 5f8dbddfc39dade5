"""A student's book-1 layers, written loop by loop (no im2col), every gradient right."""

import numpy as np


def _softmax(a):
    a = a - a.max(axis=1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)


def softmax_loss(x, t):
    """The loss alone, as the book's functions.py has it (not CS231n's (loss, dx) pair)."""
    y = _softmax(x)
    return -np.sum(t * np.log(y + 1e-7)) / x.shape[0]


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        y = x.copy()
        y[self.mask] = 0
        return y

    def backward(self, dout):
        dout[self.mask] = 0  # like the book: the upstream gradient is edited in place
        return dout


class Sigmoid:
    def __init__(self):
        self.y = None

    def forward(self, x):
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, dout):
        return dout * self.y * (1 - self.y)


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = None
        self.dW = self.db = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.dW = self.db = None

    def forward(self, x):
        FN, _, FH, FW = self.W.shape
        s, p = self.stride, self.pad
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        self.x_shape = x.shape
        OH = (x.shape[2] + 2 * p - FH) // s + 1
        OW = (x.shape[3] + 2 * p - FW) // s + 1
        out = np.zeros((x.shape[0], FN, OH, OW))
        for i in range(OH):
            for j in range(OW):
                patch = self.xp[:, :, i * s : i * s + FH, j * s : j * s + FW]
                out[:, :, i, j] = np.tensordot(patch, self.W, axes=([1, 2, 3], [1, 2, 3])) + self.b
        return out

    def backward(self, dout):
        _, _, FH, FW = self.W.shape
        s, p = self.stride, self.pad
        dxp = np.zeros_like(self.xp)
        self.dW = np.zeros_like(self.W)
        self.db = dout.sum(axis=(0, 2, 3))
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                patch = self.xp[:, :, i * s : i * s + FH, j * s : j * s + FW]
                self.dW += np.tensordot(dout[:, :, i, j], patch, axes=([0], [0]))
                dxp[:, :, i * s : i * s + FH, j * s : j * s + FW] += np.tensordot(
                    dout[:, :, i, j], self.W, axes=([1], [0])
                )
        H, W = self.x_shape[2], self.x_shape[3]
        return dxp[:, :, p : p + H, p : p + W]


class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.ph, self.pw, self.stride = pool_h, pool_w, stride

    def forward(self, x):
        self.x = x
        s = self.stride
        OH = (x.shape[2] - self.ph) // s + 1
        OW = (x.shape[3] - self.pw) // s + 1
        out = np.zeros((*x.shape[:2], OH, OW))
        for i in range(OH):
            for j in range(OW):
                out[:, :, i, j] = x[:, :, i * s : i * s + self.ph, j * s : j * s + self.pw].max(axis=(2, 3))
        return out

    def backward(self, dout):
        dx = np.zeros_like(self.x)
        s = self.stride
        N, C = self.x.shape[:2]
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                win = self.x[:, :, i * s : i * s + self.ph, j * s : j * s + self.pw].reshape(N, C, -1)
                k = win.argmax(axis=2)
                for n in range(N):
                    for c in range(C):
                        a, b = divmod(k[n, c], self.pw)
                        dx[n, c, i * s + a, j * s + b] += dout[n, c, i, j]
        return dx


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        self.shape = x.shape
        x = x.reshape(x.shape[0], -1)
        mu = x.mean(axis=0)
        self.xc = x - mu
        self.std = np.sqrt((self.xc**2).mean(axis=0) + 1e-6)
        self.xn = self.xc / self.std
        return (self.gamma * self.xn + self.beta).reshape(self.shape)

    def backward(self, dout):
        dout = dout.reshape(dout.shape[0], -1)
        n = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (dout * self.xn).sum(axis=0)
        dxn = dout * self.gamma
        dx = (n * dxn - dxn.sum(axis=0) - self.xn * (dxn * self.xn).sum(axis=0)) / (n * self.std)
        return dx.reshape(self.shape)


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.ratio = dropout_ratio

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.ratio
            return x * self.mask
        return x * (1.0 - self.ratio)

    def backward(self, dout):
        return dout * self.mask


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        self.y = _softmax(x)
        return -np.sum(t * np.log(self.y + 1e-7)) / x.shape[0]

    def backward(self, dout=1):
        return (self.y - self.t) / self.t.shape[0]
