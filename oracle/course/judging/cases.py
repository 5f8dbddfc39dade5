"""One case of a course check, and JAX's side of it: the inputs drawn from the seed, JAX's answer.

A ``CourseCase`` draws its inputs from its seed alone (same case, same bits); ``run_jax``
computes the reference's output, the gradients pulled back from the upstream gradient and
the extras, jitted once per reference, settings and shape. A ``Runner`` gets the student's
answer for the same inputs: ``in_process`` here, a worker process when checks are isolated
(``oracle.course.isolation``). Both judges use these: ``judge`` against JAX, ``fd_judge`` by
finite differences of the student's own forward.
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

from oracle.core.judgement import Outcome
from oracle.course.calling.calls import describe_exception, run
from oracle.course.reference import Reference, Shape

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
        CourseCase(ref, seed, index, edge, ref.dtype or dtype)
        for seed in seeds
        for index in range(len(ref.shapes))
        for edge in variants
    ]


def hashable(settings: Mapping[str, Any]) -> tuple[tuple[str, Any], ...] | None:
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
    key = hashable(settings)
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


def output(fn: Callable[..., Any], aux: bool, settings: Mapping[str, Any], *args: Any) -> Any:
    result = fn(*args, **settings)
    return result[0] if aux else result


@functools.cache
def jitted_output(
    fn: Callable[..., Any], aux: bool, settings: tuple[tuple[str, Any], ...]
) -> Callable[..., Any]:
    return jax.jit(functools.partial(output, fn, aux, dict(settings)))
