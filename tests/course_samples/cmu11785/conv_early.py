"""A student's earlier-term HW2P1 Conv2d (no padding argument) whose forward forgets the bias;
its Downsample2d comes from a module that is not beside it."""

import numpy as np
from resampling_of_another_folder import Downsample2d


class Conv2d_stride1:
    def __init__(self, in_channels, out_channels, kernel_size, weight_init_fn=None, bias_init_fn=None):
        self.k = kernel_size
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.W = np.random.normal(0, 1.0, shape) if weight_init_fn is None else weight_init_fn(*shape)
        self.b = np.zeros(out_channels) if bias_init_fn is None else bias_init_fn(out_channels)

    def forward(self, A):
        self.A = A
        n, _, h, w = A.shape
        Z = np.zeros((n, self.W.shape[0], h - self.k + 1, w - self.k + 1))
        for i in range(Z.shape[2]):
            for j in range(Z.shape[3]):
                patch = A[:, :, i : i + self.k, j : j + self.k]
                Z[:, :, i, j] = np.tensordot(patch, self.W, axes=([1, 2, 3], [1, 2, 3]))
        return Z

    def backward(self, dLdZ):
        H, W = dLdZ.shape[2:]
        self.dLdb = dLdZ.sum(axis=(0, 2, 3))
        self.dLdW = np.zeros(self.W.shape)
        dLdA = np.zeros(self.A.shape)
        for i in range(self.k):
            for j in range(self.k):
                self.dLdW[:, :, i, j] = np.tensordot(
                    dLdZ, self.A[:, :, i : i + H, j : j + W], axes=([0, 2, 3], [0, 2, 3])
                )
                dLdA[:, :, i : i + H, j : j + W] += np.einsum("nohw,oc->nchw", dLdZ, self.W[:, :, i, j])
        return dLdA


class Conv2d:
    def __init__(
        self, in_channels, out_channels, kernel_size, stride, weight_init_fn=None, bias_init_fn=None
    ):
        self.conv2d_stride1 = Conv2d_stride1(
            in_channels, out_channels, kernel_size, weight_init_fn, bias_init_fn
        )
        self.downsample2d = Downsample2d(stride)

    def forward(self, A):
        return self.downsample2d.forward(self.conv2d_stride1.forward(A))

    def backward(self, dLdZ):
        return self.conv2d_stride1.backward(self.downsample2d.backward(dLdZ))
