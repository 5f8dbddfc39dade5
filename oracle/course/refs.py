"""What course code should compute: one JAX reference per known gate, layer and loss name.

A ``Reference`` holds the JAX function, the names and shapes of its inputs, how to draw
random inputs and edge inputs, and where its kinks are. Where a target is the same op
as a graph op, its JAX function is ``oracle.core.jax_graph.JAX_OPS[op]``, so the JAX translation
stays one table; only the affine layer's flattening is written here.

The three shapes of course code (``KINDS``):

- ``gate``: a class ``NAME`` whose ``forward(*inputs)`` returns the output and whose
  ``backward(upstream)`` returns the list of input gradients (the lecture's ``MultiplyGate``);
- ``layer``: ``NAME_forward(*inputs) -> (out, cache)`` and ``NAME_backward(dout, cache)``
  returning one gradient, or a tuple of them for several inputs (``affine``: dx, dw, db);
- ``loss``: ``NAME(x, y) -> (loss, dx)`` for scores ``x`` of shape (N, C) and integer labels ``y``.

A user adds a name of their own with ``register_reference``, e.g. in the checked file itself::

    register_reference("leaky_relu", lambda x: jax.nn.leaky_relu(x, 0.01), kind="layer",
                       kinks=lambda x: x == 0, edge=with_zeros, kink_text="leaky relu at x == 0")
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from oracle.core.jax_graph import JAX_OPS

GATE, LAYER, LOSS = "gate", "layer", "loss"
KINDS = (GATE, LAYER, LOSS)

Shape = tuple[int, ...]
# Draws one case's inputs (float64 values, integer labels) from the generator, one array per shape.
Sampler = Callable[[np.random.Generator, Sequence[Shape]], list[np.ndarray]]
# Says which elements of each input sit on a non-differentiable point: one boolean array per
# input that has a gradient (an array alone will do for one input).
KinkFn = Callable[..., Any]


@dataclass(frozen=True)
class Reference:
    name: str
    kind: str  # GATE, LAYER or LOSS
    fn: Callable[..., Any]  # JAX function of the inputs; for a loss fn(scores, labels) -> scalar
    inputs: tuple[str, ...]  # one name per input with a gradient: "0", "1" for gates, "x", "w", ... else
    shapes: tuple[tuple[Shape, ...], ...]  # the shapes to check, one tuple of input shapes each
    sample: Sampler
    kinks: KinkFn | None = None
    edge: Sampler | None = None  # inputs on the kinks
    kink_text: str = ""  # names the kink in a record's detail
    edge_text: str = ""  # names the edge inputs in a record's detail
    op: str = ""  # the JAX_OPS entry it uses, if any

    @property
    def student_names(self) -> tuple[str, ...]:
        """The names the student's code defines for this target."""
        return (f"{self.name}_forward", f"{self.name}_backward") if self.kind == LAYER else (self.name,)

    def kink_masks(self, values: Sequence[np.ndarray]) -> list[np.ndarray] | None:
        """One boolean array per input with a gradient, of that input's shape; None without kinks."""
        if self.kinks is None:
            return None
        masks = self.kinks(*values)
        if isinstance(masks, np.ndarray | bool | np.bool_):
            masks = [masks]
        return [
            np.broadcast_to(np.asarray(m, dtype=bool), np.shape(v))
            for m, v in zip(masks, values, strict=False)
        ]


# ------------------------------------------------------------------ samplers


def normal(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    return [np.asarray(rng.standard_normal(shape)) for shape in shapes]


def positive(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """In [0.5, 3): away from the singularity of log and sqrt at 0."""
    return [np.asarray(rng.uniform(0.5, 3.0, shape)) for shape in shapes]


def away_from_zero(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """|x| in [0.5, 2), either sign: away from the pole of 1/x."""
    return [np.asarray(rng.uniform(0.5, 2.0, s) * rng.choice([-1.0, 1.0], s)) for s in shapes]


def with_zeros(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Normal values with exact zeros in every input (the first element always): kinks at 0."""
    values = normal(rng, shapes)
    for x in values:
        x[rng.random(x.shape) < 0.4] = 0.0
        x.flat[0] = 0.0
    return values


def with_ties(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Two inputs equal at about half their elements (the first always): ties of a max."""
    x, y = normal(rng, shapes)
    tie = np.asarray(rng.random(x.shape) < 0.5).reshape(-1)
    tie[0] = True
    y[tie.reshape(x.shape)] = x[tie.reshape(x.shape)]
    return [x, y]


def scores_and_labels(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    (scores,) = normal(rng, shapes)
    return [scores, _labels(rng, scores.shape)]


def _labels(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    n, c = shape
    return rng.integers(0, c, n).astype(np.int64)


def zero_margins(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Scores on a grid of halves, so many hinge margins s_j - s_y + 1 are exactly 0 (one always)."""
    (shape,) = shapes
    scores = rng.integers(-4, 5, shape) / 2.0
    labels = _labels(rng, shape)
    y0 = int(labels[0])
    scores[0, (y0 + 1) % shape[1]] = scores[0, y0] - 1.0
    return [scores, labels]


def large_scores(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Scores up to +-1000: exp overflows unless the row maximum is subtracted first."""
    (shape,) = shapes
    return [rng.uniform(-1000.0, 1000.0, shape), _labels(rng, shape)]


# --------------------------------------------------------------------- kinks


def at_zero(*values: np.ndarray) -> list[np.ndarray]:
    return [v == 0 for v in values]


def at_ties(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    tie = x == y
    return [tie, tie]


def at_zero_margins(scores: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """Margins of exactly 0, and the correct score of their rows (it collects every active margin)."""
    rows, y = np.arange(scores.shape[0]), np.asarray(labels)
    margins = scores - scores[rows, y][:, None] + 1.0
    on = margins == 0
    on[rows, y] = False
    on[rows, y] = on.any(axis=1)
    return [on]


# ------------------------------------------------------------ the known names


def _affine(x: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    """x of shape (N, d1, ..., dk) flattened to (N, D), then x @ w + b."""
    return jnp.reshape(x, (x.shape[0], -1)) @ w + b


GATE_SHAPES = (((),), ((3, 4),))
LAYER_SHAPES = (((4, 5),), ((2, 3, 4),))
LOSS_SHAPES = (((5, 4),), ((8, 10),))  # N != C, so a sum over the wrong axis has the wrong shape
AFFINE_SHAPES = (((4, 5), (5, 3), (3,)), ((2, 3, 4), (12, 5), (5,)))  # N != M for the same reason

REFERENCES: dict[str, Reference] = {}


def _gate(name: str, op: str, arity: int = 1, sample: Sampler = normal, **kinks: Any) -> None:
    shapes = tuple(s * arity for s in GATE_SHAPES)
    inputs = tuple(str(i) for i in range(arity))
    REFERENCES[name] = Reference(name, GATE, JAX_OPS[op], inputs, shapes, sample, op=op, **kinks)


_gate("AddGate", "add", 2)
_gate("MultiplyGate", "mul", 2)
_gate(
    "MaxGate",
    "maximum",
    2,
    kinks=at_ties,
    edge=with_ties,
    kink_text="a tie of the two inputs",
    edge_text="ties of the two inputs",
)
_gate("NegGate", "neg")
_gate("ReciprocalGate", "reciprocal", sample=away_from_zero)
_gate("ExpGate", "exp")
_gate("LogGate", "log", sample=positive)
_gate("SqrtGate", "sqrt", sample=positive)
_gate("SquareGate", "square")
_gate("TanhGate", "tanh")
_gate("SigmoidGate", "sigmoid")
for _name, _op in (("ReluGate", "relu"), ("AbsGate", "abs")):
    _gate(
        _name,
        _op,
        kinks=at_zero,
        edge=with_zeros,
        kink_text=f"{_op} at 0",
        edge_text="exact zeros in the input",
    )

REFERENCES["affine"] = Reference("affine", LAYER, _affine, ("x", "w", "b"), AFFINE_SHAPES, normal)
REFERENCES["relu"] = Reference(
    "relu",
    LAYER,
    JAX_OPS["relu"],
    ("x",),
    LAYER_SHAPES,
    normal,
    kinks=at_zero,
    edge=with_zeros,
    kink_text="relu at x == 0",
    edge_text="exact zeros in x",
    op="relu",
)
for _name in ("sigmoid", "tanh"):
    REFERENCES[_name] = Reference(_name, LAYER, JAX_OPS[_name], ("x",), LAYER_SHAPES, normal, op=_name)
REFERENCES["svm_loss"] = Reference(
    "svm_loss",
    LOSS,
    JAX_OPS["svm_loss"],
    ("x",),
    LOSS_SHAPES,
    scores_and_labels,
    kinks=at_zero_margins,
    edge=zero_margins,
    kink_text="a hinge margin of exactly 0",
    edge_text="hinge margins of exactly 0",
    op="svm_loss",
)
REFERENCES["softmax_loss"] = Reference(
    "softmax_loss",
    LOSS,
    JAX_OPS["softmax_loss"],
    ("x",),
    LOSS_SHAPES,
    scores_and_labels,
    edge=large_scores,
    edge_text="scores up to +-1000",
    op="softmax_loss",
)
BUILTIN = frozenset(REFERENCES)


def register_reference(
    name: str,
    fn: Callable[..., Any],
    *,
    kind: str = LAYER,
    inputs: Sequence[str] | None = None,
    shapes: Sequence[Sequence[Shape]] | None = None,
    sample: Sampler | None = None,
    kinks: KinkFn | None = None,
    edge: Sampler | None = None,
    kink_text: str = "",
) -> Reference:
    """Make ``name`` a known target, checked against the JAX function ``fn``.

    ``fn`` takes the inputs positionally (a loss: ``fn(scores, labels)`` returning the
    scalar loss). ``inputs`` names them (default: the parameter names of ``fn``; "0",
    "1", ... for a gate; "x" for a loss). ``shapes``: the shapes to check, one tuple of
    input shapes each (default: (4, 5) and (2, 3, 4) for every input of a layer, () and
    (3, 4) for a gate, (5, 4) and (8, 10) scores for a loss). ``sample(rng, shapes)``
    draws the inputs (default: standard normal). ``kinks(*inputs)`` returns one boolean
    array per input marking the elements on a non-differentiable point, and ``edge`` draws
    inputs that sit on them (``with_zeros`` for kinks at 0). Registering a name again
    replaces it; the built-in names cannot be replaced.
    """
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if name in BUILTIN:
        raise ValueError(f"{name!r} is a built-in target; register your reference under another name")
    if inputs is None:
        inputs = _input_names(fn, kind)
    if shapes is None:
        default = {GATE: GATE_SHAPES, LAYER: LAYER_SHAPES, LOSS: LOSS_SHAPES}[kind]
        shapes = [s * (1 if kind == LOSS else len(inputs)) for s in default]
    for case in shapes:
        if len(case) != (1 if kind == LOSS else len(inputs)):
            raise ValueError(f"shapes {list(case)} do not fit the inputs {list(inputs)}")
    if sample is None:
        sample = scores_and_labels if kind == LOSS else normal
    reference = Reference(
        name,
        kind,
        fn,
        tuple(inputs),
        tuple(tuple(tuple(int(d) for d in s) for s in case) for case in shapes),
        sample,
        kinks=kinks,
        edge=edge,
        kink_text=kink_text or ("a declared kink" if kinks else ""),
        edge_text=f"inputs on {kink_text or 'the kinks'}" if edge else "",
    )
    REFERENCES[name] = reference
    return reference


def _input_names(fn: Callable[..., Any], kind: str) -> tuple[str, ...]:
    if kind == LOSS:
        return ("x",)
    try:
        params = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
    except (TypeError, ValueError):
        params = []
    params = params or ["x"]
    return tuple(str(i) for i in range(len(params))) if kind == GATE else tuple(params)


def known_names() -> str:
    """The names looked for, as the student's code spells them: for messages."""
    return ", ".join("/".join(ref.student_names) for ref in REFERENCES.values())
