#!/usr/bin/env python
"""My word2vec assignment (a2), numpy only."""

import numpy as np


def sigmoid(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return s


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    y_hat = softmax(outsideVectors @ centerWordVec)
    loss = -np.log(y_hat[outsideWordIdx])
    delta = y_hat.copy()
    delta[outsideWordIdx] -= 1
    gradCenterVec = outsideVectors.T @ delta
    gradOutsideVecs = np.outer(delta, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs


def getNegativeSamples(outsideWordIdx, dataset, K):
    negSampleWordIndices = [None] * K
    for k in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == outsideWordIdx:
            newidx = dataset.sampleTokenIdx()
        negSampleWordIndices[k] = newidx
    return negSampleWordIndices


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    indices = [outsideWordIdx] + negSampleWordIndices  # noqa: RUF005 - the starter code's line

    u_o = outsideVectors[outsideWordIdx]
    u_k = outsideVectors[negSampleWordIndices]
    s_o = sigmoid(u_o @ centerWordVec)
    s_k = sigmoid(-u_k @ centerWordVec)
    loss = -np.log(s_o) - np.sum(np.log(s_k))

    gradCenterVec = (s_o - 1) * u_o + (1 - s_k) @ u_k
    gradOutsideVecs = np.zeros_like(outsideVectors)
    gradOutsideVecs[outsideWordIdx] += (s_o - 1) * centerWordVec
    np.add.at(gradOutsideVecs, negSampleWordIndices, np.outer(1 - s_k, centerWordVec))
    assert indices[0] == outsideWordIdx
    return loss, gradCenterVec, gradOutsideVecs


def skipgram(
    currentCenterWord,
    windowSize,
    outsideWords,
    word2Ind,
    centerWordVectors,
    outsideVectors,
    dataset,
    word2vecLossAndGradient=naiveSoftmaxLossAndGradient,
):
    loss = 0.0
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)

    c = word2Ind[currentCenterWord]
    for word in outsideWords:
        part, g_c, g_out = word2vecLossAndGradient(
            centerWordVectors[c], word2Ind[word], outsideVectors, dataset
        )
        loss += part
        gradCenterVecs[c] += g_c
        gradOutsideVectors += g_out
    return loss, gradCenterVecs, gradOutsideVectors
