"""What an engine's file declares when probing cannot find it: at most five lines, ``ORACLE_ENGINE``.

::

    ORACLE_ENGINE = dict(
        cls=Node,                 # your node class
        data="val", grad="g",     # where a node's number and its gradient live
        backward="propagate",     # a method of the root, or a function of this file taking the root
        make="Node({x}, ())")     # optional: the constructor as code, {x} is the number

What is declared is not probed; the rest still is (the capabilities, always).
"""

from __future__ import annotations

import inspect
from types import ModuleType

from oracle.engines.probe import DECLARATION, Engine


def declared(module: ModuleType) -> Engine | None:
    """The engine a module declares (``ORACLE_ENGINE``), or None; a ``ValueError`` names a bad declaration."""
    spec = getattr(module, DECLARATION, None)
    if spec is None:
        return None
    if not isinstance(spec, dict) or not inspect.isclass(spec.get("cls")):
        raise ValueError(f"{DECLARATION} must be a dict whose 'cls' is your node class")
    unknown = set(spec) - {"cls", "data", "grad", "backward", "make"}
    if unknown:
        raise ValueError(
            f"{DECLARATION} has unknown keys {sorted(unknown)} (cls, data, grad, backward, make)"
        )
    engine = Engine(spec["cls"], module, declared=True)
    engine.data, engine.grad = str(spec.get("data", "")), str(spec.get("grad", ""))
    backward = str(spec.get("backward", ""))
    engine.backward, engine.function = backward, bool(backward) and callable(getattr(module, backward, None))
    if "make" in spec:
        engine.make = str(spec["make"])  # code with {x} for the number: "Node({x}, ())"
    return engine
