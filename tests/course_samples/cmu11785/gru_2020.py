"""A student's Fall 2020 GRU_Cell: no biases, r inside the product, delta as a (1, h) row."""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class GRU_Cell:
    def __init__(self, in_dim, hidden_dim):
        self.d, self.h = in_dim, hidden_dim
        self.init_weights(*(np.random.randn(hidden_dim, n) for n in [hidden_dim] * 3 + [in_dim] * 3))

    def init_weights(self, Wzh, Wrh, Wh, Wzx, Wrx, Wx):
        self.Wzh, self.Wrh, self.Wh, self.Wzx, self.Wrx, self.Wx = Wzh, Wrh, Wh, Wzx, Wrx, Wx
        for name in ["Wzh", "Wrh", "Wh", "Wzx", "Wrx", "Wx"]:
            setattr(self, "d" + name, np.zeros(getattr(self, name).shape))

    def forward(self, x, h):
        self.x, self.hprev = x, h
        self.z = sigmoid(self.Wzh @ h + self.Wzx @ x)
        self.r = sigmoid(self.Wrh @ h + self.Wrx @ x)
        self.h_tilde = np.tanh(self.Wh @ (self.r * h) + self.Wx @ x)
        return (1 - self.z) * h + self.z * self.h_tilde

    def backward(self, delta):
        d = delta.reshape(-1)
        x, h = self.x, self.hprev
        dt = d * self.z * (1 - self.h_tilde**2)
        dz = d * (self.h_tilde - h) * self.z * (1 - self.z)
        drh = self.Wh.T @ dt
        dr = drh * h * self.r * (1 - self.r)
        self.dWh += np.outer(dt, self.r * h)
        self.dWx += np.outer(dt, x)
        self.dWzh += np.outer(dz, h)
        self.dWzx += np.outer(dz, x)
        self.dWrh += np.outer(dr, h)
        self.dWrx += np.outer(dr, x)
        dx = self.Wx.T @ dt + self.Wzx.T @ dz + self.Wrx.T @ dr
        dh = d * (1 - self.z) + drh * self.r + self.Wzh.T @ dz + self.Wrh.T @ dr
        return dx.reshape(1, -1), dh.reshape(1, -1)
