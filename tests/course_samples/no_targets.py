"""A file with course code, but none of the known names."""


def whitening_forward(x, gamma, beta):
    mean = x.mean(axis=0)
    return gamma * (x - mean) + beta, (x, mean)


class DropoutGate:
    def forward(self, x):
        return x
