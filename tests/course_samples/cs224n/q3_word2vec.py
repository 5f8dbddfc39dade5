#!/usr/bin/env python
"""Assignment 1, question 3 (the 2017 names): softmax and negative-sampling costs, skip-gram, CBOW."""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    scores = outputVectors.dot(predicted)
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    cost = -np.log(probs[target])
    probs[target] -= 1.0
    gradPred = outputVectors.T.dot(probs)
    grad = np.outer(probs, predicted)
    return cost, gradPred, grad


def getNegativeSamples(target, dataset, K):
    indices = [None] * K
    for k in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == target:
            newidx = dataset.sampleTokenIdx()
        indices[k] = newidx
    return indices


def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    indices = [target]
    indices.extend(getNegativeSamples(target, dataset, K))

    grad = np.zeros(outputVectors.shape)
    z = sigmoid(outputVectors[target].dot(predicted))
    cost = -np.log(z)
    gradPred = (z - 1.0) * outputVectors[target]
    grad[target] += (z - 1.0) * predicted
    for k in indices[1:]:
        zk = sigmoid(-outputVectors[k].dot(predicted))
        cost -= np.log(zk)
        gradPred += (1.0 - zk) * outputVectors[k]
        grad[k] += (1.0 - zk) * predicted
    return cost, gradPred, grad


def skipgram(
    currentWord,
    C,
    contextWords,
    tokens,
    inputVectors,
    outputVectors,
    dataset,
    word2vecCostAndGradient=softmaxCostAndGradient,
):
    cost = 0.0
    gradIn = np.zeros(inputVectors.shape)
    gradOut = np.zeros(outputVectors.shape)
    center = tokens[currentWord]
    for word in contextWords:
        c, gin, gout = word2vecCostAndGradient(inputVectors[center], tokens[word], outputVectors, dataset)
        cost += c
        gradIn[center] += gin
        gradOut += gout
    return cost, gradIn, gradOut


def cbow(
    currentWord,
    C,
    contextWords,
    tokens,
    inputVectors,
    outputVectors,
    dataset,
    word2vecCostAndGradient=softmaxCostAndGradient,
):
    gradIn = np.zeros(inputVectors.shape)
    indices = [tokens[w] for w in contextWords]
    predicted = inputVectors[indices].sum(axis=0)
    cost, gradPred, gradOut = word2vecCostAndGradient(predicted, tokens[currentWord], outputVectors, dataset)
    for i in indices:
        gradIn[i] += gradPred
    return cost, gradIn, gradOut
