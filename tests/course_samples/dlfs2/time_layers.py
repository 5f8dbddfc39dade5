"""A student's book-2 layers: params and grads lists, gradients written into the arrays."""

import numpy as np


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


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
        np.add.at(dW, self.idx, dout)


class RNN:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        h = np.tanh(x @ Wx + h_prev @ Wh + b)
        self.cache = (x, h_prev, h)
        return h

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        x, h_prev, h = self.cache
        dt = dh_next * (1 - h * h)
        self.grads[0][...] = x.T @ dt
        self.grads[1][...] = h_prev.T @ dt
        self.grads[2][...] = dt.sum(axis=0)
        return dt @ Wx.T, dt @ Wh.T


class LSTM:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        H = h_prev.shape[1]
        A = x @ Wx + h_prev @ Wh + b
        f, g = _sigmoid(A[:, :H]), np.tanh(A[:, H : 2 * H])
        i, o = _sigmoid(A[:, 2 * H : 3 * H]), _sigmoid(A[:, 3 * H :])
        c = f * c_prev + g * i
        h = o * np.tanh(c)
        self.cache = (x, h_prev, c_prev, f, g, i, o, c)
        return h, c

    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, f, g, i, o, c = self.cache
        tc = np.tanh(c)
        ds = dc_next + dh_next * o * (1 - tc**2)
        df = ds * c_prev * f * (1 - f)
        dg = ds * i * (1 - g**2)
        di = ds * g * i * (1 - i)
        do = dh_next * tc * o * (1 - o)
        dA = np.hstack((df, dg, di, do))
        self.grads[0][...] = x.T @ dA
        self.grads[1][...] = h_prev.T @ dA
        self.grads[2][...] = dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, ds * f


class TimeRNN:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.stateful, self.h = stateful, None

    def forward(self, xs):
        N, T, _ = xs.shape
        H = self.params[1].shape[0]
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, H), dtype="f")
        hs = np.empty((N, T, H), dtype="f")
        self.layers = []
        for t in range(T):
            layer = RNN(*self.params)
            self.h = layer.forward(xs[:, t, :], self.h)
            hs[:, t, :] = self.h
            self.layers.append(layer)
        return hs

    def backward(self, dhs):
        N, T, _ = dhs.shape
        D = self.params[0].shape[0]
        dxs = np.empty((N, T, D), dtype="f")
        dh = 0
        total = [0, 0, 0]
        for t in reversed(range(T)):
            layer = self.layers[t]
            dx, dh = layer.backward(dhs[:, t, :] + dh)
            dxs[:, t, :] = dx
            for k, g in enumerate(layer.grads):
                total[k] += g
        for k, g in enumerate(total):
            self.grads[k][...] = g
        self.dh = dh
        return dxs


class TimeSoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []

    def forward(self, xs, ts):
        N, T, V = xs.shape
        xs, ts = xs.reshape(N * T, V), ts.reshape(N * T)
        self.mask = ts != -1
        e = np.exp(xs - xs.max(axis=1, keepdims=True))
        self.ys = e / e.sum(axis=1, keepdims=True)
        self.ts = np.where(self.mask, ts, 0)
        self.shape = (N, T, V)
        picked = np.log(self.ys[np.arange(N * T), self.ts]) * self.mask
        return -picked.sum() / self.mask.sum()

    def backward(self, dout=1):
        dx = self.ys.copy()
        dx[np.arange(len(self.ts)), self.ts] -= 1
        dx *= dout / self.mask.sum()
        dx *= self.mask[:, None]
        return dx.reshape(self.shape)


class SigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []

    def forward(self, x, t):
        self.t = t
        self.y = 1 / (1 + np.exp(-x))
        p = np.where(t == 1, self.y, 1 - self.y)
        return -np.sum(np.log(p + 1e-7)) / len(t)  # the book's delta inside the log

    def backward(self, dout=1):
        return (self.y - self.t) * dout / len(self.t)
