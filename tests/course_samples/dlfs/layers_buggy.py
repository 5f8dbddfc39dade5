"""Book-1 layers with the classic slips: each class below has one."""

import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout)  # summed over every axis, not over the batch only
        return np.dot(dout, self.W.T)


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.dW = None
        self.db = None

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
        dW = np.zeros_like(self.W)  # computed, but never stored where the trainer reads it
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                patch = self.xp[:, :, i * s : i * s + FH, j * s : j * s + FW]
                dW += np.tensordot(dout[:, :, i, j], patch, axes=([0], [0]))
                dxp[:, :, i * s : i * s + FH, j * s : j * s + FW] += np.tensordot(
                    dout[:, :, i, j], self.W, axes=([1], [0])
                )
        self.db = dout.sum(axis=(0, 2, 3))
        H, W = self.x_shape[2], self.x_shape[3]
        return dxp[:, :, p : p + H, p : p + W]


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y = e / e.sum(axis=1, keepdims=True)
        return -np.sum(t * np.log(self.y + 1e-7)) / x.shape[0]

    def backward(self, dout=1):
        return self.y - self.t  # the 1/batch_size of the loss is missing
