"""What CS224n's word2vec functions compute, in JAX, and the models of their classic bugs.

Arrays, in the order the references take them (those with a gradient first):

- one loss: ``center`` (d,) the center word's vector, ``outside`` (V, d) every word's outside
  vector, ``o`` (0-d integer) the outside word; negative sampling adds ``draws``, the token
  indices the check's dataset hands out, in order;
- skip-gram and CBOW: ``center_vectors`` (V, d), ``outside`` (V, d), ``c`` (0-d) the center
  word, ``context`` (m,) the outside words.

The negatives are the course's ``getNegativeSamples``: the first ``K`` draws that are not
``o`` (a draw equal to ``o`` is drawn again), a repeated index counted as often as it was drawn.
"""

from __future__ import annotations

from typing import Any

from oracle.core.lazy_jax import jax, jnp

K = 10  # the assignment's default number of negative samples


def naive_softmax(center: Any, outside: Any, o: Any) -> Any:
    """-log softmax(U v)[o]."""
    return -jax.nn.log_softmax(outside @ center)[o]


def negative_counts(o: Any, draws: Any, outside: Any, k: int = K) -> Any:
    """How many times each word is among the K negatives getNegativeSamples takes from ``draws``."""
    kept = draws != o
    taken = kept & (jnp.cumsum(kept) <= k)
    return jnp.zeros(outside.shape[0], outside.dtype).at[draws].add(taken.astype(outside.dtype))


def _negatives(center: Any, outside: Any, counts: Any) -> Any:
    """-sum_k log sigmoid(-u_k . v) over the negatives, each counted as often as drawn."""
    return -jnp.sum(counts * jax.nn.log_sigmoid(-(outside @ center)))


def _positive(center: Any, outside: Any, o: Any) -> Any:
    return -jax.nn.log_sigmoid(outside[o] @ center)


def neg_sampling(center: Any, outside: Any, o: Any, draws: Any) -> Any:
    counts = negative_counts(o, draws, outside)
    return _positive(center, outside, o) + _negatives(center, outside, counts)


def skipgram(center_vectors: Any, outside: Any, c: Any, context: Any) -> Any:
    """The naive-softmax losses of every outside word, summed."""
    return jnp.sum(jax.vmap(lambda w: naive_softmax(center_vectors[c], outside, w))(context))


def cbow(center_vectors: Any, outside: Any, c: Any, context: Any, mean: bool = False) -> Any:
    """The course's CBOW: the context words' vectors summed (``mean``: averaged, as the original
    word2vec does) predict the center word (naive softmax)."""
    reduce = jnp.mean if mean else jnp.sum
    return naive_softmax(reduce(center_vectors[context], axis=0), outside, c)


# --------------------------------------------------------------------- the classic bugs


def softmax_without_target(center: Any, outside: Any, o: Any) -> Any:
    """The gradient of log-sum-exp alone: softmax(U v) without subtracting the one-hot y."""
    return jax.nn.logsumexp(outside @ center)


def repeated_once(center: Any, outside: Any, o: Any, draws: Any) -> Any:
    """``grad[negatives] += ...`` with fancy indexing: a word drawn several times counts once in dU.

    The center vector's gradient still sums over every draw (it is computed apart).
    """
    counts = negative_counts(o, draws, outside)
    once = (counts > 0).astype(counts.dtype)
    frozen_center, frozen_outside = jax.lax.stop_gradient(center), jax.lax.stop_gradient(outside)
    return (
        _positive(center, outside, o)
        + _negatives(center, frozen_outside, counts)
        + _negatives(frozen_center, outside, once)
    )


def target_among_negatives(center: Any, outside: Any, o: Any, draws: Any) -> Any:
    """The negatives taken from ``indices = [o] + negatives``: the outside word also counted as a negative."""
    return neg_sampling(center, outside, o, draws) - jax.nn.log_sigmoid(-(outside[o] @ center))
