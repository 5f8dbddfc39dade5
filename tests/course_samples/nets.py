"""Network classes as the course's 2019 assignments have them, finished by a student.

TwoLayerNet is the first assignment's (neural_net.py: sizes input_size, hidden_size,
output_size, std; loss(X, y, reg); reg * sum(W * W)); FullyConnectedNet the second's
(fc_net.py: dropout_keep_ratio, normalization, 0.5 * reg * sum(W * W)). The layers they
need are private helpers here, so that the file defines no other target.
"""

import numpy as np


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {
            "W1": std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }

    def loss(self, X, y=None, reg=0.0):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N = X.shape[0]
        hidden = np.maximum(0, X.dot(W1) + b1)
        scores = hidden.dot(W2) + b2
        if y is None:
            return scores
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_probs[np.arange(N), y].mean() + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dscores = np.exp(log_probs)
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {"W2": hidden.T.dot(dscores) + 2 * reg * W2, "b2": dscores.sum(axis=0)}
        dhidden = dscores.dot(W2.T) * (hidden > 0)
        grads["W1"] = X.T.dot(dhidden) + 2 * reg * W1
        grads["b1"] = dhidden.sum(axis=0)
        return loss, grads


def _affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1).dot(w) + b, (x, w)


def _affine_backward(dout, cache):
    x, w = cache
    return dout.dot(w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T.dot(dout), dout.sum(axis=0)


def _norm_forward(x, gamma, beta, axis, eps=1e-5):
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, gamma, np.sqrt(var + eps), axis)


def _norm_backward(dout, cache):
    x_hat, gamma, std, axis = cache
    n = x_hat.shape[axis]
    dx_hat = dout * gamma
    dx = (n * dx_hat - dx_hat.sum(axis=axis, keepdims=True)) / (n * std)
    dx -= x_hat * (dx_hat * x_hat).sum(axis=axis, keepdims=True) / (n * std)
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def _dropout_forward(x, param):
    if param["mode"] == "test":
        return x, None
    if "seed" in param:
        np.random.seed(param["seed"])
    mask = (np.random.rand(*x.shape) < param["p"]) / param["p"]
    return x * mask, mask


def _dropout_backward(dout, mask):
    return dout if mask is None else dout * mask


class FullyConnectedNet:
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
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for k in range(1, self.num_layers + 1):
            self.params[f"W{k}"] = weight_scale * np.random.randn(dims[k - 1], dims[k])
            self.params[f"b{k}"] = np.zeros(dims[k])
            if normalization and k < self.num_layers:
                self.params[f"gamma{k}"] = np.ones(dims[k])
                self.params[f"beta{k}"] = np.zeros(dims[k])
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        mode = "test" if y is None else "train"
        self.dropout_param["mode"] = mode
        caches = []
        h = X
        for k in range(1, self.num_layers):
            h, affine = _affine_forward(h, self.params[f"W{k}"], self.params[f"b{k}"])
            norm = None
            if self.normalization:
                axis = 0 if self.normalization == "batchnorm" else 1
                h, norm = _norm_forward(h, self.params[f"gamma{k}"], self.params[f"beta{k}"], axis)
            relu = h > 0
            h = h * relu
            drop = None
            if self.use_dropout:
                h, drop = _dropout_forward(h, self.dropout_param)
            caches.append((affine, norm, relu, drop))
        scores, last = _affine_forward(
            h, self.params[f"W{self.num_layers}"], self.params[f"b{self.num_layers}"]
        )
        if mode == "test":
            return scores
        N = X.shape[0]
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).mean()
        weights = [self.params[f"W{k}"] for k in range(1, self.num_layers + 1)]
        loss += 0.5 * self.reg * sum(np.sum(w * w) for w in weights)
        grads = {}
        dout = probs
        dout[np.arange(N), y] -= 1
        dout /= N
        L = self.num_layers
        dout, grads[f"W{L}"], grads[f"b{L}"] = _affine_backward(dout, last)
        for k in range(L - 1, 0, -1):
            affine, norm, relu, drop = caches[k - 1]
            if drop is not None:
                dout = _dropout_backward(dout, drop)
            dout = dout * relu
            if norm is not None:
                dout, grads[f"gamma{k}"], grads[f"beta{k}"] = _norm_backward(dout, norm)
            dout, grads[f"W{k}"], grads[f"b{k}"] = _affine_backward(dout, affine)
        for k in range(1, L + 1):
            grads[f"W{k}"] += self.reg * self.params[f"W{k}"]
        return loss, grads
