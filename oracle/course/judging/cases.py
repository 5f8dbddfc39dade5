"""One case of a course check, and JAX's side of it: the inputs drawn from the seed, JAX's answer.

A ``CourseCase`` draws its inputs from its seed alone (same case, same bits); ``run_jax``
computes the reference's output, the gradients pulled back from the upstream gradient and
the extras, jitted once per reference, settings and shape. A ``Runner`` gets the student's
answer for the same inputs: ``in_process`` here, a worker process when checks are isolated
(``oracle.course.isolation``). Both judges use these: ``judge`` against JAX, ``fd_judge`` by
finite differences of the student's own forward.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.calls import describe_exception, run
from oracle.course.judging import result_cache
from oracle.course.reference import BUILTIN, Reference, Shape

# (reference, inputs, upstream, settings) -> the student's Outcome. ``in_process`` calls the
# student's objects here; ``oracle.course.isolation.sandbox`` asks a worker process that holds them.
Specs = tuple[tuple[tuple[int, ...], str], ...]  # each input's shape and dtype (its ``dtype.str``)
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
    shape, dtype = output_spec(ref, inputs, settings)
    return np.asarray(rng.standard_normal(shape)).astype(dtype)


def output_spec(
    ref: Reference, inputs: Sequence[np.ndarray], settings: Mapping[str, Any]
) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """The shape and dtype of the reference's output (its first, with extras) for these inputs:
    traced once per reference, settings, input shapes and dtypes (``_traced``)."""
    key = hashable(settings)
    specs = tuple((tuple(np.shape(v)), np.asarray(v).dtype.str) for v in inputs)
    cache, stored = result_cache.active(), _stored_key("shape", ref, settings, (), repr(specs))
    if cache is not None and stored is not None:
        found = cache.get(stored)
        if found is not None and set(found) == {"shape", "dtype"}:
            with contextlib.suppress(TypeError, ValueError):
                return tuple(int(n) for n in found["shape"]), np.dtype(found["dtype"].tobytes().decode())
    spec = _trace(ref.fn, ref.aux, settings, specs) if key is None else _traced(ref.fn, ref.aux, key, specs)
    if cache is not None and stored is not None:
        dtype_text = np.frombuffer(spec[1].str.encode(), np.uint8)
        cache.put(stored, {"shape": np.array(spec[0], dtype=np.int64), "dtype": dtype_text})
    return spec


def _stored_key(
    kind: str, ref: Reference, settings: Mapping[str, Any], arrays: Sequence[Any], extra: str = ""
) -> str | None:
    """The key of this answer in the on-disk cache, or None: no cache, a reference that is not
    the oracle's own or JAX's (a user's may change between runs), or settings that are not plain."""
    if result_cache.active() is None or ref.name not in BUILTIN:
        return None
    if not str(getattr(ref.fn, "__module__", "")).startswith(("oracle.", "jax.")):
        return None  # the oracle's source digest and JAX's version are in the key: nothing else is
    return result_cache.key(kind, ref.name, ref.fn, settings, arrays, f"{extra}|{len(ref.inputs)}|{ref.aux}")


@functools.cache
def _traced(
    fn: Callable[..., Any], aux: bool, settings: tuple[tuple[str, Any], ...], specs: Specs
) -> tuple[tuple[int, ...], np.dtype[Any]]:
    return _trace(fn, aux, dict(settings), specs)


def _trace(
    fn: Callable[..., Any], aux: bool, settings: Mapping[str, Any], specs: Specs
) -> tuple[tuple[int, ...], np.dtype[Any]]:
    args = tuple(jax.ShapeDtypeStruct(shape, np.dtype(dtype)) for shape, dtype in specs)
    result = jax.eval_shape(lambda *a: fn(*a, **settings), *args)
    if aux:
        result = result[0]
    return tuple(result.shape), np.dtype(result.dtype)


def run_jax(
    ref: Reference, inputs: Sequence[np.ndarray], upstream: np.ndarray | None, settings: Mapping[str, Any]
) -> Outcome:
    """JAX's output, gradients and extras: jitted, or eagerly for a reference that cannot be jitted."""
    cache, stored = result_cache.active(), _stored_key("result", ref, settings, [*inputs, upstream])
    if cache is not None and stored is not None:
        found = cache.get(stored)
        outcome = None if found is None else _outcome(ref, found)
        if outcome is not None:
            return outcome
    outcome = _run_jax(ref, inputs, upstream, settings)
    if cache is not None and stored is not None and not outcome.error:
        cache.put(stored, _arrays(outcome))
    return outcome


def _arrays(outcome: Outcome) -> dict[str, np.ndarray]:
    """An answer's arrays under the names an entry keeps them by."""
    named = {"out": outcome.out}
    named |= {f"grad:{name}": g for name, g in outcome.grads.items()}
    return named | {f"extra:{name}": v for name, v in outcome.extras.items()}


def _outcome(ref: Reference, found: dict[str, np.ndarray]) -> Outcome | None:
    """The answer an entry holds, or None if it is not one of this reference (its gradients' names)."""
    grads = {k.removeprefix("grad:"): v for k, v in found.items() if k.startswith("grad:")}
    extras = {k.removeprefix("extra:"): v for k, v in found.items() if k.startswith("extra:")}
    if "out" not in found or list(grads) != list(ref.inputs) or len(found) != 1 + len(grads) + len(extras):
        return None
    return Outcome(found["out"], grads, extras=extras)


def _run_jax(
    ref: Reference, inputs: Sequence[np.ndarray], upstream: np.ndarray | None, settings: Mapping[str, Any]
) -> Outcome:
    args = tuple(jnp.asarray(v) for v in inputs)
    n = len(ref.inputs)
    key = hashable(settings)
    attempts = [True, False] if key is not None else [False]
    for jit in attempts:
        try:
            if upstream is None:  # a scalar loss: its gradient is the pullback of 1
                cotangent = jnp.ones(output_spec(ref, inputs, settings)[0], dtype=args[0].dtype)
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
