import numpy as np


def sigmoid(x):
    ### YOUR CODE HERE
    s = 1.0 / (1.0 + np.exp(-x))
    ### END YOUR CODE
    return s


def sigmoid_grad(s):
    # s is already sigmoid(x)
    ### YOUR CODE HERE
    ds = s * (1.0 - s)
    ### END YOUR CODE
    return ds


if __name__ == "__main__":
    print(sigmoid(np.array([[1, 2], [-1, -2]])))
