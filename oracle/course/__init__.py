"""Check course code against JAX: ``python -m oracle check PATH.py`` and the pytest API.

Students and course staff write gates (``MultiplyGate``), layer pairs (``affine_forward``,
``affine_backward``) and losses (``svm_loss``). This module finds the known ones in a
file (``oracle.course.refs`` lists them; ``register_reference`` adds more) and checks each
on random inputs (several shapes and seeds, random upstream gradients) and on edge inputs
at its kinks, exactly, against JAX (``oracle.course.judge``).

CSV rows are report rows (``oracle.core.compare.Record``) plus ``target``, the name checked.
In them ``tested_value`` holds the *student's* value at the worst element: for course
checks the code under judgement is the student's, not the engine's.

From pytest::

    from oracle.course import assert_gate_correct, assert_layer_correct, assert_module_correct

    def test_layers():
        assert_layer_correct(affine_forward, affine_backward)  # name from the function: "affine"
        assert_module_correct("layers.py")  # every known target in the file

Each raises ``AssertionError`` with the table of failing records; ``check_*`` return the records.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import inspect
import itertools
import re
import shlex
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from oracle.core.compare import DTYPES
from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE, UserError
from oracle.core.options import whole_number
from oracle.core.output import check_writable
from oracle.core.record import ERROR, MATCH, STATUSES, Record, to_frame
from oracle.core.table import records_table
from oracle.course.judge import cases_for, describe_exception, judge_target
from oracle.course.refs import (
    GATE,
    LAYER,
    LOSS,
    REFERENCES,
    Reference,
    known_names,
    register_reference,
    with_zeros,
)

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

DEFAULT_SEEDS = 3


@dataclass(frozen=True)
class Target:
    """A known name found in student code: the reference, the code, how to replay one seed."""

    ref: Reference
    impl: tuple[Any, ...]  # gate: (class,); layer: (forward, backward); loss: (function,)
    replay: Callable[[int], str]  # seed -> a command that reproduces that seed's checks
    problem: str = ""  # the code is not checkable: a missing half, not a function


def check_target(
    target: Target, seed: int = 0, seeds: int = DEFAULT_SEEDS, dtype: str = "float64"
) -> list[Record]:
    """Every record of one target: ``seeds`` seeds from ``seed`` on, every shape, random and edge inputs."""
    if seed < 0 or seeds < 1:
        raise ValueError(f"seed must be >= 0 and seeds >= 1, got seed={seed}, seeds={seeds}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    ref = target.ref
    if target.problem:
        case_id = hashlib.sha256(f"{ref.name}|{target.problem}".encode()).hexdigest()[:12]
        record = Record(
            case_id, "", "", dtype, ERROR, target.problem, ops=ref.name, n_nodes=1, target=ref.name
        )
        record.replay = target.replay(seed)
        return [record]
    return judge_target(ref, target.impl, range(seed, seed + seeds), dtype, target.replay)


# ----------------------------------------------------------------- finding code


_module_numbers = itertools.count()


def load_module(path: str | Path) -> ModuleType:
    """Import a student's .py file under a fresh module name; a ``UserError`` says why it cannot be."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a directory, not a .py file")
    if path.suffix != ".py":
        raise UserError(f"{path}: not a .py file")
    stem = re.sub(r"\W", "_", path.stem)
    name = f"_oracle_checked_{next(_module_numbers)}_{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserError(f"{path}: cannot import")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # its sibling modules import as they would under ``python PATH``
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        same = exc.filename and Path(exc.filename).resolve() == path.resolve()
        if same:
            raise UserError(f"{path}:{exc.lineno}: cannot import: SyntaxError: {exc.msg}") from None
        raise UserError(
            f"{path}: cannot import: SyntaxError: {exc.msg} ({exc.filename}:{exc.lineno})"
        ) from None
    except (Exception, SystemExit) as exc:  # whatever the file does at import
        sys.modules.pop(name, None)
        raise UserError(f"{path}: cannot import: {describe_exception(exc)}") from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _cli_replay(path: str, name: str, dtype: str) -> Callable[[int], str]:
    extra = "" if dtype == "float64" else f" --dtype {dtype}"
    command = f"python -m oracle check {shlex.quote(path)} --target {name}"
    return lambda seed: f"{command} --seed {seed} --seeds 1{extra}"


def find_targets(
    module: ModuleType, names: Sequence[str] | None = None, dtype: str = "float64", path: str = ""
) -> list[Target]:
    """The known targets that ``module`` defines (only ``names``, if given), in the table's order.

    ``path`` is the file as the user named it, for the replay commands.
    """
    path = path or getattr(module, "__file__", None) or module.__name__
    targets = []
    for ref in REFERENCES.values():
        if names is not None and ref.name not in names:
            continue
        objects = [getattr(module, n, None) for n in ref.student_names]
        if all(o is None for o in objects):
            continue
        targets.append(
            Target(ref, tuple(objects), _cli_replay(path, ref.name, dtype), _problem(ref, objects))
        )
    return targets


def select_targets(
    module: ModuleType, names: Sequence[str] | None, dtype: str = "float64", path: str = ""
) -> list[Target]:
    """``find_targets``, but a ``UserError`` for an unknown name or when nothing is found."""
    where = path or getattr(module, "__file__", None) or module.__name__
    for name in names or ():
        if name not in REFERENCES:
            raise UserError(f"--target {name}: not a known name (known: {', '.join(REFERENCES)})")
    found = find_targets(module, names, dtype, path)
    if not found and names:
        wanted = ", ".join("/".join(REFERENCES[n].student_names) for n in names)
        raise UserError(f"{where}: defines no {wanted}")
    if not found:
        raise UserError(f"{where}: no known gate, layer or loss; looked for {known_names()}")
    return found


def _problem(ref: Reference, objects: Sequence[Any]) -> str:
    for name, obj in zip(ref.student_names, objects, strict=True):
        if obj is None:
            other = next(n for n, o in zip(ref.student_names, objects, strict=True) if o is not None)
            return f"{name} is missing ({other} is defined)"
        if not callable(obj):
            what = "a class" if ref.kind == GATE else "a function"
            return f"{name} is a {type(obj).__name__}, not {what}"
    return ""


def _reference(name: str, kind: str) -> Reference:
    ref = REFERENCES.get(name)
    if ref is None or ref.kind != kind:
        known = ", ".join(r.name for r in REFERENCES.values() if r.kind == kind)
        raise ValueError(f"{name!r} is not a known {kind} (known: {known}; see register_reference)")
    return ref


def _object_replay(objects: Sequence[Any], ref: Reference, dtype: str) -> Callable[[int], str]:
    """The CLI command if the code is what its file defines under the target's names, else a Python call."""
    module = inspect.getmodule(objects[0])
    try:
        path = inspect.getsourcefile(objects[0])
    except TypeError:
        path = None
    pairs = zip(ref.student_names, objects, strict=True)
    if path and module is not None and all(getattr(module, n, None) is o for n, o in pairs):
        return _cli_replay(path, ref.name, dtype)
    names = ", ".join(getattr(o, "__name__", "...") for o in objects)
    call = f"oracle.course.check_{ref.kind}({names}, name={ref.name!r}"
    extra = "" if dtype == "float64" else f", dtype={dtype!r}"
    return lambda seed: f"{call}, seed={seed}, seeds=1{extra})"


# ----------------------------------------------------------------- Python API


def check_gate(
    gate: Callable[[], Any],
    name: str | None = None,
    *,
    seed: int = 0,
    seeds: int = DEFAULT_SEEDS,
    dtype: str = "float64",
) -> list[Record]:
    """Records for a gate class (``forward(*inputs)``, ``backward(upstream)``); ``name``: its own."""
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
    ref = _reference(name or str(getattr(loss, "__name__", "")), LOSS)
    return check_target(Target(ref, (loss,), _object_replay([loss], ref, dtype)), seed, seeds, dtype)


def check_module(
    module: ModuleType | str | Path,
    targets: Sequence[str] | None = None,
    *,
    seed: int = 0,
    seeds: int = DEFAULT_SEEDS,
    dtype: str = "float64",
) -> list[Record]:
    """Records for every known target in a module (or a .py file); ``UserError`` if it has none."""
    path = ""
    if not isinstance(module, ModuleType):
        path, module = str(module), load_module(module)
    found = select_targets(module, targets, dtype, path)
    return [r for target in found for r in check_target(target, seed, seeds, dtype)]


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


# ------------------------------------------------------------------------ CLI


def register(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="check the gates, layers and losses in a course .py file",
        description="Check every known gate, layer and loss in a .py file against JAX. "
        "Exit 0: all correct; 1: a mismatch or error; 2: bad input.",
    )
    parser.add_argument("path", help="the .py file to check")
    parser.add_argument("--out", default="reports/check.csv", help="CSV report (default: %(default)s)")
    parser.add_argument(
        "--target", action="append", metavar="NAME", help="check only NAME (repeatable, or NAME,NAME)"
    )
    parser.add_argument("--seed", type=whole_number(0), default=0, help="first seed (default: %(default)s)")
    parser.add_argument(
        "--seeds",
        type=whole_number(1),
        default=DEFAULT_SEEDS,
        help="how many seeds (default: %(default)s)",
    )
    parser.add_argument(
        "--dtype", choices=DTYPES, default="float64", help="input dtype (default: %(default)s)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show every record, not only the problems"
    )
    parser.set_defaults(run=run)


def _counts(records: Sequence[Record]) -> str:
    counts = Counter(r.status for r in records)
    return ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])


def _many(n: int, noun: str) -> str:
    return f"{n} {noun}" + "s" * (n != 1)


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    out = check_writable(args.out)
    module = load_module(path)
    names = [n for option in args.target for n in option.split(",") if n] if args.target else None
    targets = select_targets(module, names, args.dtype, args.path)
    last = args.seed + args.seeds - 1
    seeds = f"seed {args.seed}" if args.seeds == 1 else f"seeds {args.seed}-{last}"
    print(f"checking {path}: {_many(len(targets), 'target')}, {seeds}, {args.dtype}")
    records: list[Record] = []
    try:
        for target in targets:
            found = check_target(target, args.seed, args.seeds, args.dtype)
            records += found
            ref = target.ref
            n_cases = 0 if target.problem else len(cases_for(ref, range(args.seeds), args.dtype))
            jax_name = f", JAX {ref.op}" if ref.op else ""
            counts = f"{_many(n_cases, 'case')}, {_many(len(found), 'record')}: {_counts(found)}"
            print(f"{ref.name} ({ref.kind}{jax_name}): {counts}")
            shown = found if args.verbose else [r for r in found if r.status != MATCH]
            if shown:
                print(records_table(shown, case=True, engine="student"))
    finally:  # the records computed so far reach the disk, whatever happens
        to_frame(records, target=True).to_csv(out, index=False)
    summary = f"{_many(len(targets), 'target')}, {_many(len(records), 'record')}: {_counts(records)}"
    print(f"{summary}; wrote {out}")
    return EXIT_DIVERGENCE if any(r.failed for r in records) else EXIT_CLEAN
