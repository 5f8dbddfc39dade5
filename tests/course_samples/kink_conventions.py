"""Correct code whose subgradients at the kinks differ from JAX's: kinks, never mismatches."""

import numpy as np


class ReluGate:
    def forward(self, x):
        self.x = x
        return np.maximum(0, x)

    def backward(self, dz):
        return [dz * (self.x >= 0)]  # slope 1 at 0; JAX takes 0


class MaxGate:
    def forward(self, x, y):
        self.y_wins = y >= x
        return np.maximum(x, y)

    def backward(self, dz):
        return [dz * ~self.y_wins, dz * self.y_wins]  # a tie goes to y; JAX splits it


class AbsGate:
    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, dz):
        return [dz * np.sign(self.x)]  # 0 at 0; JAX takes 1


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache >= 0)  # slope 1 at 0


def svm_loss(x, y):
    N = x.shape[0]
    margins = x - x[np.arange(N), y][:, np.newaxis] + 1.0
    margins[np.arange(N), y] = 0
    active = margins >= 0  # a margin of exactly 0 counts as active
    active[np.arange(N), y] = False
    loss = np.sum(np.maximum(0, margins)) / N
    dx = active.astype(float)
    dx[np.arange(N), y] -= active.sum(axis=1)
    return loss, dx / N
