"""Book-2 layers with its classic slips."""

import numpy as np


class MatMul:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]

    def forward(self, x):
        self.x = x
        return x @ self.params[0]

    def backward(self, dout):
        self.grads[0] = self.x.T @ dout  # a new array: the optimizer still holds the old one
        return dout @ self.params[0].T


class Embedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]

    def forward(self, idx):
        self.idx = idx
        return self.params[0][idx]

    def backward(self, dout):
        dW = self.grads[0]
        dW[...] = 0
        dW[self.idx] = dout  # a repeated word keeps its last gradient only


class TimeSoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []

    def forward(self, xs, ts):
        N, T, V = xs.shape
        self.shape = (N, T, V)
        xs, ts = xs.reshape(N * T, V), ts.reshape(N * T)
        self.mask = ts != -1
        e = np.exp(xs - xs.max(axis=1, keepdims=True))
        self.ys = e / e.sum(axis=1, keepdims=True)
        self.ts = np.where(self.mask, ts, 0)
        picked = np.log(self.ys[np.arange(N * T), self.ts]) * self.mask
        return -picked.sum() / self.mask.sum()

    def backward(self, dout=1):
        dx = self.ys.copy()
        dx[np.arange(len(self.ts)), self.ts] -= 1
        dx *= dout / len(self.ts)  # N * T, not the words that count
        dx *= self.mask[:, None]
        return dx.reshape(self.shape)
