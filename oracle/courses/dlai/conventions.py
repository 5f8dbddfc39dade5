"""The 1/m of deeplearning.ai's gradients, read off the student's own numbers.

The course's dW and db carry 1/m (gradients of the mean cost) while dA does not (gradients of
the summed loss, which is what the next layer down multiplies). Students who leave 1/m out of
dW and db (the summed loss throughout, as most other courses do) are consistent too: the
convention is inferred from the student's weight gradient, and the reference then uses it;
the row notes it when it is not the course's. A dW that fits neither stays judged by the
course's, and fails.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.compare import compare
from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax, jnp
from oracle.course.judging.conventions import CONVENTION, joined

SUMMED = CONVENTION + "dW and db without the course's 1/m (gradients of the summed loss), read off your dW"


def scaled(value: Any, k: Any) -> Any:
    """``value`` whose gradient is ``k`` times its own."""
    frozen = jax.lax.stop_gradient(value)
    return frozen + k * (value - frozen)


def main(result: Any) -> Any:
    return result[0] if isinstance(result, tuple) else result


def pullback(
    fn: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    n_wrt: int,
    upstream: Any,
    settings: Mapping[str, Any],
) -> list[np.ndarray]:
    args = [jnp.asarray(v) for v in inputs]
    rest = args[n_wrt:]
    out, pull = jax.vjp(lambda *w: main(fn(*w, *rest, **settings)), *args[:n_wrt])
    cotangent = jnp.ones_like(out) if upstream is None else jnp.asarray(upstream)
    return [np.asarray(g) for g in pull(cotangent)]


def close(got: Any, expected: np.ndarray, dtype: str) -> bool:
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.isfinite(got).all()) and compare(got, expected, dtype).ok


def mean_convention(
    fn: Callable[..., Any], n_wrt: int, index: int, part: str
) -> Callable[..., Mapping[str, Any]]:
    """An ``adapt`` hook: ``mean`` True (the course's 1/m) or False, as the student's ``part`` says."""

    def adapt(
        settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray], *, upstream: Any = None
    ) -> Mapping[str, Any]:
        got = student.grads.get(part)
        dtype = str(inputs[0].dtype)
        if got is not None:
            try:
                for mean in (True, False):
                    model = pullback(fn, inputs, n_wrt, upstream, {**settings, "mean": mean})[index]
                    if close(got, model, dtype):
                        if not mean:
                            student.warning = joined(student.warning, SUMMED)
                        return {**settings, "mean": mean}
            except Exception:  # a dW of a shape the model cannot take: judged by the course's
                pass
        return {**settings, "mean": True}

    return adapt
