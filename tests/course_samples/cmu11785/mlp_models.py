"""A student's HW1P1 models MLP0, MLP1 and MLP4 (their Linear and ReLU copied in)."""

import itertools

import numpy as np


class Linear:
    def __init__(self, in_features, out_features, debug=False):
        self.W = np.zeros((out_features, in_features))
        self.b = np.zeros((out_features, 1))
        self.debug = debug

    def forward(self, A):
        self.A = A
        return A @ self.W.T + self.b.T

    def backward(self, dLdZ):
        self.dLdW = dLdZ.T @ self.A
        self.dLdb = dLdZ.sum(axis=0).reshape(-1, 1)
        return dLdZ @ self.W


class ReLU:
    def forward(self, Z):
        self.A = np.maximum(Z, 0)
        return self.A

    def backward(self, dLdA):
        return dLdA * (self.A > 0)


def through(layers, A):
    for layer in layers:
        A = layer.forward(A)
    return A


def back_through(layers, dLdA):
    for layer in reversed(layers):
        dLdA = layer.backward(dLdA)
    return dLdA


class MLP0:
    def __init__(self, debug=False):
        self.debug = debug
        self.layers = [Linear(2, 3), ReLU()]

    def forward(self, A0):
        return through(self.layers, A0)

    def backward(self, dLdA):
        self.dLdA0 = back_through(self.layers, dLdA)


class MLP1:
    def __init__(self, debug=False):
        self.debug = debug
        self.layers = [Linear(2, 3), ReLU(), Linear(3, 2), ReLU()]

    def forward(self, A0):
        return through(self.layers, A0)

    def backward(self, dLdA):
        self.dLdA0 = back_through(self.layers, dLdA)


class MLP4:
    def __init__(self, debug=False):
        self.debug = debug
        sizes = [2, 4, 8, 8, 4, 2]
        self.layers = []
        for a, b in itertools.pairwise(sizes):
            self.layers += [Linear(a, b), ReLU()]

    def forward(self, A0):
        return through(self.layers, A0)

    def backward(self, dLdA):
        self.dLdA0 = back_through(self.layers, dLdA)
