"""Correct code that prints, moves to another folder and writes files while it is checked."""

import os
import sys

import numpy as np

print("NOISY-IMPORT: hello from the submission")
print("NOISY-IMPORT: on stderr", file=sys.stderr)
os.write(1, b"NOISY-FD: straight to file descriptor 1\n")
with open("noisy-junk.txt", "w") as junk:
    junk.write("written at import\n")


def relu_forward(x):
    print("NOISY-CALL: relu_forward", x.shape)
    os.chdir(os.path.expanduser("~") if os.path.isdir(os.path.expanduser("~")) else "/")
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    with open("noisy-junk.txt", "a") as junk:
        junk.write("written in backward\n")
    return dout * (cache > 0)
