# ruff: noqa  (a notebook export, as the course's students have them: star imports, test cells)
import numpy as np
from dnn_utils import sigmoid, sigmoid_backward, relu, relu_backward


# GRADED FUNCTION: linear_forward
def linear_forward(A, W, b):
    ### START CODE HERE ### (≈ 1 line of code)
    Z = None
    ### END CODE HERE ###
    cache = (A, W, b)
    return Z, cache


# GRADED FUNCTION: linear_backward
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    ### START CODE HERE ### (≈ 3 lines of code)
    dW = None
    db = None
    dA_prev = None
    ### END CODE HERE ###
    return dA_prev, dW, db
