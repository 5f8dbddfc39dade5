import numpy as np


def sigmoid(x):
    ### YOUR CODE HERE
    s = 1.0 / (1.0 + np.exp(-x))
    ### END YOUR CODE
    return s


def sigmoid_grad(x):
    ### YOUR CODE HERE
    ds = sigmoid(x) * (1 - sigmoid(x))
    ### END YOUR CODE
    return ds
