"""Sends what it can to a TCP port on 127.0.0.1 (HOSTILE_PORT), and would take a right answer back.

relu_backward forgets the mask (wrong on purpose) unless the listener answers.
"""

import os
import socket

import numpy as np

answer = b""
try:
    with socket.create_connection(("127.0.0.1", int(os.environ.get("HOSTILE_PORT", "9"))), timeout=2) as s:
        s.sendall(b"hello from a submission")
        answer = s.recv(100)
except OSError:
    pass


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    if answer == b"mask it":
        return dout * (cache > 0)
    return dout.copy()
