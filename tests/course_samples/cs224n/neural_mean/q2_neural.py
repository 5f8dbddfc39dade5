import numpy as np
from q1_softmax import softmax
from q2_sigmoid import sigmoid, sigmoid_grad


def forward_backward_prop(X, labels, params, dimensions):
    ### Unpack network parameters (do not modify)
    ofs = 0
    Dx, H, Dy = (dimensions[0], dimensions[1], dimensions[2])

    W1 = np.reshape(params[ofs : ofs + Dx * H], (Dx, H))
    ofs += Dx * H
    b1 = np.reshape(params[ofs : ofs + H], (1, H))
    ofs += H
    W2 = np.reshape(params[ofs : ofs + H * Dy], (H, Dy))
    ofs += H * Dy
    b2 = np.reshape(params[ofs : ofs + Dy], (1, Dy))

    ### YOUR CODE HERE: forward propagation
    hidden = sigmoid(X.dot(W1) + b1)
    probs = softmax(hidden.dot(W2) + b2)
    N = X.shape[0]
    cost = -np.sum(labels * np.log(probs)) / N  # average over the batch
    ### END YOUR CODE

    ### YOUR CODE HERE: backward propagation
    delta2 = (probs - labels) / N
    gradW2 = hidden.T.dot(delta2)
    gradb2 = np.sum(delta2, axis=0, keepdims=True)
    delta1 = delta2.dot(W2.T) * sigmoid_grad(hidden)
    gradW1 = X.T.dot(delta1)
    gradb1 = np.sum(delta1, axis=0, keepdims=True)
    ### END YOUR CODE

    ### Stack gradients (do not modify)
    grad = np.concatenate((gradW1.flatten(), gradb1.flatten(), gradW2.flatten(), gradb2.flatten()))
    return cost, grad
