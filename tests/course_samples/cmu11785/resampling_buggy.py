"""A student's Downsample1d whose backward rebuilds the input width as W_out * k."""

import numpy as np


class Downsample1d:
    def __init__(self, downsampling_factor):
        self.k = downsampling_factor

    def forward(self, A):
        return A[:, :, :: self.k]

    def backward(self, dLdZ):
        N, C, W_out = dLdZ.shape
        dLdA = np.zeros((N, C, W_out * self.k))  # not the input's width when it is not a multiple of k
        dLdA[:, :, :: self.k] = dLdZ
        return dLdA
