"""The book-1 layers as a student starts them: classes whose methods are still to write."""


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        pass

    def backward(self, dout):
        pass


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.dW = None
        self.db = None

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError


class BatchNormalization:
    def __init__(self, gamma, beta, momentum, running_mean, running_var, eps):
        self.gamma = gamma
        self.beta = beta
