"""The wire between the judge and a worker process: JSON and raw array bytes, nothing that runs code.

A message is a fixed frame (the lengths of the header and of the body), one JSON object
(the header), then the body: the bytes of the message's arrays, one after another. The
header describes each array by its dtype and shape (``"arrays": [{"dtype": "<f8",
"shape": [4, 5]}]``), and only dtypes of numbers in this machine's byte order are
accepted (bool, integers, floats). Reading a message never executes anything the sender
wrote: ``json.loads`` builds dicts, lists, strings and numbers, and an array is its bytes
reinterpreted (``np.frombuffer``) once its dtype, shape and size check out: there is no
pickle anywhere, so an object array, or a pickle where an array should be, cannot even
be described. Every size is bounded before anything is allocated.

The worker holds the student's code, so the judge treats what comes back as the
student's answer and nothing more: ``get_outcome`` rebuilds an ``Outcome`` from
base-class numeric arrays, ``None`` and short one-line strings, and refuses the rest with
``ProtocolError``. A value that is not an array of numbers (an object array, an object
whose ``__array__`` raises) crosses as its description only, and comes back as a
stand-in that the judgement ladder describes the same way.

This module, like ``oracle.course.calling.calls``, does not import jax: both ends use it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import socket
import struct
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome

FRAME = struct.Struct(">II")  # header bytes, body bytes
MAX_HEADER = 4 << 20  # bytes of JSON
MAX_BODY = 512 << 20  # bytes of the arrays of one message together
MAX_ARRAYS = 1024
MAX_NDIM = 32
MAX_TEXT = 2000  # characters kept of a string the worker sends
NUMERIC = "biuf"  # bool, signed and unsigned integers, floats: what a gradient may be
# The dtypes an array may have on the wire, as numpy spells them (``np.dtype(...).str``):
# bool, every integer and float width, in this machine's byte order.
WIRE_DTYPES = frozenset(np.dtype(code).str for code in "?bhilqBHILQefdg")


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


class Gone(Exception):
    """The other side closed the connection (the process ended)."""


class Timeout(Exception):
    """No whole message within the time allowed."""


# ------------------------------------------------------------------ messages


def send(
    sock: socket.socket,
    header: Mapping[str, Any],
    arrays: Sequence[np.ndarray] = (),
    *,
    deadline: float | None = None,
) -> None:
    """One message: ``header`` (JSON-able, without the key ``arrays``) and ``arrays`` of numbers."""
    plain = [a if a.flags.c_contiguous else np.array(a, order="C") for a in map(np.asarray, arrays)]
    described = {**header, "arrays": [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in plain]}
    head = json.dumps(described, separators=(",", ":")).encode()
    body = b"".join(a.tobytes() for a in plain)
    _settimeout(sock, deadline)
    try:
        sock.sendall(FRAME.pack(len(head), len(body)) + head + body)
    except TimeoutError:
        raise Timeout from None
    except OSError as exc:  # a broken pipe: the other side is gone
        raise Gone(str(exc)) from None


def receive(sock: socket.socket, *, deadline: float | None = None) -> tuple[dict[str, Any], list[np.ndarray]]:
    """One message; ``Gone``, ``Timeout`` (past ``deadline``, a monotonic time) or ``ProtocolError``."""
    head_size, body_size = FRAME.unpack(_exactly(sock, FRAME.size, deadline))
    if head_size > MAX_HEADER or body_size > MAX_BODY:
        raise ProtocolError(f"a message of {head_size} header bytes and {body_size} body bytes is too large")
    try:
        header = json.loads(_exactly(sock, head_size, deadline))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"the header is not JSON ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise ProtocolError("the header is not a JSON object")
    body = _exactly(sock, body_size, deadline)
    return header, _arrays(header.pop("arrays", []), body)


def _settimeout(sock: socket.socket, deadline: float | None) -> None:
    sock.settimeout(None if deadline is None else max(1e-3, deadline - time.monotonic()))


def _exactly(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    data = bytearray(size)
    view, got = memoryview(data), 0
    while got < size:
        _settimeout(sock, deadline)
        try:
            n = sock.recv_into(view[got:])
        except TimeoutError:
            raise Timeout from None
        except OSError as exc:  # a reset connection: the other side is gone
            raise Gone(str(exc)) from None
        if n == 0:
            raise Gone("the connection was closed")
        got += n
    return bytes(data)


def _arrays(specs: Any, body: bytes) -> list[np.ndarray]:
    """The body's arrays as their specs describe them: plain arrays of numbers, or ``ProtocolError``."""
    if not isinstance(specs, list) or len(specs) > MAX_ARRAYS:
        raise ProtocolError("the arrays are not described as a list")
    arrays, offset = [], 0
    for spec in specs:
        dtype = spec.get("dtype") if isinstance(spec, dict) else None
        if not isinstance(dtype, str) or dtype not in WIRE_DTYPES:
            raise ProtocolError(f"an array of dtype {dtype!r}, not of numbers")
        shape = spec.get("shape")
        if not (isinstance(shape, list) and len(shape) <= MAX_NDIM and all(_whole(d) for d in shape)):
            raise ProtocolError(f"an array of shape {shape!r}")
        count = math.prod(shape)
        size = count * np.dtype(dtype).itemsize
        if offset + size > len(body):
            raise ProtocolError("the arrays are larger than the message")
        arrays.append(np.frombuffer(body, np.dtype(dtype), count, offset).reshape(shape).copy())
        offset += size
    if offset != len(body):
        raise ProtocolError(f"{len(body) - offset} bytes of the message belong to no array")
    return arrays


# ------------------------------------------------------ values in a header


def text(value: Any) -> str:
    """A string the other side sent, as one short line (it ends up in a CSV row)."""
    if not isinstance(value, str):
        raise ProtocolError(f"expected a string, got {type(value).__name__}")
    line = re.sub(r"[\x00-\x1f\x7f]", " ", value)
    return line if len(line) <= MAX_TEXT else line[: MAX_TEXT - 3] + "..."


def put_value(value: Any, arrays: list[np.ndarray]) -> Any:
    """The worker's side: ``value`` as JSON, arrays appended to ``arrays``, never the student's objects.

    An array of numbers crosses as a copy of its data in a base-class ``np.ndarray``
    (an ``ndarray`` subclass whose operators lie loses them); anything else as what the
    judgement ladder would say about it.
    """
    if value is None:
        return None
    try:
        array = np.asarray(value)  # may call the student's __array__, once
    except Exception:  # an __array__ that raises
        return {"opaque": _type_name(value)}
    if type(array) is not np.ndarray:  # an __array__ that returned a subclass
        array = array.view(np.ndarray)
    if array.dtype.kind in NUMERIC and not array.dtype.fields and array.ndim <= MAX_NDIM:
        arrays.append(np.array(array, dtype=array.dtype.newbyteorder("="), order="C", copy=True))
        return {"array": len(arrays) - 1}
    shape = [int(d) for d in array.shape] if isinstance(value, np.ndarray) else None
    return {"opaque": _type_name(value), "dtype": str(array.dtype), "shape": shape}


def get_value(value: Any, arrays: Sequence[np.ndarray]) -> Any:
    """The judge's side of ``put_value``: an array, None, or a stand-in for what was not numbers."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ProtocolError(f"a value of type {type(value).__name__}")
    if "array" in value:
        index = value["array"]
        if type(index) is not int or not 0 <= index < len(arrays):
            raise ProtocolError(f"no array {index!r}")
        return arrays[index]
    name = text(value.get("opaque"))
    dtype = _dtype(value.get("dtype"))
    shape = value.get("shape")
    if shape is not None and dtype is not None:
        if not (isinstance(shape, list) and len(shape) <= MAX_NDIM and all(_whole(d) for d in shape)):
            raise ProtocolError(f"a shape {shape!r}")
        if math.prod(shape) >= 2**40:  # each dimension may be large, not all of them together
            raise ProtocolError(f"a shape {shape!r} of {math.prod(shape):.3g} elements")
        return np.broadcast_to(np.empty((), dtype=dtype), tuple(shape))  # no memory, whatever the shape
    return _stand_in(name[:60] or "object", dtype)


def _whole(d: Any) -> bool:
    return type(d) is int and 0 <= d < 2**40


def _type_name(value: Any) -> str:
    try:
        name = type(value).__name__
    except Exception:  # a metaclass that lies about names
        name = "object"
    return name if isinstance(name, str) else "object"


def _dtype(value: Any) -> np.dtype[Any] | None:
    """A dtype that is not numbers (so the ladder refuses it), or None."""
    if value is None:
        return None
    try:
        dtype = np.dtype(text(value))
    except (TypeError, ValueError):
        return np.dtype(object)
    return np.dtype(object) if dtype.kind in NUMERIC and not dtype.fields else dtype


class StandIn:
    """What the worker could not send as numbers: reads as the student's type name, never as numbers."""

    dtype: np.dtype[Any] | None = None

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self.dtype is None:
            raise TypeError(f"{type(self).__name__} cannot be read as an array")
        return np.empty((), dtype=self.dtype)


def _stand_in(name: str, dtype: np.dtype[Any] | None) -> StandIn:
    return type(name, (StandIn,), {"dtype": dtype})()


# -------------------------------------------------------------- outcomes


def put_outcome(outcome: Outcome) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The worker's side: every field of ``Outcome`` as JSON and arrays (strings stay strings)."""
    arrays: list[np.ndarray] = []
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(Outcome):
        value = getattr(outcome, field.name)
        if isinstance(value, str):
            fields[field.name] = {"text": value[: 4 * MAX_TEXT]}
        elif isinstance(value, dict):
            fields[field.name] = {"map": {str(k): put_value(v, arrays) for k, v in value.items()}}
        else:
            fields[field.name] = {"value": put_value(value, arrays)}
    return {"outcome": fields}, arrays


def get_outcome(header: Mapping[str, Any], arrays: Sequence[np.ndarray]) -> Outcome:
    """The judge's side: an ``Outcome`` of arrays, None, stand-ins and one-line strings, or ProtocolError."""
    fields = header.get("outcome")
    if not isinstance(fields, dict):
        raise ProtocolError("no outcome in the answer")
    known = {f.name: f for f in dataclasses.fields(Outcome)}
    values: dict[str, Any] = {}
    for name, encoded in fields.items():
        if name not in known or name == "scales":  # scales are the JAX side's own
            continue
        if not isinstance(encoded, dict) or len(encoded) != 1:
            raise ProtocolError(f"outcome field {name!r} is malformed")
        ((kind, value),) = encoded.items()
        if kind == "text":
            values[name] = text(value)
        elif kind == "map" and isinstance(value, dict) and len(value) <= MAX_ARRAYS:
            values[name] = {text(k): get_value(v, arrays) for k, v in value.items()}
        elif kind == "value":
            values[name] = get_value(value, arrays)
        else:
            raise ProtocolError(f"outcome field {name!r} is malformed")
    try:
        return Outcome(**values)
    except TypeError as exc:  # a field of the wrong kind (a map where a value belongs)
        raise ProtocolError(f"the outcome does not fit: {exc}") from None
