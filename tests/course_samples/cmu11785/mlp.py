"""A student's HW1P1 (the dLdA handout): layers, activations, batch norm and losses, all right."""

import numpy as np
from scipy.special import erf


class Linear:
    def __init__(self, in_features, out_features, debug=False):
        self.W = np.zeros((out_features, in_features))
        self.b = np.zeros((out_features, 1))
        self.debug = debug

    def forward(self, A):
        self.A = A
        self.Ones = np.ones((A.shape[0], 1))
        return A @ self.W.T + self.Ones @ self.b.T

    def backward(self, dLdZ):
        self.dLdW = dLdZ.T @ self.A
        self.dLdb = dLdZ.T @ self.Ones
        return dLdZ @ self.W


class Identity:
    def forward(self, Z):
        self.A = Z
        return self.A

    def backward(self, dLdA):
        return dLdA * np.ones(self.A.shape, dtype="f")


class Sigmoid:
    def forward(self, Z):
        self.A = 1 / (1 + np.exp(-Z))
        return self.A

    def backward(self, dLdA):
        return dLdA * (self.A - self.A * self.A)


class Tanh:
    def forward(self, Z):
        self.A = np.tanh(Z)
        return self.A

    def backward(self, dLdA):
        return dLdA * (1 - self.A**2)


class ReLU:
    def forward(self, Z):
        self.A = np.maximum(0, Z)
        return self.A

    def backward(self, dLdA):
        return np.where(self.A > 0, dLdA, 0.0)


class GELU:
    def forward(self, Z):
        self.Z = Z
        return 0.5 * Z * (1 + erf(Z / np.sqrt(2)))

    def backward(self, dLdA):
        Z = self.Z
        dAdZ = 0.5 * (1 + erf(Z / np.sqrt(2))) + Z * np.exp(-Z * Z / 2) / np.sqrt(2 * np.pi)
        return dLdA * dAdZ


class Softmax:
    def forward(self, Z):
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        self.A = e / e.sum(axis=1, keepdims=True)
        return self.A

    def backward(self, dLdA):
        N, C = dLdA.shape
        dLdZ = np.zeros((N, C))
        for i in range(N):
            a = self.A[i]
            J = np.diag(a) - np.outer(a, a)
            dLdZ[i] = dLdA[i] @ J
        return dLdZ


class BatchNorm1d:
    def __init__(self, num_features, alpha=0.9):
        self.alpha, self.eps = alpha, 1e-8
        self.BW = np.ones((1, num_features))
        self.Bb = np.zeros((1, num_features))
        self.running_M = np.zeros((1, num_features))
        self.running_V = np.ones((1, num_features))

    def forward(self, Z, eval=False):
        if eval:
            NZ = (Z - self.running_M) / np.sqrt(self.running_V + self.eps)
            return self.BW * NZ + self.Bb
        self.Z, self.N = Z, Z.shape[0]
        self.M = Z.mean(axis=0, keepdims=True)
        self.V = Z.var(axis=0, keepdims=True)
        self.NZ = (Z - self.M) / np.sqrt(self.V + self.eps)
        self.running_M = self.alpha * self.running_M + (1 - self.alpha) * self.M
        self.running_V = self.alpha * self.running_V + (1 - self.alpha) * self.V
        return self.BW * self.NZ + self.Bb

    def backward(self, dLdBZ):
        self.dLdBW = (dLdBZ * self.NZ).sum(axis=0, keepdims=True)
        self.dLdBb = dLdBZ.sum(axis=0, keepdims=True)
        dNZ = dLdBZ * self.BW
        s = np.sqrt(self.V + self.eps)
        return (dNZ - dNZ.mean(axis=0) - self.NZ * (dNZ * self.NZ).mean(axis=0)) / s


class MSELoss:
    def forward(self, A, Y):
        self.A, self.Y = A, Y
        N, C = A.shape
        se = (A - Y) * (A - Y)
        return np.ones((1, N)) @ se @ np.ones((C, 1)) / (N * C)

    def backward(self):
        N, C = self.A.shape
        return 2 * (self.A - self.Y) / (N * C)


class CrossEntropyLoss:
    def forward(self, A, Y):
        self.Y = Y
        self.softmax = Softmax().forward(A)
        N = A.shape[0]
        return np.sum(-Y * np.log(self.softmax)) / N

    def backward(self):
        return (self.softmax - self.Y) / self.Y.shape[0]
