"""Linear classifiers with one classic bug each."""

import numpy as np


def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    loss = 0.0
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            margin = scores[j] - scores[y[i]] + 1
            if j != y[i] and margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / X.shape[0] + reg * np.sum(W * W)
    return loss, dW / X.shape[0]  # the regularization gradient is forgotten


def svm_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    scores = X.dot(W)
    margins = np.maximum(0, scores - scores[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    counts = (margins > 0).astype(float)
    counts[np.arange(n), y] = -counts.sum(axis=1)
    loss = margins.sum() / n + 0.5 * reg * np.sum(W * W)
    return loss, X.T.dot(counts) / n + 2 * reg * W  # 0.5 * reg in the loss, 2 * reg in the gradient


def softmax_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
        loss -= np.log(probs[y[i]])
        probs[y[i]] -= 1
        dW += np.outer(X[i], probs)
    return loss / X.shape[0] + reg * np.sum(W * W), dW + 2 * reg * W  # dW is not divided by N


def softmax_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    scores = X.dot(W)
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()  # no regularization in the loss
    probs[np.arange(n), y] -= 1
    return loss, X.T.dot(probs) / n + 2 * reg * W
