"""What crosses between the checker and an engine's own process: JSON messages, numbers as lists.

A message is 4 bytes of length then UTF-8 JSON (NaN and infinities allowed, as Python's
``json`` writes them), at most ``MAX_MESSAGE`` bytes. Nothing is ever unpickled: the
engine's process runs the student's code and may send anything, so the checker reads its
answers as data only (``decode``), and a message that is not what was asked is ``Malformed``.
An array is ``{"shape": [...], "dtype": "float64", "flat": [...]}`` (numeric dtypes only);
what is not an array of numbers (a ``Value`` left as a gradient, a list of them) travels as
its type's name and length, and comes back as stand-ins the judgement ladder describes
the same way ("a Value of dtype object, not an array of numbers").
"""

from __future__ import annotations

import json
import math
import socket
import struct
import time
from typing import Any

import numpy as np

MAX_MESSAGE = 16 << 20  # bytes: an answer holds a program's output and a few gradients
MAX_DIMS = 8
DTYPES = frozenset(
    {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "uint16"}
    | {"uint32", "uint64", "bool"}
)
HEADER = struct.Struct("!I")


class Malformed(ValueError):
    """An answer that is not what the checker asked for."""


class Silent(Exception):
    """No whole answer before the deadline, or the other end closed."""


def send(sock: socket.socket, message: Any) -> None:
    data = json.dumps(message).encode()
    if len(data) > MAX_MESSAGE:
        data = json.dumps({"error": f"an answer of {len(data)} bytes, over {MAX_MESSAGE}"}).encode()
    sock.sendall(HEADER.pack(len(data)) + data)


def receive(sock: socket.socket, deadline: float | None = None) -> Any:
    """The next message; ``Silent`` past ``deadline`` (``time.monotonic``) or on a closed channel."""
    (size,) = HEADER.unpack(_exactly(sock, HEADER.size, deadline))
    if size > MAX_MESSAGE:
        raise Malformed(f"a message of {size} bytes, over {MAX_MESSAGE}")
    try:
        return json.loads(_exactly(sock, size, deadline).decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise Malformed(f"not JSON ({exc})"[:120]) from None


def _exactly(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    data = b""
    while len(data) < size:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise Silent("no answer in time")
        sock.settimeout(left)
        try:
            chunk = sock.recv(min(size - len(data), 1 << 20))
        except TimeoutError:
            raise Silent("no answer in time") from None
        except OSError as exc:
            raise Silent(f"the channel broke ({exc.strerror or exc})") from None
        if not chunk:
            raise Silent("the channel closed")
        data += chunk
    return data


# ------------------------------------------------------------------ values


def encode(value: Any) -> Any:
    """A value the engine computed, as JSON: an array of numbers, None, or what it is instead."""
    if value is None:
        return None
    try:
        array = np.asarray(value)
        if array.dtype.name in DTYPES and array.ndim <= MAX_DIMS:
            return {"shape": list(array.shape), "dtype": array.dtype.name, "flat": array.ravel().tolist()}
    except Exception:  # an object whose __array__ raises: not an array of numbers
        pass
    length = len(value) if isinstance(value, list | tuple) else None
    return {"type": type(value).__name__, "len": length}


def decode(data: Any) -> Any:
    """``encode``'s output back as a value; ``Malformed`` for anything else."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise Malformed(f"a value that is a {type(data).__name__}")
    if "type" in data:
        name, length = data["type"], data.get("len")
        stand_in = type(name if isinstance(name, str) and name.isidentifier() else "object", (), {})
        if length is None:
            return stand_in()
        if not isinstance(length, int) or not 0 <= length <= 1 << 16:
            raise Malformed("a list of a wrong length")
        return [stand_in() for _ in range(length)]
    shape, dtype, flat = data.get("shape"), data.get("dtype"), data.get("flat")
    if not isinstance(shape, list) or len(shape) > MAX_DIMS or dtype not in DTYPES:
        raise Malformed("an array without a usable shape or dtype")
    if not all(isinstance(n, int) and n >= 0 for n in shape) or not isinstance(flat, list):
        raise Malformed("an array without a usable shape")
    if len(flat) != math.prod(shape):
        raise Malformed(f"{len(flat)} numbers for the shape {tuple(shape)}")
    if not all(isinstance(x, int | float) for x in flat):
        raise Malformed("an array holding something else than numbers")
    try:
        return np.array(flat, dtype=dtype).reshape(shape)
    except (OverflowError, ValueError) as exc:
        raise Malformed(f"an array that does not fit its dtype ({exc})"[:120]) from None


def text(value: Any, limit: int = 300) -> str:
    """A string the engine's process sent, checked and cut to ``limit``."""
    if not isinstance(value, str):
        raise Malformed(f"a {type(value).__name__} where text was expected")
    return value[:limit]
