"""Judge course code on one case: run the student's gate, layer or loss and JAX's reference, compare.

Data flows one way: a ``CourseCase`` draws the inputs (and the upstream gradient) from
its seed -> the student's code and ``jax.vjp`` of the reference -> ``compare`` -> one
``Record`` per input gradient. Student code never crashes the checker: an exception is an
``error`` record, a gradient that is missing, None, of the wrong shape or the wrong dtype
a ``mismatch`` whose detail says so.

The ladder of statuses is ``oracle.core.judgement``'s, the one campaigns climb too; what
is the course's own is how the student's code is called and how a disagreement is
explained. In these records ``tested_value`` holds the student's value at the worst
element, ``jax_value`` JAX's, and ``fd_value`` a float64 central finite difference of
JAX's function: the third opinion when the two disagree. A disagreement only at
elements on a kink (see ``oracle.course.refs``) is a ``kink``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sysconfig
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from oracle.core import finite_diff
from oracle.core.compare import compare
from oracle.core.finite_diff import agreement
from oracle.core.judgement import Ladder, Outcome, describe, judge_input
from oracle.core.record import KINK, MATCH, MISMATCH, Record, shape_text
from oracle.course.refs import GATE, LAYER, LOSS, Reference, Shape

MAX_KINK_PROBES = 64  # elements on a kink whose value is checked to be a subgradient

# Frames in these are not the student's: oracle itself, the standard library, installed packages.
_PATHS = sysconfig.get_paths()
_LIBRARIES = tuple(
    os.path.join(folder, "")
    for folder in {
        os.path.dirname(os.path.abspath(__file__)),
        _PATHS["stdlib"],
        _PATHS["purelib"],
        _PATHS["platlib"],
    }
)


@dataclass(frozen=True)
class CourseCase:
    """One check of one target: a seed, one of its shapes, random or edge inputs, a dtype."""

    ref: Reference
    seed: int
    shape_index: int
    edge: bool
    dtype: str

    @property
    def shapes(self) -> tuple[Shape, ...]:
        return self.ref.shapes[self.shape_index]

    @property
    def case_id(self) -> str:
        key = f"{self.ref.name}|{self.seed}|{self.shapes}|{'edge' if self.edge else 'random'}|{self.dtype}"
        return hashlib.sha256(key.encode()).hexdigest()[:12]

    def rng(self) -> np.random.Generator:
        """Same case, same bits: the generator depends on the seed and the case, nothing else."""
        salt = int.from_bytes(
            hashlib.sha256(f"{self.ref.name}|{self.shape_index}|{self.edge}".encode()).digest()[:8]
        )
        return np.random.default_rng([self.seed, salt])

    def draw(self, rng: np.random.Generator) -> list[np.ndarray]:
        sample = self.ref.edge if self.edge and self.ref.edge else self.ref.sample
        values = [np.asarray(v) for v in sample(rng, self.shapes)]
        return [v.astype(self.dtype) if v.dtype.kind == "f" else v for v in values]


def cases_for(ref: Reference, seeds: Sequence[int], dtype: str) -> list[CourseCase]:
    """Every shape of the target for every seed, random inputs and, if it has them, edge inputs."""
    variants = (False, True) if ref.edge else (False,)
    return [
        CourseCase(ref, seed, index, edge, dtype)
        for seed in seeds
        for index in range(len(ref.shapes))
        for edge in variants
    ]


def describe_exception(exc: BaseException) -> str:
    """``Type: message (file.py:line)``: the last frame outside oracle and the libraries, if there is one."""
    message = f"{type(exc).__name__}: {exc}".splitlines()[0]
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if not f.filename.startswith(_LIBRARIES) and "<" not in f.filename]
    return message + (f" ({os.path.basename(own[-1].filename)}:{own[-1].lineno})" if own else "")


def _student_copy(value: np.ndarray) -> Any:
    """A fresh copy for the student to keep or modify; a 0-d array becomes a numpy scalar."""
    return value[()] if value.ndim == 0 else value.copy()


def _gradient_list(returned: Any, arity: int, stage: str, names: Sequence[str]) -> tuple[list[Any], str]:
    """The gradients a backward returned, or what is wrong with them."""
    if returned is None:
        return [], f"{stage} returned None (a missing return?)"
    if isinstance(returned, list | tuple):
        grads = list(returned)
    elif arity == 1:
        grads = [returned]
    else:
        return [], f"{stage} returned {describe(returned)}, expected {arity} gradients ({', '.join(names)})"
    if len(grads) != arity:
        count = f"{len(grads)} gradient" + "s" * (len(grads) != 1)
        return [], f"{stage} returned {count}, expected {arity} ({', '.join(names)})"
    return grads, ""


def run_student(
    ref: Reference, impl: Sequence[Any], inputs: Sequence[np.ndarray], upstream: np.ndarray | None
) -> Outcome:
    """Call the student's code on copies of the inputs; never raises for anything the code does."""
    args = [_student_copy(v) for v in inputs]
    names = ref.inputs
    stage = ref.name
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if ref.kind == GATE:
                stage = f"{ref.name}()"
                gate = impl[0]()
                stage = f"{ref.name}.forward"
                out = gate.forward(*args)
                assert upstream is not None
                stage = f"{ref.name}.backward"
                returned = gate.backward(_student_copy(upstream))
                grads, problem = _gradient_list(returned, len(names), stage, names)
                return Outcome(out, dict(zip(names, grads, strict=False)), problem=problem)
            if ref.kind == LAYER:
                forward, backward = impl
                stage = f"{ref.name}_forward"
                result = forward(*args)
                if not isinstance(result, list | tuple) or len(result) != 2:
                    return Outcome(problem=f"{stage} returned {describe(result)}, expected (out, cache)")
                out, cache = result
                assert upstream is not None
                stage = f"{ref.name}_backward"
                returned = backward(_student_copy(upstream), cache)
                grads, problem = _gradient_list(returned, len(names), stage, names)
                return Outcome(out, dict(zip(names, grads, strict=False)), problem=problem)
            result = impl[0](*args)
            if not isinstance(result, list | tuple) or len(result) != 2:
                return Outcome(problem=f"{stage} returned {describe(result)}, expected (loss, dx)")
            return Outcome(result[0], {names[0]: result[1]})
    except (Exception, SystemExit) as exc:  # the code under judgement may raise anything
        return Outcome(error=f"{stage} raised {describe_exception(exc)}")


@functools.cache
def _compiled(fn: Callable[..., Any], kind: str) -> Callable[..., Any]:
    """One XLA program per reference (and shape): compiling each primitive eagerly costs more."""
    if kind == LOSS:
        return jax.jit(jax.value_and_grad(fn))  # fn(scores, labels): the gradient for the scores

    def output_and_gradients(args: tuple[jax.Array, ...], upstream: jax.Array) -> tuple[jax.Array, Any]:
        out, pullback = jax.vjp(fn, *args)
        return out, pullback(upstream)

    return jax.jit(output_and_gradients)


def _jax_side(
    ref: Reference, inputs: Sequence[np.ndarray], rng: np.random.Generator, jit: bool
) -> tuple[Outcome, np.ndarray | None]:
    args = tuple(jnp.asarray(v) for v in inputs)
    if ref.kind == LOSS:
        value, grad = (_compiled(ref.fn, LOSS) if jit else jax.value_and_grad(ref.fn))(*args)
        return Outcome(np.asarray(value), {ref.inputs[0]: np.asarray(grad)}), None
    shape = jax.eval_shape(ref.fn, *args)
    upstream = np.asarray(rng.standard_normal(shape.shape)).astype(shape.dtype)
    if jit:
        out, grads = _compiled(ref.fn, ref.kind)(args, jnp.asarray(upstream))
    else:
        out, pullback = jax.vjp(ref.fn, *args)
        grads = pullback(jnp.asarray(upstream))
    return Outcome(
        np.asarray(out), {n: np.asarray(g) for n, g in zip(ref.inputs, grads, strict=True)}
    ), upstream


def run_jax(
    ref: Reference, inputs: Sequence[np.ndarray], rng: np.random.Generator
) -> tuple[Outcome, np.ndarray | None]:
    """JAX's output and gradients; for a gate or layer also the random upstream gradient it pulled back.

    Jitted; a user's reference that cannot be jitted runs eagerly, on the same upstream gradient.
    """
    state = rng.bit_generator.state
    try:
        return _jax_side(ref, inputs, rng, jit=True)
    except Exception:
        rng.bit_generator.state = state
    try:
        return _jax_side(ref, inputs, rng, jit=False)
    except Exception as exc:  # a user's reference may be broken too
        return Outcome(error=f"the JAX reference for {ref.name} raised {describe_exception(exc)}"), None


class Judgement:
    """One case judged: the inputs, both sides' outcomes, and the records, one per input gradient."""

    def __init__(self, case: CourseCase, impl: Sequence[Any], replay: str) -> None:
        self.case = case
        self.ref = case.ref
        rng = case.rng()
        self.inputs = case.draw(rng)
        self.jax, self.upstream = run_jax(self.ref, self.inputs, rng)
        self.student = (
            Outcome() if self.jax.error else run_student(self.ref, impl, self.inputs, self.upstream)
        )
        self.replay = replay

    def records(self) -> list[Record]:
        return [self._record(i, name) for i, name in enumerate(self.ref.inputs)]

    def _record(self, i: int, name: str) -> Record:
        case = self.case
        record = Record(
            case_id=case.case_id,
            input=name,
            shape=shape_text(self.inputs[i].shape),
            dtype=case.dtype,
            status=MATCH,
            ops=self.ref.name,
            n_nodes=1,
            seed=case.seed,
            replay=self.replay,
            target=self.ref.name,
        )
        ladder = Ladder(
            "student",
            case.dtype,
            lambda name, grad, expected, result, record: self._explain(i, name, grad, expected, record),
            check_dtype=True,
            shape_hint=lambda name, grad, expected: self._shape_hint(grad, expected),
        )
        judge_input(ladder, record, name, self.student, self.jax)
        edge = f"edge case ({self.ref.edge_text})" if case.edge else ""
        record.detail = "; ".join(part for part in (edge, record.detail) if part)
        return record

    def _explain(
        self, i: int, name: str, grad: np.ndarray, expected: np.ndarray, record: Record
    ) -> tuple[str, str]:
        """They disagree: a kink if only at elements on a kink, else a mismatch, with a hint if one fits."""
        dtype = self.case.dtype
        index = tuple(int(k) for k in compare(grad, expected, dtype).worst_index)
        masks = self.ref.kink_masks(self.inputs)
        on_kink = masks[i] if masks is not None and i < len(masks) else np.zeros(grad.shape, dtype=bool)
        if on_kink.any():
            rest = compare(grad[~on_kink], expected[~on_kink], dtype)
            if rest.ok:
                return self._on_kink(i, grad, expected, on_kink, index, record)
            # Report the worst element off the kink: that is the bug.
            index = tuple(int(k) for k in np.argwhere(~on_kink)[rest.worst_index[0]])
            record.tested_value, record.jax_value = float(grad[index]), float(expected[index])
            record.worst_index = shape_text(index)
        fd = self._central_fd(i, index)
        record.fd_value = fd
        hint = self._value_hint(i, grad, expected, index)
        return MISMATCH, (
            f"student {float(grad[index]):.9g} vs jax {float(expected[index]):.9g} at {list(index)}; "
            f"central fd {fd:.6g} {agreement(fd, float(grad[index]), float(expected[index]), 'student')}"
            + (f"; {hint}" if hint else "")
        )

    def _shape_hint(self, grad: np.ndarray, expected: np.ndarray) -> str:
        dtype = self.case.dtype
        if grad.shape != expected.shape:
            if grad.size == expected.size and compare(grad.reshape(expected.shape), expected, dtype).ok:
                return f"the right values: reshape to {shape_text(expected.shape)} is missing"
            if grad.ndim == 2 and grad.T.shape == expected.shape and compare(grad.T, expected, dtype).ok:
                return "the right values, transposed"
            return ""
        if grad.dtype.kind == "f" and compare(grad, expected, "float32").ok:
            return "the values agree to float32 precision"
        return ""

    def _value_hint(self, i: int, grad: np.ndarray, expected: np.ndarray, index: tuple[int, ...]) -> str:
        """Name the bug when it is one of the classic ones."""
        dtype = self.case.dtype
        if compare(-grad, expected, dtype).ok:
            return "wrong sign: the gradient is -1 times JAX's"
        up = self.upstream
        if up is not None and up.shape == grad.shape and compare(grad * up, expected, dtype).ok:
            return "the upstream gradient is not multiplied in"
        for other, other_grad in self.jax.grads.items():
            if (
                other != self.ref.inputs[i]
                and other_grad.shape == grad.shape
                and compare(grad, other_grad, dtype).ok
            ):
                return f"it equals JAX's gradient for {other}: gradients swapped?"
        if expected[index] != 0:
            factor = float(grad[index] / expected[index])
            if compare(grad, factor * expected, dtype).ok:
                text = f"{factor:.6g} times JAX's gradient everywhere"
                n = self.inputs[0].shape[0] if self.ref.kind != GATE and self.inputs[0].ndim else 0
                if n > 1 and abs(factor - n) < 1e-6 * n:
                    text += f": the division by N = {n} is missing"
                elif n > 1 and abs(factor * n - 1) < 1e-6:
                    text += f": divided by N = {n} once too often"
                return text
        return ""

    def _loss(self, values: Sequence[np.ndarray]) -> float:
        args = [jnp.asarray(v) for v in values]
        try:
            result = _forward(self.ref.fn)(*args)
        except Exception:  # a user's reference that cannot be jitted
            result = self.ref.fn(*args)
        out = np.asarray(result, dtype=np.float64)
        if self.upstream is None:
            return float(out)
        return float(np.sum(self.upstream.astype(np.float64) * out))

    def _moved(self, i: int, index: tuple[int, ...], d: float) -> list[np.ndarray]:
        """The inputs in float64, element ``index`` of input ``i`` moved by ``d``."""
        values = [v.astype(np.float64) if v.dtype.kind == "f" else v.copy() for v in self.inputs]
        values[i][index] += d
        return values

    def _loss_at(self, i: int, index: tuple[int, ...]) -> finite_diff.Loss:
        return lambda d: self._loss(self._moved(i, index, d))

    def _central_fd(self, i: int, index: tuple[int, ...]) -> float:
        """d(upstream . f)/d(input i at index), central difference of JAX's function in float64."""
        return finite_diff.central(self._loss_at(i, index), float(self.inputs[i][index]))

    def _slopes(self, i: int, index: tuple[int, ...]) -> tuple[float, float]:
        """The one-sided slopes (left, right) of upstream . f along one element, in float64."""
        return finite_diff.one_sided(self._loss_at(i, index), float(self.inputs[i][index]))

    def _on_kink(
        self,
        i: int,
        grad: np.ndarray,
        expected: np.ndarray,
        on_kink: np.ndarray,
        index: tuple[int, ...],
        record: Record,
    ) -> tuple[str, str]:
        """They differ only on kinks: a kink, unless a value there is no subgradient at all.

        A valid choice lies between the two one-sided slopes (both included); anything
        else, e.g. twice the upstream gradient at relu's 0, is a mismatch.
        """
        differing = np.argwhere(on_kink & (grad != expected))[:MAX_KINK_PROBES]
        for probe in (tuple(int(k) for k in row) for row in differing):
            left, right = self._slopes(i, probe)
            low, high = min(left, right), max(left, right)
            slack = finite_diff.FD_AGREES * max(1.0, abs(low), abs(high))
            if not low - slack <= float(grad[probe]) <= high + slack:
                record.tested_value, record.jax_value = float(grad[probe]), float(expected[probe])
                record.worst_index = shape_text(probe)
                record.fd_value = self._central_fd(i, probe)
                return MISMATCH, (
                    f"student {float(grad[probe]):.9g} at {list(probe)}, on {self.ref.kink_text}, is no "
                    f"subgradient: the one-sided slopes there are {left:.6g} (left) and {right:.6g} (right)"
                )
        left, right = self._slopes(i, index)
        record.fd_value = self._central_fd(i, index)
        count = int(on_kink.sum())
        return KINK, (
            f"differs only on {self.ref.kink_text} ({count} of {grad.size} elements sit there): "
            f"student {float(grad[index]):.9g} vs jax {float(expected[index]):.9g} at {list(index)}; "
            f"one-sided slopes {left:.6g} (left) and {right:.6g} (right)"
        )


@functools.cache
def _forward(fn: Callable[..., Any]) -> Callable[..., Any]:
    return jax.jit(fn)


def judge_target(
    ref: Reference, impl: Sequence[Any], seeds: Sequence[int], dtype: str, replay: Callable[[int], str]
) -> list[Record]:
    """Records for every case of one target: one per input gradient per case."""
    return [
        record
        for case in cases_for(ref, seeds, dtype)
        for record in Judgement(case, impl, replay(case.seed)).records()
    ]
