"""Check course code against JAX: ``python -m oracle check PATH.py`` and the pytest API.

Students and course staff write gates (``MultiplyGate``), layer pairs (``affine_forward``,
``affine_backward``) and losses (``svm_loss``). This module finds the known ones in a
file (``oracle.course.reference`` lists them; ``register_reference`` adds more) and checks each
on random inputs (several shapes and seeds, random upstream gradients) and on edge inputs
at its kinks, exactly, against JAX (``oracle.course.judging.judge``).

CSV rows are report rows (``oracle.core.compare.Record``) plus ``target``, the name checked.
In them ``tested_value`` holds the *student's* value at the worst element: for course
checks the code under judgement is the student's, not the engine's.

From pytest::

    from oracle.course import assert_gate_correct, assert_layer_correct, assert_module_correct

    def test_layers():
        assert_layer_correct(affine_forward, affine_backward)  # name from the function: "affine"
        assert_module_correct("layers.py")  # every known target in the file, in a worker process

Each raises ``AssertionError`` with the table of failing records; ``check_*`` return the records.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from oracle.core.compare import DTYPES
from oracle.core.record import ERROR, UNCHECKED, Record
from oracle.core.table import records_table
from oracle.core.x64 import in_x64
from oracle.course.judging.judge import judge_target
from oracle.course.judging.samplers import with_zeros
from oracle.course.reference import GATE, LAYER, LOSS, Reference

__all__ = [
    "assert_gate_correct",
    "assert_layer_correct",
    "assert_loss_correct",
    "assert_module_correct",
    "check_gate",
    "check_layer",
    "check_loss",
    "check_module",
    "register_reference",
    "with_zeros",
]

if TYPE_CHECKING:
    from oracle.course.loading.finding import Target

# Imported when first used, not with this package: a course package imports
# ``oracle.course.reference``, so this package's own import must not load the registry
# (which imports every course package) or a course package imported first, before the
# registry, would be asked for its COURSE while it is still being imported.
_LATER = {
    "load_module": "oracle.course.loading.finding",
    "select_targets": "oracle.course.loading.finding",
    "REFERENCES": "oracle.course.registry",
    "COURSE_OF": "oracle.course.registry",
    "register_reference": "oracle.course.registry",
}


def __getattr__(name: str) -> Any:
    if name in _LATER:
        import importlib

        return getattr(importlib.import_module(_LATER[name]), name)
    raise AttributeError(f"module 'oracle.course' has no attribute {name!r}")


DEFAULT_SEEDS = 3


@in_x64
def check_target(
    target: Target, seed: int = 0, seeds: int = DEFAULT_SEEDS, dtype: str = "float64"
) -> list[Record]:
    """Every record of one target: ``seeds`` seeds from ``seed`` on, every shape, random and edge inputs."""
    from oracle.course.loading.finding import NOT_DUE
    from oracle.course.registry import COURSE_OF

    if seed < 0 or seeds < 1:
        raise ValueError(f"seed must be >= 0 and seeds >= 1, got seed={seed}, seeds={seeds}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    ref = target.ref
    if target.problem:
        case_id = hashlib.sha256(f"{ref.name}|{target.problem}".encode()).hexdigest()[:12]
        status = UNCHECKED if target.problem.startswith(NOT_DUE) else ERROR  # not due: no one's mistake
        record = Record(
            case_id, "", "", dtype, status, target.problem, ops=ref.name, n_nodes=1, target=ref.name
        )
        record.replay = target.replay(seed)
        records = [record]
    else:
        records = judge_target(ref, target.impl, range(seed, seed + seeds), dtype, target.replay)
    for record in records:
        record.course = target.course or COURSE_OF.get(ref.name, "")
    return records


def _reference(name: str, kind: str) -> Reference:
    from oracle.course.registry import REFERENCES

    ref = REFERENCES.get(name)
    if ref is None or ref.kind != kind:
        known = ", ".join(r.name for r in REFERENCES.values() if r.kind == kind)
        raise ValueError(f"{name!r} is not a known {kind} (known: {known}; see register_reference)")
    return ref


def _object_replay(objects: Sequence[Any], ref: Reference, dtype: str) -> Callable[[int], str]:
    """The CLI command if the code is what its file defines under the target's names, else a Python call."""
    from oracle.course.loading.finding import cli_replay

    module = inspect.getmodule(objects[0])
    try:
        path = inspect.getsourcefile(objects[0])
    except TypeError:
        path = None
    pairs = zip(ref.student_names, objects, strict=True)
    if path and module is not None and all(getattr(module, n, None) is o for n, o in pairs):
        return cli_replay(path, ref.name, dtype)
    names = ", ".join(getattr(o, "__name__", "...") for o in objects)
    call = f"oracle.course.check_{ref.kind}({names}, name={ref.name!r}"
    extra = "" if dtype == "float64" else f", dtype={dtype!r}"
    return lambda seed: f"{call}, seed={seed}, seeds=1{extra})"


def check_gate(
    gate: Callable[[], Any],
    name: str | None = None,
    *,
    seed: int = 0,
    seeds: int = DEFAULT_SEEDS,
    dtype: str = "float64",
) -> list[Record]:
    """Records for a gate class (``forward(*inputs)``, ``backward(upstream)``); ``name``: its own."""
    from oracle.course.loading.finding import Target

    ref = _reference(name or str(getattr(gate, "__name__", "")), GATE)
    return check_target(Target(ref, (gate,), _object_replay([gate], ref, dtype)), seed, seeds, dtype)


def check_layer(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    name: str | None = None,
    *,
    seed: int = 0,
    seeds: int = DEFAULT_SEEDS,
    dtype: str = "float64",
) -> list[Record]:
    """Records for a layer pair; ``name`` defaults to the forward's name without ``_forward``."""
    from oracle.course.loading.finding import Target

    ref = _reference(name or str(getattr(forward, "__name__", "")).removesuffix("_forward"), LAYER)
    replay = _object_replay([forward, backward], ref, dtype)
    return check_target(Target(ref, (forward, backward), replay), seed, seeds, dtype)


def check_loss(
    loss: Callable[..., Any],
    name: str | None = None,
    *,
    seed: int = 0,
    seeds: int = DEFAULT_SEEDS,
    dtype: str = "float64",
) -> list[Record]:
    """Records for a loss ``(x, y) -> (loss, dx)``; ``name`` defaults to the function's."""
    from oracle.course.loading.finding import Target

    ref = _reference(name or str(getattr(loss, "__name__", "")), LOSS)
    return check_target(Target(ref, (loss,), _object_replay([loss], ref, dtype)), seed, seeds, dtype)


@in_x64
def check_module(
    module: ModuleType | str | Path,
    targets: Sequence[str] | None = None,
    *,
    seed: int = 0,
    seeds: int = DEFAULT_SEEDS,
    dtype: str = "float64",
    isolate: bool | None = None,
    timeout: float = 10.0,
    max_memory: str | int = "2G",
) -> list[Record]:
    """Records for every known target in a module (or a .py file); ``UserError`` if it has none.

    ``isolate`` (the default for a path) imports and runs the code in a worker process of
    its own, with ``timeout`` seconds per target and ``max_memory`` of address space (bytes, or "2G"):
    code that hangs, crashes or patches numpy cannot take the test run with it or change
    its verdict. A module object is checked in this process unless ``isolate=True``
    (then its file is imported again, in a worker).
    """
    from oracle.course.loading.finding import load_module, select_targets

    if isolate is None:
        isolate = not isinstance(module, ModuleType)
    if isolate:
        return _check_isolated(module, targets, seed, seeds, dtype, timeout, max_memory)
    path = ""
    if not isinstance(module, ModuleType):
        path, module = str(module), load_module(module)
    found = select_targets(module, targets, dtype, path)
    return [r for target in found for r in check_target(target, seed, seeds, dtype)]


@in_x64
def _check_isolated(
    module: ModuleType | str | Path,
    targets: Sequence[str] | None,
    seed: int,
    seeds: int,
    dtype: str,
    timeout: float,
    max_memory: str | int,
) -> list[Record]:
    from oracle.core.options import memory_size
    from oracle.course.grading.submission import SubmissionCheck, make_submission
    from oracle.course.isolation.sessions import Options

    if seed < 0 or seeds < 1:
        raise ValueError(f"seed must be >= 0 and seeds >= 1, got seed={seed}, seeds={seeds}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    if isinstance(module, ModuleType):
        file = getattr(module, "__file__", None)
        if not file:
            raise ValueError(f"module {module.__name__} has no file to import in a worker: isolate=False")
        module = file
    names = tuple(targets) if targets is not None else None
    limit = memory_size(max_memory) if isinstance(max_memory, str) else int(max_memory)
    options = Options(seed, seeds, dtype, names, True, timeout, limit)
    check = SubmissionCheck(make_submission(Path(module), str(module), single=True), options)
    check.load()
    try:
        return [r for result in check.targets() for r in result.records]
    finally:
        check.close()


def _assert_clean(records: Sequence[Record]) -> None:
    failed = [r for r in records if r.failed]
    if not failed:
        return
    names = ", ".join(dict.fromkeys(r.target for r in failed))
    lines = [
        f"{len(failed)} of {len(records)} gradient checks failed ({names}):",
        records_table(failed, target=True, case=True, engine="student"),
        f"reproduce: {failed[0].replay}",
    ]
    raise AssertionError("\n".join(lines))


def assert_gate_correct(gate: Callable[[], Any], name: str | None = None, **options: Any) -> None:
    """Raise ``AssertionError`` with the failing records unless the gate matches JAX (``check_gate``)."""
    __tracebackhide__ = True
    _assert_clean(check_gate(gate, name, **options))


def assert_layer_correct(
    forward: Callable[..., Any], backward: Callable[..., Any], name: str | None = None, **options: Any
) -> None:
    """Raise ``AssertionError`` with the failing records unless the layer matches JAX (``check_layer``)."""
    __tracebackhide__ = True
    _assert_clean(check_layer(forward, backward, name, **options))


def assert_loss_correct(loss: Callable[..., Any], name: str | None = None, **options: Any) -> None:
    """Raise ``AssertionError`` with the failing records unless the loss matches JAX (``check_loss``)."""
    __tracebackhide__ = True
    _assert_clean(check_loss(loss, name, **options))


def assert_module_correct(
    module: ModuleType | str | Path, targets: Sequence[str] | None = None, **options: Any
) -> None:
    """Raise ``AssertionError`` unless every known target in the module matches JAX (``check_module``)."""
    __tracebackhide__ = True
    _assert_clean(check_module(module, targets, **options))
