"""A doubled gradient, and ``jax.vjp`` patched at import to double JAX's gradients too.

In the checker's own process JAX's reference then agrees with the bug.
"""

import jax
import numpy as np

_vjp = jax.vjp


def _doubled_vjp(fun, *primals, **kwargs):
    result = _vjp(fun, *primals, **kwargs)
    pullback = result[1]

    def doubled(cotangent):
        return tuple(2 * g for g in pullback(cotangent))

    return (result[0], doubled, *result[2:])


jax.vjp = _doubled_vjp


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return 2 * dout * (cache > 0)  # twice the gradient
