"""A case: a graph, its input values, the upstream gradient and the dtype. The unit of replay.

``{"graph": {...}, "values": {"x": [0.2, 0.4]}, "cotangent": null, "dtype": "float64"}``

``cotangent`` is the upstream gradient, of the output's shape; ``null`` means 1 and is
allowed only for a scalar output. A case file is JSON; ``case_id`` is a hash of its
canonical form, so the same case has the same id on every machine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from oracle.core.compare import DTYPES
from oracle.core.errors import UserError
from reference import Graph, GraphError, check_graph, check_values


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


def make_case(obj: Any) -> Case:
    """Validate a case (as parsed from JSON); a ``GraphError`` names what is wrong."""
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
    if dtype not in DTYPES:
        raise GraphError(f"case: dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    checked = check_graph(obj["graph"])
    check_values(checked, obj["values"], dtype)
    out_shape = checked.shape_of(checked.output)
    cotangent = obj.get("cotangent")
    if cotangent is None:
        if out_shape:
            raise GraphError(f"case: the output has shape {list(out_shape)}, so the case needs a cotangent")
    else:
        try:
            cot = np.asarray(cotangent, dtype=np.float64)
        except (TypeError, ValueError):
            raise GraphError("case: cotangent is not a number or a (nested) list of numbers") from None
        if cot.shape != out_shape:
            raise GraphError(f"case: cotangent has shape {list(cot.shape)}, the output {list(out_shape)}")
    return Case(dict(obj["graph"]), dict(obj["values"]), cotangent, dtype, checked)


def load_cases(path: str | Path) -> list[Case]:
    """Cases from a ``.json`` file (one case) or a ``.jsonl`` file (one case per line)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    lines = text.splitlines() if path.suffix == ".jsonl" else [text]
    cases = []
    for number, line in enumerate(lines, 1):
        where = f"{path}:{number}" if path.suffix == ".jsonl" else str(path)
        if not line.strip():
            continue
        try:
            cases.append(make_case(json.loads(line)))
        except json.JSONDecodeError as exc:
            at = f"line {exc.lineno}, column {exc.colno}"
            raise UserError(f"{where}: not valid JSON ({exc.msg} at {at})") from None
        except GraphError as exc:
            raise UserError(f"{where}: {exc}") from None
    if not cases:
        raise UserError(f"{path}: holds no case")
    return cases
