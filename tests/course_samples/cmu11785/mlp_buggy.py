"""HW1P1 with the classic slips: one in each class."""

import numpy as np


class Linear:
    def __init__(self, in_features, out_features, debug=False):
        self.W = np.zeros((out_features, in_features))
        self.b = np.zeros((out_features, 1))

    def forward(self, A):
        self.A = A
        return A @ self.W.T + self.b.T

    def backward(self, dLdZ):
        N = dLdZ.shape[0]
        self.dLdW = dLdZ.T @ self.A / N  # the loss already divided by N
        self.dLdb = dLdZ.sum(axis=0)  # a flat (out,), not the handout's column
        return dLdZ @ self.W


class Sigmoid:
    def forward(self, Z):
        self.Z = Z
        self.A = 1 / (1 + np.exp(-Z))
        return self.A

    def backward(self, dLdA):
        return dLdA * self.Z * (1 - self.Z)  # the derivative taken of Z, not of A


class MSELoss:
    def forward(self, A, Y):
        self.A, self.Y = A, Y
        return np.mean((A - Y) ** 2)

    def backward(self):
        return 2 * (self.A - self.Y)  # 1 / (N * C) forgotten
