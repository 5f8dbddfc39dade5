"""Recurrent layers with one classic bug each, as students make them."""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    return np.tanh(a), (x, prev_h, Wx, Wh, a)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, a = cache
    da = dnext_h * (1 - a**2)  # the derivative of tanh taken of the pre-activation
    return da.dot(Wx.T), da.dot(Wh.T), x.T.dot(da), prev_h.T.dot(da), da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    h, caches, prev_h = [], [], h0
    for t in range(x.shape[1]):
        a = x[:, t].dot(Wx) + prev_h.dot(Wh) + b
        prev_h = np.tanh(a)
        h.append(prev_h)
        caches.append((x[:, t], h0 if t == 0 else h[t - 1], prev_h))
    return np.stack(h, axis=1), (caches, Wx, Wh)


def rnn_backward(dh, cache):
    caches, Wx, Wh = cache
    dx, dWx, dWh, db = [], np.zeros_like(Wx), np.zeros_like(Wh), 0
    for t in reversed(range(dh.shape[1])):
        x_t, prev_h, h_t = caches[t]
        da = dh[:, t] * (1 - h_t**2)  # dprev_h of the later step is never added in
        dx.insert(0, da.dot(Wx.T))
        dWx += x_t.T.dot(da)
        dWh += prev_h.T.dot(da)
        db = db + da.sum(axis=0)
        dh0 = da.dot(Wh.T)
    return np.stack(dx, axis=1), dh0, dWx, dWh, db


def word_embedding_forward(x, W):
    return W[x], (x, W)


def word_embedding_backward(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    dW[x] += dout  # repeated words: only one of the additions survives
    return dW


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    i, f, o, g = np.split(x.dot(Wx) + prev_h.dot(Wh) + b, 4, axis=1)
    i, f, o, g = sigmoid(i), sigmoid(f), sigmoid(o), np.tanh(g)
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    dc = dnext_c + dnext_h * o * (1 - next_c**2)  # the tanh of the cell state is forgotten
    do = dnext_h * np.tanh(next_c)
    da = np.hstack((dc * g * i * (1 - i), dc * prev_c * f * (1 - f), do * o * (1 - o), dc * i * (1 - g**2)))
    return da.dot(Wx.T), da.dot(Wh.T), dc * f, x.T.dot(da), prev_h.T.dot(da), da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b):
    H = h0.shape[1]
    h, c, hs = h0, np.zeros_like(h0), []
    for t in range(x.shape[1]):
        a = x[:, t].dot(Wx) + h.dot(Wh) + b
        i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
        g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])  # i, f, g, o: not the course's order
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    return np.stack(hs, axis=1), None


def lstm_backward(dh, cache):
    return np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1)  # the forward fails first


def temporal_affine_forward(x, w, b):
    return x.dot(w) + b, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    N, T, D = x.shape
    dw = x.reshape(N * T, D).T.dot(dout.reshape(N * T, -1))
    return dout.dot(w.T), dw, dout.sum(axis=(0, 1)) / N  # db divided by N


def temporal_softmax_loss(x, y, mask, verbose=False):
    N, T, _ = x.shape
    probs = np.exp(x - x.max(axis=2, keepdims=True))
    probs /= probs.sum(axis=2, keepdims=True)
    n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -np.sum(np.log(probs[n, t, y])) / N  # the mask is ignored
    dx = probs.copy()
    dx[n, t, y] -= 1
    return loss, dx / N
