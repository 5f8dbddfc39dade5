"""A student's HW2P1 pools and resampling layers, 1d and 2d."""

import numpy as np


class Upsample1d:
    def __init__(self, upsampling_factor):
        self.k = upsampling_factor

    def forward(self, A):
        Z = np.zeros((*A.shape[:2], self.k * (A.shape[2] - 1) + 1))
        Z[:, :, :: self.k] = A
        return Z

    def backward(self, dLdZ):
        return dLdZ[:, :, :: self.k]


class Downsample1d:
    def __init__(self, downsampling_factor):
        self.k = downsampling_factor

    def forward(self, A):
        self.W_in = A.shape[2]
        return A[:, :, :: self.k]

    def backward(self, dLdZ):
        dLdA = np.zeros((*dLdZ.shape[:2], self.W_in))
        dLdA[:, :, :: self.k] = dLdZ
        return dLdA


class Upsample2d:
    def __init__(self, upsampling_factor):
        self.k = upsampling_factor

    def forward(self, A):
        H, W = (self.k * (n - 1) + 1 for n in A.shape[2:])
        Z = np.zeros((*A.shape[:2], H, W))
        Z[:, :, :: self.k, :: self.k] = A
        return Z

    def backward(self, dLdZ):
        return dLdZ[:, :, :: self.k, :: self.k]


class Downsample2d:
    def __init__(self, downsampling_factor):
        self.k = downsampling_factor

    def forward(self, A):
        self.H_in, self.W_in = A.shape[2:]
        return A[:, :, :: self.k, :: self.k]

    def backward(self, dLdZ):
        dLdA = np.zeros((*dLdZ.shape[:2], self.H_in, self.W_in))
        dLdA[:, :, :: self.k, :: self.k] = dLdZ
        return dLdA


class MaxPool2d_stride1:
    def __init__(self, kernel):
        self.kernel = kernel

    def forward(self, A):
        self.A = A
        k = self.kernel
        H, W = A.shape[2] - k + 1, A.shape[3] - k + 1
        Z = np.empty((*A.shape[:2], H, W))
        self.where = np.empty((*A.shape[:2], H, W, 2), dtype=int)
        for i in range(H):
            for j in range(W):
                window = A[:, :, i : i + k, j : j + k].reshape(A.shape[0], A.shape[1], -1)
                best = window.argmax(axis=2)
                Z[:, :, i, j] = window.max(axis=2)
                self.where[:, :, i, j, 0] = i + best // k
                self.where[:, :, i, j, 1] = j + best % k
        return Z

    def backward(self, dLdZ):
        dLdA = np.zeros(self.A.shape)
        N, C, H, W = dLdZ.shape
        for n in range(N):
            for c in range(C):
                for i in range(H):
                    for j in range(W):
                        r, s = self.where[n, c, i, j]
                        dLdA[n, c, r, s] += dLdZ[n, c, i, j]
        return dLdA


class MeanPool2d_stride1:
    def __init__(self, kernel):
        self.kernel = kernel

    def forward(self, A):
        self.shape = A.shape
        k = self.kernel
        H, W = A.shape[2] - k + 1, A.shape[3] - k + 1
        Z = np.zeros((*A.shape[:2], H, W))
        for i in range(k):
            for j in range(k):
                Z += A[:, :, i : i + H, j : j + W]
        return Z / (k * k)

    def backward(self, dLdZ):
        k = self.kernel
        H, W = dLdZ.shape[2:]
        dLdA = np.zeros(self.shape)
        for i in range(k):
            for j in range(k):
                dLdA[:, :, i : i + H, j : j + W] += dLdZ / (k * k)
        return dLdA


class MaxPool2d:
    def __init__(self, kernel, stride):
        self.maxpool2d_stride1 = MaxPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A):
        return self.downsample2d.forward(self.maxpool2d_stride1.forward(A))

    def backward(self, dLdZ):
        return self.maxpool2d_stride1.backward(self.downsample2d.backward(dLdZ))


class MeanPool2d:
    def __init__(self, kernel, stride):
        self.meanpool2d_stride1 = MeanPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A):
        return self.downsample2d.forward(self.meanpool2d_stride1.forward(A))

    def backward(self, dLdZ):
        return self.meanpool2d_stride1.backward(self.downsample2d.backward(dLdZ))
