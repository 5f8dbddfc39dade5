"""A student's HW2P1 convolutions: stride 1 by loops over the kernel, strided by downsampling."""

import numpy as np


class Downsample1d:
    def __init__(self, downsampling_factor):
        self.k = downsampling_factor

    def forward(self, A):
        self.width = A.shape[2]
        return A[:, :, :: self.k]

    def backward(self, dLdZ):
        dLdA = np.zeros((*dLdZ.shape[:2], self.width))
        dLdA[:, :, :: self.k] = dLdZ
        return dLdA


class Downsample2d:
    def __init__(self, downsampling_factor):
        self.k = downsampling_factor

    def forward(self, A):
        self.size = A.shape[2:]
        return A[:, :, :: self.k, :: self.k]

    def backward(self, dLdZ):
        dLdA = np.zeros(dLdZ.shape[:2] + self.size)
        dLdA[:, :, :: self.k, :: self.k] = dLdZ
        return dLdA


class Conv1d_stride1:
    def __init__(self, in_channels, out_channels, kernel_size, weight_init_fn=None, bias_init_fn=None):
        self.K = kernel_size
        if weight_init_fn is None:
            self.W = np.random.normal(0, 1.0, (out_channels, in_channels, kernel_size))
        else:
            self.W = weight_init_fn(out_channels, in_channels, kernel_size)
        self.b = np.zeros(out_channels) if bias_init_fn is None else bias_init_fn(out_channels)
        self.dLdW = np.zeros(self.W.shape)
        self.dLdb = np.zeros(self.b.shape)

    def forward(self, A):
        self.A = A
        out = A.shape[2] - self.K + 1
        Z = np.zeros((A.shape[0], self.W.shape[0], out))
        for k in range(self.K):
            Z += np.einsum("nci,oc->noi", A[:, :, k : k + out], self.W[:, :, k])
        return Z + self.b[None, :, None]

    def backward(self, dLdZ):
        out = dLdZ.shape[2]
        self.dLdb = dLdZ.sum(axis=(0, 2))
        dLdA = np.zeros(self.A.shape)
        for k in range(self.K):
            self.dLdW[:, :, k] = np.einsum("noi,nci->oc", dLdZ, self.A[:, :, k : k + out])
            dLdA[:, :, k : k + out] += np.einsum("noi,oc->nci", dLdZ, self.W[:, :, k])
        return dLdA


class Conv1d:
    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding=0,
        weight_init_fn=None,
        bias_init_fn=None,
    ):
        self.stride, self.pad = stride, padding
        self.conv1d_stride1 = Conv1d_stride1(
            in_channels, out_channels, kernel_size, weight_init_fn, bias_init_fn
        )
        self.downsample1d = Downsample1d(stride)

    def forward(self, A):
        A = np.pad(A, ((0, 0), (0, 0), (self.pad, self.pad)))
        return self.downsample1d.forward(self.conv1d_stride1.forward(A))

    def backward(self, dLdZ):
        dLdA = self.conv1d_stride1.backward(self.downsample1d.backward(dLdZ))
        return dLdA[:, :, self.pad : dLdA.shape[2] - self.pad]


class Conv2d_stride1:
    def __init__(self, in_channels, out_channels, kernel_size, weight_init_fn=None, bias_init_fn=None):
        self.K = kernel_size
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.W = np.random.normal(0, 1.0, shape) if weight_init_fn is None else weight_init_fn(*shape)
        self.b = np.zeros(out_channels) if bias_init_fn is None else bias_init_fn(out_channels)
        self.dLdW = np.zeros(self.W.shape)
        self.dLdb = np.zeros(self.b.shape)

    def forward(self, A):
        self.A = A
        H, W = A.shape[2] - self.K + 1, A.shape[3] - self.K + 1
        Z = np.zeros((A.shape[0], self.W.shape[0], H, W))
        for i in range(self.K):
            for j in range(self.K):
                Z += np.einsum("nchw,oc->nohw", A[:, :, i : i + H, j : j + W], self.W[:, :, i, j])
        return Z + self.b.reshape(1, -1, 1, 1)

    def backward(self, dLdZ):
        H, W = dLdZ.shape[2:]
        self.dLdb = dLdZ.sum(axis=(0, 2, 3))
        dLdA = np.zeros(self.A.shape)
        for i in range(self.K):
            for j in range(self.K):
                self.dLdW[:, :, i, j] = np.einsum("nohw,nchw->oc", dLdZ, self.A[:, :, i : i + H, j : j + W])
                dLdA[:, :, i : i + H, j : j + W] += np.einsum("nohw,oc->nchw", dLdZ, self.W[:, :, i, j])
        return dLdA


class Conv2d:
    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding=0,
        weight_init_fn=None,
        bias_init_fn=None,
    ):
        self.pad = padding
        self.conv2d_stride1 = Conv2d_stride1(
            in_channels, out_channels, kernel_size, weight_init_fn, bias_init_fn
        )
        self.downsample2d = Downsample2d(stride)

    def forward(self, A):
        p = self.pad
        A = np.pad(A, ((0, 0), (0, 0), (p, p), (p, p)))
        return self.downsample2d.forward(self.conv2d_stride1.forward(A))

    def backward(self, dLdZ):
        dLdA = self.conv2d_stride1.backward(self.downsample2d.backward(dLdZ))
        H, W = dLdA.shape[2:]
        return dLdA[:, :, self.pad : H - self.pad, self.pad : W - self.pad]


class Flatten:
    def forward(self, A):
        self.shape = A.shape
        return A.reshape(A.shape[0], -1)

    def backward(self, dLdZ):
        return dLdZ.reshape(self.shape)
