"""Writes messages of its own on the worker's socket: a pickle where an array belongs, then garbage.

The pickle runs ``touch MARKER`` when it is loaded: a judge that unpickled what a worker
sends would run it.
"""

import json
import os
import pickle
import socket
import stat
import struct
import tempfile

import numpy as np

MARKER = os.path.join(tempfile.gettempdir(), "oracle-hostile-pickle-ran")


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


def _sockets():
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                yield socket.socket(fileno=os.dup(fd))
        except OSError:
            continue


def _frame(header, body):
    head = json.dumps(header).encode()
    return struct.pack(">II", len(head), len(body)) + head + body


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    pickled = pickle.dumps(np.array([Payload()], dtype=object))  # an object array: a pickle
    outcome = {"out": {"value": {"array": 0}}, "grads": {"map": {"x": {"array": 0}}}}
    header = {"outcome": outcome, "autodiff": [], "arrays": [{"dtype": "|O", "shape": [1]}]}
    for sock in _sockets():
        sock.sendall(_frame(header, pickled))
        sock.sendall(b"\xff" * 64)
    return dout * (cache > 0)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)
