"""FullyConnectedNet as the 2018-2020 assignments have it, finished by a student.

``dropout`` is the probability of keeping a unit, and dropout=1 (the default) means no
dropout at all; normalization is None, 'batchnorm' or 'layernorm'; the loss has
0.5 * reg * sum(W * W). Layers are private helpers, so the file defines no other target.
"""

# ruff: noqa: UP004, UP031, RUF005 (written as the 2018 starter code is: %-formats, object, lists)

import numpy as np


def _affine_norm_relu(x, w, b, gamma, beta, norm, bn_param):
    a = x.reshape(x.shape[0], -1).dot(w) + b
    cache = {"x": x, "w": w}
    if norm is not None:
        axis = 0 if norm == "batchnorm" else 1
        mu = a.mean(axis=axis, keepdims=True)
        std = np.sqrt(a.var(axis=axis, keepdims=True) + bn_param.get("eps", 1e-5))
        a_hat = (a - mu) / std
        cache.update(a_hat=a_hat, std=std, gamma=gamma, axis=axis)
        a = gamma * a_hat + beta
    cache["a"] = a
    return np.maximum(a, 0), cache


def _affine_norm_relu_backward(dout, cache):
    da = dout * (cache["a"] > 0)
    grads = {}
    if "a_hat" in cache:
        a_hat, std, axis = cache["a_hat"], cache["std"], cache["axis"]
        grads["beta"] = da.sum(axis=0)
        grads["gamma"] = (da * a_hat).sum(axis=0)
        dah = da * cache["gamma"]
        n = a_hat.shape[axis]
        da = n * dah - dah.sum(axis=axis, keepdims=True) - a_hat * (dah * a_hat).sum(axis=axis, keepdims=True)
        da = da / (n * std)
    x, w = cache["x"], cache["w"]
    grads["W"] = x.reshape(x.shape[0], -1).T.dot(da)
    grads["b"] = da.sum(axis=0)
    return da.dot(w.T).reshape(x.shape), grads


class FullyConnectedNet(object):
    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        self.normalization = normalization
        self.use_dropout = dropout != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])
            if normalization is not None and i < self.num_layers - 1:
                self.params["gamma%d" % (i + 1)] = np.ones(dims[i + 1])
                self.params["beta%d" % (i + 1)] = np.zeros(dims[i + 1])
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = [{"mode": "train"} for i in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode
        h, caches, masks = X, [], []
        for i in range(1, self.num_layers):
            gamma, beta = self.params.get("gamma%d" % i), self.params.get("beta%d" % i)
            h, cache = _affine_norm_relu(
                h,
                self.params["W%d" % i],
                self.params["b%d" % i],
                gamma,
                beta,
                self.normalization,
                self.bn_params[i - 1],
            )
            caches.append(cache)
            if self.use_dropout and mode == "train":
                if "seed" in self.dropout_param:
                    np.random.seed(self.dropout_param["seed"] + i)
                mask = (np.random.rand(*h.shape) < self.dropout_param["p"]) / self.dropout_param["p"]
                h = h * mask
                masks.append(mask)
        L = self.num_layers
        scores = h.dot(self.params["W%d" % L]) + self.params["b%d" % L]
        if mode == "test":
            return scores

        probs = np.exp(scores - np.max(scores, axis=1, keepdims=True))
        probs /= np.sum(probs, axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.sum(np.log(probs[np.arange(N), y])) / N
        for i in range(1, L + 1):
            loss += 0.5 * self.reg * np.sum(self.params["W%d" % i] ** 2)

        grads = {}
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads["W%d" % L] = h.T.dot(dscores) + self.reg * self.params["W%d" % L]
        grads["b%d" % L] = np.sum(dscores, axis=0)
        dh = dscores.dot(self.params["W%d" % L].T)
        for i in range(L - 1, 0, -1):
            if self.use_dropout:
                dh = dh * masks[i - 1]
            dh, g = _affine_norm_relu_backward(dh, caches[i - 1])
            grads["W%d" % i] = g["W"] + self.reg * self.params["W%d" % i]
            grads["b%d" % i] = g["b"]
            if self.normalization is not None:
                grads["gamma%d" % i], grads["beta%d" % i] = g["gamma"], g["beta"]
        return loss, grads
