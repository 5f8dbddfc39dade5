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
elements on a kink (see ``oracle.course.reference``) is a ``kink``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from oracle.core import finite_diff
from oracle.core.compare import compare
from oracle.core.finite_diff import agreement
from oracle.core.judgement import Ladder, Outcome, judge_input
from oracle.core.record import KINK, MATCH, MISMATCH, Record, shape_text
from oracle.course.calling.calls import FD_KINDS, describe_exception, run
from oracle.course.judging import bugs
from oracle.course.judging.verdicts import once_if_unfinished
from oracle.course.reference import GATE, Reference, Shape

MAX_KINK_PROBES = 64  # elements on a kink whose value is checked to be a subgradient

# (reference, inputs, upstream, settings) -> the student's Outcome. ``in_process`` calls the
# student's objects here; ``oracle.course.isolation.sandbox`` asks a worker process that holds them.
Runner = Callable[[Reference, Sequence[np.ndarray], "np.ndarray | None", Mapping[str, Any]], Outcome]


def in_process(impl: Sequence[Any]) -> Runner:
    """Run the reference's call on the student's objects in this process."""

    def runner(
        ref: Reference, inputs: Sequence[np.ndarray], upstream: np.ndarray | None, settings: Mapping[str, Any]
    ) -> Outcome:
        assert ref.call is not None
        return run(ref.call, ref.name, ref.inputs, impl, inputs, upstream, settings)

    return runner


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
    def settings(self) -> Mapping[str, Any]:
        return self.ref.settings_for(self.shape_index)

    @property
    def case_id(self) -> str:
        key = f"{self.ref.name}|{self.seed}|{self.shapes}|{'edge' if self.edge else 'random'}|{self.dtype}"
        if self.settings:
            key += f"|{sorted(self.settings.items())}"
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


def _hashable(settings: Mapping[str, Any]) -> tuple[tuple[str, Any], ...] | None:
    items = tuple(sorted(settings.items()))
    try:
        hash(items)
    except TypeError:
        return None
    return items


@functools.cache
def _compiled(fn: Callable[..., Any], n_wrt: int, aux: bool, settings: tuple[tuple[str, Any], ...]) -> Any:
    """One XLA program per reference, settings and shape: compiling each primitive eagerly costs more."""
    return jax.jit(functools.partial(_vjp, fn, n_wrt, aux, dict(settings)))


def _vjp(
    fn: Callable[..., Any], n_wrt: int, aux: bool, settings: Mapping[str, Any], args: Any, upstream: Any
) -> tuple[Any, Any, Any]:
    """The output, the gradients of the first ``n_wrt`` arrays pulled back from ``upstream``, the extras."""
    rest = args[n_wrt:]

    def f(*wrt: Any) -> Any:
        return fn(*wrt, *rest, **settings)

    if aux:
        out, pullback, extras = jax.vjp(f, *args[:n_wrt], has_aux=True)
    else:
        (out, pullback), extras = jax.vjp(f, *args[:n_wrt]), {}
    return out, pullback(upstream), extras


def upstream_for(
    ref: Reference, inputs: Sequence[np.ndarray], rng: np.random.Generator, settings: Mapping[str, Any]
) -> np.ndarray | None:
    """A random upstream gradient of the output's shape (None for a scalar loss)."""
    if not ref.upstream:
        return None
    args = tuple(jnp.asarray(v) for v in inputs)
    shape = jax.eval_shape(lambda *a: ref.fn(*a, **settings), *args)
    if ref.aux:
        shape = shape[0]
    return np.asarray(rng.standard_normal(shape.shape)).astype(shape.dtype)


def run_jax(
    ref: Reference, inputs: Sequence[np.ndarray], upstream: np.ndarray | None, settings: Mapping[str, Any]
) -> Outcome:
    """JAX's output, gradients and extras: jitted, or eagerly for a reference that cannot be jitted."""
    args = tuple(jnp.asarray(v) for v in inputs)
    n = len(ref.inputs)
    key = _hashable(settings)
    attempts = [True, False] if key is not None else [False]
    for jit in attempts:
        try:
            if upstream is None:  # a scalar loss: its gradient is the pullback of 1
                shape = jax.eval_shape(lambda *a: ref.fn(*a, **settings), *args)
                cotangent = jnp.ones((shape[0] if ref.aux else shape).shape, dtype=args[0].dtype)
            else:
                cotangent = jnp.asarray(upstream)
            run_vjp = _compiled(ref.fn, n, ref.aux, key) if jit and key is not None else None
            if run_vjp is not None:
                out, grads, extras = run_vjp(args, cotangent)
            else:
                out, grads, extras = _vjp(ref.fn, n, ref.aux, settings, args, cotangent)
            named = {name: np.asarray(g) for name, g in zip(ref.inputs, grads, strict=True)}
            return Outcome(np.asarray(out), named, extras={k: np.asarray(v) for k, v in extras.items()})
        except Exception as exc:  # a user's reference may be broken too, or not jittable
            if jit:
                continue
            return Outcome(error=f"the JAX reference for {ref.name} raised {describe_exception(exc)}")
    raise AssertionError("unreachable")


class Judgement:
    """One case judged: the inputs, both sides' outcomes, and the records, one per input gradient."""

    def __init__(
        self, case: CourseCase, impl: Sequence[Any], replay: str, runner: Runner | None = None
    ) -> None:
        self.case = case
        self.ref = ref = case.ref
        rng = case.rng()
        self.inputs = case.draw(rng)
        self.settings = settings = case.settings
        try:
            self.upstream = upstream_for(ref, self.inputs, rng, settings)
        except Exception as exc:  # a user's reference that cannot even be traced
            self.upstream = None
            self.student = Outcome()
            self.jax = Outcome(error=f"the JAX reference for {ref.name} raised {describe_exception(exc)}")
            self.replay = replay
            return
        self.student = (runner or in_process(impl))(ref, self.inputs, self.upstream, settings)
        if ref.adapt is not None and not (self.student.error or self.student.problem):
            settings = ref.adapt(settings, self.student, self.inputs)
        self.settings = settings
        self.jax = run_jax(ref, self.inputs, self.upstream, settings)
        self.replay = replay

    def records(self) -> list[Record]:
        found = [self._record(i, name) for i, name in enumerate(self.ref.inputs)]
        review = getattr(self.ref, "review", None)  # a target that knows its classic bugs names them
        if review is not None:
            review(self, found)
        return found

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
        record.warning = self.student.warning
        record.detail = bugs.with_known_bug(self, record, i)
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
        if not np.any(grad) and np.any(expected):
            return "your gradient is 0 everywhere (not computed yet?)"
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
        key = _hashable(self.settings)
        try:
            if key is None:
                raise TypeError("settings that cannot be jitted")
            result = _forward(self.ref.fn, self.ref.aux, key)(*args)
        except Exception:  # a user's reference that cannot be jitted
            result = _output(self.ref.fn, self.ref.aux, self.settings, *args)
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


def _output(fn: Callable[..., Any], aux: bool, settings: Mapping[str, Any], *args: Any) -> Any:
    result = fn(*args, **settings)
    return result[0] if aux else result


@functools.cache
def _forward(fn: Callable[..., Any], aux: bool, settings: tuple[tuple[str, Any], ...]) -> Callable[..., Any]:
    return jax.jit(functools.partial(_output, fn, aux, dict(settings)))


def judge_target(
    ref: Reference,
    impl: Sequence[Any],
    seeds: Sequence[int],
    dtype: str,
    replay: Callable[[int], str],
    runner: Runner | None = None,
) -> list[Record]:
    """Records for every case of one target: one per input gradient per case."""
    if ref.kind in FD_KINDS:  # no JAX reference: finite differences of the student's own forward
        from oracle.course.judging.fd_judge import judge_fd_target

        return judge_fd_target(ref, impl, seeds, dtype, replay, runner)
    records = [
        record
        for case in cases_for(ref, seeds, dtype)
        for record in Judgement(case, impl, replay(case.seed), runner).records()
    ]
    return once_if_unfinished(records)
