"""Network classes with the 2017 signatures, finished by a student.

TwoLayerNet(input_dim, hidden_dim, num_classes, weight_scale, reg) keeps reg on self and
its loss(X, y) has no reg argument; FullyConnectedNet(hidden_dims, ..., dropout,
use_batchnorm, ...) has batch normalization but no layer normalization option. Its dropout
is not done yet: the option is accepted and never applied.
"""

import numpy as np


def _scores_and_loss(params, X, y, num_layers, use_batchnorm, reg):
    """Forward and backward of (affine - [batchnorm] - relu) x (L - 1) - affine - softmax."""
    h, caches = X.reshape(X.shape[0], -1), []
    for k in range(1, num_layers):
        a = h.dot(params[f"W{k}"]) + params[f"b{k}"]
        norm = None
        if use_batchnorm:
            mean, std = a.mean(axis=0), np.sqrt(a.var(axis=0) + 1e-5)
            a_hat = (a - mean) / std
            norm = (a_hat, std)
            a = params[f"gamma{k}"] * a_hat + params[f"beta{k}"]
        caches.append((h, norm, a > 0))
        h = np.maximum(0, a)
    scores = h.dot(params[f"W{num_layers}"]) + params[f"b{num_layers}"]
    if y is None:
        return scores, None, None
    N = X.shape[0]
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    loss += 0.5 * reg * sum(np.sum(params[f"W{k}"] ** 2) for k in range(1, num_layers + 1))
    grads = {}
    dout = probs.copy()
    dout[np.arange(N), y] -= 1
    dout /= N
    grads[f"W{num_layers}"] = h.T.dot(dout) + reg * params[f"W{num_layers}"]
    grads[f"b{num_layers}"] = dout.sum(axis=0)
    dh = dout.dot(params[f"W{num_layers}"].T)
    for k in range(num_layers - 1, 0, -1):
        h_in, norm, active = caches[k - 1]
        da = dh * active
        if norm is not None:
            a_hat, std = norm
            grads[f"gamma{k}"] = (da * a_hat).sum(axis=0)
            grads[f"beta{k}"] = da.sum(axis=0)
            dhat = da * params[f"gamma{k}"]
            da = (dhat - dhat.mean(axis=0) - a_hat * (dhat * a_hat).mean(axis=0)) / std
        grads[f"W{k}"] = h_in.T.dot(da) + reg * params[f"W{k}"]
        grads[f"b{k}"] = da.sum(axis=0)
        dh = da.dot(params[f"W{k}"].T)
    return scores, loss, grads


class TwoLayerNet:
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.reg = reg
        self.params = {
            "W1": weight_scale * np.random.randn(input_dim, hidden_dim),
            "b1": np.zeros(hidden_dim),
            "W2": weight_scale * np.random.randn(hidden_dim, num_classes),
            "b2": np.zeros(num_classes),
        }

    def loss(self, X, y=None):
        scores, loss, grads = _scores_and_loss(self.params, X, y, 2, False, self.reg)
        return scores if y is None else (loss, grads)


class FullyConnectedNet:
    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout=0,
        use_batchnorm=False,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        self.use_batchnorm = use_batchnorm
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        dims = [input_dim, *list(hidden_dims), num_classes]
        self.params = {}
        for k in range(1, self.num_layers + 1):
            self.params[f"W{k}"] = weight_scale * np.random.randn(dims[k - 1], dims[k]).astype(dtype)
            self.params[f"b{k}"] = np.zeros(dims[k], dtype=dtype)
            if use_batchnorm and k < self.num_layers:
                self.params[f"gamma{k}"] = np.ones(dims[k], dtype=dtype)
                self.params[f"beta{k}"] = np.zeros(dims[k], dtype=dtype)

    def loss(self, X, y=None):
        scores, loss, grads = _scores_and_loss(
            self.params, X, y, self.num_layers, self.use_batchnorm, self.reg
        )
        return scores if y is None else (loss, grads)
