"""Network classes with a classic bug each: biases regularized, the regularization gradient forgotten."""

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
        p = self.params
        hidden = np.maximum(0, X.dot(p["W1"]) + p["b1"])
        scores = hidden.dot(p["W2"]) + p["b2"]
        if y is None:
            return scores
        N = X.shape[0]
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).mean() + 0.5 * reg * (
            np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2)
        )
        dscores = probs
        dscores[np.arange(N), y] -= 1
        dscores /= N
        dhidden = dscores.dot(p["W2"].T) * (hidden > 0)
        return loss, {
            "W1": X.T.dot(dhidden) + reg * p["W1"],
            "b1": dhidden.sum(axis=0) + reg * p["b1"],  # biases regularized in the gradient only
            "W2": hidden.T.dot(dscores) + reg * p["W2"],
            "b2": dscores.sum(axis=0) + reg * p["b2"],
        }


class FullyConnectedNet:
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, reg=0.0, weight_scale=1e-2):
        self.reg = reg
        self.num_layers = len(hidden_dims) + 1
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for k in range(1, self.num_layers + 1):
            self.params[f"W{k}"] = weight_scale * np.random.randn(dims[k - 1], dims[k])
            self.params[f"b{k}"] = np.zeros(dims[k])

    def loss(self, X, y=None):
        hs = [X]
        for k in range(1, self.num_layers + 1):
            a = hs[-1].dot(self.params[f"W{k}"]) + self.params[f"b{k}"]
            hs.append(np.maximum(0, a) if k < self.num_layers else a)
        scores = hs[-1]
        if y is None:
            return scores
        N = X.shape[0]
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        weights = [self.params[f"W{k}"] for k in range(1, self.num_layers + 1)]
        loss = -np.log(probs[np.arange(N), y]).mean() + 0.5 * self.reg * sum(np.sum(w * w) for w in weights)
        dout = probs
        dout[np.arange(N), y] -= 1
        dout /= N
        grads = {}
        for k in range(self.num_layers, 0, -1):
            grads[f"W{k}"] = hs[k - 1].T.dot(dout)  # no regularization gradient
            grads[f"b{k}"] = dout.sum(axis=0)
            dout = dout.dot(self.params[f"W{k}"].T) * (hs[k - 1] > 0)
        return loss, grads
