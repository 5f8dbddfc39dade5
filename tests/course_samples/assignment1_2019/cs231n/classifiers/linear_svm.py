from builtins import range  # noqa: UP029 (the starter file's, for Python 2)

import numpy as np
from past.builtins import xrange


def svm_loss_naive(W, X, y, reg):
    """Structured SVM loss, with loops (the 2019 starter file's imports above)."""
    dW = np.zeros(W.shape)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in xrange(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in xrange(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    correct = scores[range(num_train), y].reshape(-1, 1)
    margins = np.maximum(0, scores - correct + 1)
    margins[range(num_train), y] = 0
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    counts = (margins > 0).astype(float)
    counts[range(num_train), y] = -counts.sum(axis=1)
    dW = X.T.dot(counts) / num_train + 2 * reg * W
    return loss, dW
