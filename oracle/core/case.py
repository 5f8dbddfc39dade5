"""A case: a graph, its input values, the upstream gradient and the dtype. The unit of replay.

``{"graph": {...}, "values": {"x": [0.2, 0.4]}, "cotangent": null, "dtype": "float64"}``

``cotangent`` is the upstream gradient, of the output's shape; ``null`` means 1 and is
allowed only for a scalar output. A case file is JSON; ``case_id`` is a hash of its
canonical form, so the same case has the same id on every machine.

Everything in a case is checked before anything runs: values and cotangent are numbers
(not strings, not true/false) or nested lists of them that fit the dtype (``1e300`` does
not fit float32, ``10**400`` fits nothing; ``NaN`` and ``Infinity`` are taken as written),
and the memory the case needs is estimated from its graph's shapes (``estimate``) and
refused above a limit, before an array is allocated.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from oracle.core.compare import DTYPES
from oracle.core.errors import UserError
from oracle.core.options import DEFAULT_MAX_MEMORY, size_text
from reference import Graph, GraphError, check_graph, check_values

# What judging a case takes, measured with /usr/bin/time on replays of broadcasting, elementwise,
# reduction and deep graphs: 4 to 8 float64 copies of every input and node (the engine's values,
# gradients and broadcast temporaries, JAX's values, residuals and gradients, the float64
# finite-difference and kink probes), so 12 copies (96 bytes an element) bounds it; and about
# 9 KB per node of bookkeeping (16 KB counted). A campaign judges a graph's input sets as one
# batch, and each input set also carries its case, JSON and records (about 14 KB; 16 KB counted).
BYTES_PER_ELEMENT = 96
BYTES_PER_NODE = 16 * 2**10
BYTES_PER_CASE = 16 * 2**10
# A case file is parsed into Python objects before anything else can be checked: up to 16
# times its size in memory (a number as short as "1," becomes a 24-byte float and a pointer).
BYTES_PER_FILE_BYTE = 16


@dataclass(frozen=True)
class Case:
    graph: dict[str, Any]  # the JSON graph, as written
    values: dict[str, Any]  # input name -> number or nested list
    cotangent: Any  # nested list, number, or None (1 for a scalar output)
    dtype: str
    checked: Graph  # the validated graph, shapes inferred

    def to_json(self) -> dict[str, Any]:
        return {"graph": self.graph, "values": self.values, "cotangent": self.cotangent, "dtype": self.dtype}

    @property
    def case_id(self) -> str:
        canonical = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    @property
    def ops(self) -> str:
        return " ".join(node["op"] for node in self.graph["nodes"])

    def arrays(self) -> dict[str, np.ndarray]:
        return check_values(self.checked, self.values, self.dtype)

    def cotangent_array(self) -> np.ndarray:
        shape = self.checked.shape_of(self.checked.output)
        cot = 1.0 if self.cotangent is None else self.cotangent
        return np.broadcast_to(np.asarray(cot, dtype=self.dtype), shape).copy()


def estimate(graph: Graph, batch: int = 1) -> int:
    """Bytes that judging ``batch`` cases of ``graph`` at once needs, beyond the JAX runtime (~250 MB)."""
    shapes = [*graph.inputs.values(), *(node.shape for node in graph.nodes)]
    elements = sum(math.prod(shape) for shape in shapes)
    return batch * (elements * BYTES_PER_ELEMENT + BYTES_PER_CASE) + len(shapes) * BYTES_PER_NODE


def check_memory(graph: Graph, limit: int, batch: int = 1) -> None:
    """``GraphError`` naming the largest node when judging the graph needs more than ``limit`` bytes."""
    need = estimate(graph, batch)
    if need > limit:
        largest = max(graph.nodes, key=lambda n: math.prod(n.shape), default=None)
        where = (
            f"; node {largest.id!r} ({largest.gate.name}) has shape {list(largest.shape)}" if largest else ""
        )
        inputs = f" for {batch} input sets" if batch > 1 else ""
        raise GraphError(
            f"needs an estimated {size_text(need)} of memory{inputs}{where}: above the limit of "
            f"{size_text(limit)} (--max-memory raises it)"
        )


def _fits(number: float, largest: float) -> bool:
    """NaN and Infinity are taken as written; a finite number must be at most ``largest`` in size."""
    if isinstance(number, float) and not math.isfinite(number):
        return True
    try:
        return abs(float(number)) <= largest
    except OverflowError:  # an int beyond every float
        return False


def _check_numbers(where: str, value: Any, dtype: str) -> None:
    """``GraphError`` unless ``value`` is a number or nested lists of numbers that fit ``dtype``."""
    largest = float(np.finfo(dtype).max)
    stack = [value]
    while stack:  # no recursion: the depth is the JSON parser's to limit
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(reversed(item))  # the first culprit is the one named
        elif isinstance(item, bool) or not isinstance(item, int | float):
            shown = json.dumps(item) if isinstance(item, str | bool) or item is None else type(item).__name__
            raise GraphError(f"{where}: {shown[:40]} is not a number (numbers or nested lists of numbers)")
        elif not _fits(item, largest):
            if isinstance(item, float):
                shown = f"{item:.3g}"
            else:
                shown = f"an integer of ~{math.ceil(abs(item).bit_length() * math.log10(2))} digits"
            raise GraphError(f"{where}: {shown} does not fit {dtype} (largest {largest:.3g})")


def make_case(obj: Any, max_memory: int | None = None) -> Case:
    """Validate a case (as parsed from JSON); a ``GraphError`` names what is wrong.

    With ``max_memory`` (bytes), a case whose graph needs more (``estimate``) is refused too.
    """
    if not isinstance(obj, Mapping):
        raise GraphError(f"a case must be a JSON object, got {type(obj).__name__}")
    unknown = set(obj) - {"graph", "values", "cotangent", "dtype"}
    if unknown:
        expected = "graph, values, cotangent, dtype"
        raise GraphError(f"case: unknown key {sorted(unknown)[0]!r} (expected {expected})")
    for key in ("graph", "values"):
        if key not in obj:
            raise GraphError(f"case: missing {key!r}")
    dtype = obj.get("dtype", "float64")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise GraphError(f"case: dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    checked = check_graph(obj["graph"])
    if max_memory is not None:
        try:
            check_memory(checked, max_memory)
        except GraphError as exc:
            raise GraphError(f"case: {exc}") from None
    values = obj["values"]
    if isinstance(values, Mapping):
        for name, value in values.items():
            _check_numbers(f"input {name!r}", value, dtype)
    check_values(checked, values, dtype)
    out_shape = checked.shape_of(checked.output)
    cotangent = obj.get("cotangent")
    if cotangent is None:
        if out_shape:
            raise GraphError(f"case: the output has shape {list(out_shape)}, so the case needs a cotangent")
    else:
        _check_numbers("case: cotangent", cotangent, dtype)
        try:
            cot = np.asarray(cotangent, dtype=np.float64)
        except (TypeError, ValueError):
            raise GraphError("case: cotangent is not a number or a (nested) list of numbers") from None
        if cot.shape != out_shape:
            raise GraphError(f"case: cotangent has shape {list(cot.shape)}, the output {list(out_shape)}")
    return Case(dict(obj["graph"]), dict(values), cotangent, dtype, checked)


def read_text(path: str | Path, limit: int) -> str:
    """A regular file (or pipe) of at most ``limit`` bytes as UTF-8 text; ``UserError`` naming it if not."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            kind = os.fstat(handle.fileno()).st_mode
            if stat.S_ISDIR(kind):
                raise UserError(f"{path}: is a directory")
            if not (stat.S_ISREG(kind) or stat.S_ISFIFO(kind)):
                raise UserError(f"{path}: not a regular file (a device or socket)")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise UserError(f"{path}: larger than {size_text(limit)} (--max-memory raises the limit)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UserError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})") from None


def parse_json(text: str, where: str) -> Any:
    """JSON, or a ``UserError`` starting with ``where``: malformed, nested too deeply, a number too long."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno}, column {exc.colno}"
        raise UserError(f"{where}: not valid JSON ({exc.msg} at {at})") from None
    except RecursionError:
        raise UserError(f"{where}: not valid JSON for a case (nested too deeply)") from None
    except ValueError:  # Python refuses to convert an integer of more than 4300 digits
        raise UserError(f"{where}: not valid JSON for a case (an integer of more than 4300 digits)") from None


def load_cases(path: str | Path, max_memory: int = DEFAULT_MAX_MEMORY) -> list[Case]:
    """Cases from a ``.json`` file (one case) or a ``.jsonl`` file (one case per line).

    The file may be at most ``max_memory / 16`` bytes (what parsing it may take), and each
    case's estimated memory at most ``max_memory``.
    """
    path = Path(path)
    text = read_text(path, max_memory // BYTES_PER_FILE_BYTE)
    lines = text.splitlines() if path.suffix == ".jsonl" else [text]
    cases = []
    for number, line in enumerate(lines, 1):
        where = f"{path}:{number}" if path.suffix == ".jsonl" else str(path)
        if not line.strip():
            continue
        try:
            cases.append(make_case(parse_json(line, where), max_memory))
        except GraphError as exc:
            raise UserError(f"{where}: {exc}") from None
        except RecursionError:
            raise UserError(f"{where}: nested too deeply") from None
    if not cases:
        raise UserError(f"{path}: holds no case")
    return cases
