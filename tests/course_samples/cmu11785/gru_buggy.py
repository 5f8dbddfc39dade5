"""A student's HW3P1 GRUCell that forgets the path h_t = ... + z * h in dh_prev_t."""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class GRUCell:
    def __init__(self, input_size, hidden_size):
        self.d, self.h = input_size, hidden_size
        names = ["Wrx", "Wzx", "Wnx", "Wrh", "Wzh", "Wnh", "brx", "bzx", "bnx", "brh", "bzh", "bnh"]
        shapes = [(hidden_size, input_size)] * 3 + [(hidden_size, hidden_size)] * 3 + [(hidden_size,)] * 6
        for name, shape in zip(names, shapes, strict=False):
            setattr(self, name, np.random.randn(*shape))
            setattr(self, "d" + name, np.zeros(shape))

    def init_weights(self, Wrx, Wzx, Wnx, Wrh, Wzh, Wnh, brx, bzx, bnx, brh, bzh, bnh):
        self.Wrx, self.Wzx, self.Wnx = Wrx, Wzx, Wnx
        self.Wrh, self.Wzh, self.Wnh = Wrh, Wzh, Wnh
        self.brx, self.bzx, self.bnx = brx, bzx, bnx
        self.brh, self.bzh, self.bnh = brh, bzh, bnh

    def forward(self, x, h_prev_t):
        self.x, self.hidden = x, h_prev_t
        self.r = sigmoid(self.Wrx @ x + self.brx + self.Wrh @ h_prev_t + self.brh)
        self.z = sigmoid(self.Wzx @ x + self.bzx + self.Wzh @ h_prev_t + self.bzh)
        self.inner = self.Wnh @ h_prev_t + self.bnh
        self.n = np.tanh(self.Wnx @ x + self.bnx + self.r * self.inner)
        return (1 - self.z) * self.n + self.z * h_prev_t

    def backward(self, delta):
        x, h = self.x, self.hidden
        dn = delta * (1 - self.z) * (1 - self.n**2)
        dz = delta * (h - self.n) * self.z * (1 - self.z)
        dr = dn * self.inner * self.r * (1 - self.r)
        self.dWnx += np.outer(dn, x)
        self.dbnx += dn
        self.dWnh += np.outer(dn * self.r, h)
        self.dbnh += dn * self.r
        self.dWzx += np.outer(dz, x)
        self.dbzx += dz
        self.dWzh += np.outer(dz, h)
        self.dbzh += dz
        self.dWrx += np.outer(dr, x)
        self.dbrx += dr
        self.dWrh += np.outer(dr, h)
        self.dbrh += dr
        dx = self.Wnx.T @ dn + self.Wzx.T @ dz + self.Wrx.T @ dr
        dh_prev_t = self.Wnh.T @ (dn * self.r) + self.Wzh.T @ dz + self.Wrh.T @ dr
        return dx, dh_prev_t
