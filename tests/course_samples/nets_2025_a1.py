# ruff: noqa: RUF005, UP004, UP031  (written the way the starter code is)
"""The 2025 first assignment's FullyConnectedNet: the plain net done, normalization and dropout
left for the second assignment (the options accepted, gamma and beta created, never applied),
and the year's save and load, which are not gradient code."""

import pickle

import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def softmax_loss(x, y):
    z = x - x.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.log(p[np.arange(n), y]).mean()
    p[np.arange(n), y] -= 1
    return loss, p / n


class FullyConnectedNet(object):
    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout_keep_ratio=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.params = {}
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])
            if i < self.num_layers - 1 and normalization is not None:
                self.params["gamma%d" % (i + 1)] = np.ones(dims[i + 1])
                self.params["beta%d" % (i + 1)] = np.zeros(dims[i + 1])
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for i in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode

        h, caches = X, []
        for i in range(1, self.num_layers + 1):
            h, cache = affine_forward(h, self.params["W%d" % i], self.params["b%d" % i])
            relu_mask = h > 0
            if i < self.num_layers:
                h = h * relu_mask
            caches.append((cache, relu_mask))
        scores = h
        if mode == "test":
            return scores

        loss, dh = softmax_loss(scores, y)
        grads = {}
        for i in range(self.num_layers, 0, -1):
            W = self.params["W%d" % i]
            loss += 0.5 * self.reg * np.sum(W * W)
            cache, relu_mask = caches[i - 1]
            if i < self.num_layers:
                dh = dh * relu_mask
            dh, dW, db = affine_backward(dh, cache)
            grads["W%d" % i] = dW + self.reg * W
            grads["b%d" % i] = db
        return loss, grads

    def save(self, fname):
        with open(fname, "wb") as f:
            pickle.dump({"params": self.params, "reg": self.reg}, f)

    def load(self, fname):
        with open(fname, "rb") as f:
            self.params = pickle.load(f)["params"]
