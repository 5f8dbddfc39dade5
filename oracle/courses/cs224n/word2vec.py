"""CS224n's word2vec targets: the two losses of every year, skip-gram, and the older CBOW.

2019 on (``a2/word2vec.py``): ``naiveSoftmaxLossAndGradient``, ``negSamplingLossAndGradient``,
``skipgram``; 2017-2018 (``assignment1/q3_word2vec.py``): ``softmaxCostAndGradient``,
``negSamplingCostAndGradient``, ``skipgram``, ``cbow``. Each returns the loss and two
gradients, judged against ``jax.grad`` of the references in ``word2vec_jax``. Sizes: a
vocabulary of V = 6 words, vectors of d = 4, K = 10 negatives, so that words are always
drawn several times; the draws include the outside word itself, which the course's
``getNegativeSamples`` draws again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.course.judging.bugs import Bug, Suspect, gradient_bug, output_bug, same
from oracle.course.judging.conventions import CONVENTION, as_float, joined
from oracle.course.reference import Reference, Shape, declare
from oracle.courses.cs224n import word2vec_jax as w2v
from oracle.courses.cs224n.calls import loss_call, model_call

WORD2VEC = "word2vec"
V, D, CONTEXT = 6, 4, 5
LOSS_SHAPES = (((D,), (V, D), ()),)
SAMPLED_SHAPES = (((D,), (V, D), (), (4 * w2v.K,)),)
MODEL_SHAPES = (((V, D), (V, D), (), (CONTEXT,)),)


def vectors(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """A center vector, the outside vectors and the outside word."""
    return [rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1]), np.asarray(rng.integers(0, V))]


def with_draws(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """As ``vectors``, and the dataset's draws: K negatives (repeats certain), the outside word among them.

    The outside word comes before about a third of the negatives (getNegativeSamples
    draws again); the tail after the K-th negative is there for code that draws more.
    """
    center, outside, o = vectors(rng, shapes)
    others = np.array([j for j in range(V) if j != int(o)])
    draws: list[int] = []
    for k in range(w2v.K):
        if k == 0 or rng.random() < 0.3:
            draws.append(int(o))
        draws.append(int(rng.choice(others)))
    draws += [int(j) for j in rng.integers(0, V, shapes[3][0] - len(draws))]
    return [center, outside, o, np.asarray(draws, dtype=np.int64)]


def window(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Center and outside vectors of every word, the center word, CONTEXT outside words (one repeated)."""
    context = rng.integers(0, V, shapes[3])
    context[-1] = context[0]
    return [
        rng.standard_normal(shapes[0]),
        rng.standard_normal(shapes[1]),
        np.asarray(rng.integers(0, V)),
        context,
    ]


NAIVE_BUGS = (
    gradient_bug(
        "softmax(U v) without subtracting y: the outside word's -1 left out", w2v.softmax_without_target
    ),
)
TARGET_AMONG_NEGATIVES = (
    "the outside word counted among the negatives (indices = [o] + negatives as the negatives)"
)
SAMPLED_BUGS = (
    gradient_bug(
        "a word drawn several times as a negative counted once in gradOutsideVecs (+= on fancy indexing)",
        w2v.repeated_once,
        ("outsideVectors",),
    ),
    gradient_bug(TARGET_AMONG_NEGATIVES, w2v.target_among_negatives),
    output_bug(TARGET_AMONG_NEGATIVES, w2v.target_among_negatives),
)


def _center_row_elsewhere(s: Suspect, got: np.ndarray) -> bool:
    """The center word's gradient, right, but in another row than the center word's."""
    expected = np.asarray(s.jax.grads[s.name])
    c = int(s.inputs[2])
    if got.shape != expected.shape or not np.any(expected[c]):
        return False
    rows = [r for r in range(got.shape[0]) if np.any(got[r])]
    return len(rows) == 1 and rows[0] != c and same(got[rows[0]], expected[c], s)


CENTER_ROW = Bug(
    "the center word's gradient put in another row than word2Ind[currentCenterWord]",
    "centerWordVectors",
    _center_row_elsewhere,
)


def _loss(name: str, inputs: tuple[str, str], sampled: bool) -> None:
    fn = w2v.neg_sampling if sampled else w2v.naive_softmax
    declare(
        Reference(
            name,
            WORD2VEC,
            fn,
            inputs,
            SAMPLED_SHAPES if sampled else LOSS_SHAPES,
            with_draws if sampled else vectors,
            call=loss_call(name, sampled),
            names=(name,),
            upstream=False,
            bugs=SAMPLED_BUGS if sampled else NAIVE_BUGS,
        )
    )


_loss("naiveSoftmaxLossAndGradient", ("centerWordVec", "outsideVectors"), sampled=False)
_loss("negSamplingLossAndGradient", ("centerWordVec", "outsideVectors"), sampled=True)
_loss("softmaxCostAndGradient", ("predicted", "outputVectors"), sampled=False)
_loss("negSamplingCostAndGradient", ("predicted", "outputVectors"), sampled=True)

CBOW_MEAN = (
    f"{CONVENTION}the context words' vectors averaged, not summed (the original word2vec's CBOW, "
    "the handout's sums them)"
)


def infer_cbow_mean(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
) -> Mapping[str, Any]:
    """Summed (the handout) or averaged context vectors: whichever the student's loss is nearer."""
    loss = as_float(student.out)
    if loss is None or not np.isfinite(loss):
        return settings
    center_vectors, outside, c, context = (np.asarray(v) for v in inputs)

    def naive(predicted: np.ndarray) -> float:
        scores = outside @ predicted
        return float(np.log(np.sum(np.exp(scores - scores.max()))) + scores.max() - scores[int(c)])

    picked = center_vectors[context]
    if abs(loss - naive(picked.mean(axis=0))) < abs(loss - naive(picked.sum(axis=0))):
        student.warning = joined(student.warning, CBOW_MEAN)
        return {**settings, "mean": True}
    return settings


for _name, _fn in (("skipgram", w2v.skipgram), ("cbow", w2v.cbow)):
    declare(
        Reference(
            _name,
            WORD2VEC,
            _fn,
            ("centerWordVectors", "outsideVectors"),
            MODEL_SHAPES,
            window,
            call=model_call(_name),
            names=(_name,),
            upstream=False,
            bugs=(CENTER_ROW,) if _name == "skipgram" else (),
            adapt=infer_cbow_mean if _name == "cbow" else None,
        )
    )
