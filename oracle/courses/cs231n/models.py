"""The course's network classes: ``TwoLayerNet`` and ``FullyConnectedNet``, every entry of ``grads`` checked.

``NAME(...).loss(X, y)`` returns ``(loss, grads)`` with one gradient per entry of the
net's ``params``; each parameter is one record row. The call (``calls_models.net_call``)
builds the net with the sizes the weights have, by the argument names its ``__init__``
has (they changed over the years), sets ``params`` to the case's arrays and runs the loss
at reg = 0 and at ``REG``; the regularization convention is inferred as for the linear
classifiers. The scores (``loss(X)``) and the loss at reg = 0 are checked as extra outputs.

The architecture is the course's: (affine - [batch/layer norm] - relu) per hidden layer,
then affine, then the softmax loss; L2 regularization on the weights W1, W2, ... only.
``FullyConnectedNet`` is checked plain and, when its ``__init__`` has the option, with
batch normalization and with layer normalization (``FullyConnectedNet+batchnorm``,
``FullyConnectedNet+layernorm``). In those two the scores are not compared: ``loss(X)``
runs in test mode, on running averages the course initialises differently across years.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.calls import APPLIES, FD_MODEL
from oracle.course.judging.bugs import gradient_bug, output_bug
from oracle.course.judging.conventions import joined, regularization, softmax_epsilon
from oracle.course.reference import Reference, Shape, declare
from oracle.courses.cs231n.basic import epsilon_settings, softmax_loss
from oracle.courses.cs231n.calls_models import Off, fd_net_call, net_call, supports
from oracle.courses.cs231n.classifiers import REG, scaled

MODEL = "model"
N, D, H, C = 5, 6, 7, 4  # TwoLayerNet: batch, input, hidden, classes
HIDDEN = (7, 5)  # FullyConnectedNet's hidden layers
EPS = 1e-5  # the course's default eps of batch and layer norm


def _normalized(x: Any, gamma: Any, beta: Any, axis: int) -> Any:
    mean = jnp.mean(x, axis=axis, keepdims=True)
    var = jnp.mean((x - mean) ** 2, axis=axis, keepdims=True)
    return gamma * (x - mean) / jnp.sqrt(var + EPS) + beta


def scores_of(params: Mapping[str, Any], X: Any, layers: int, norm: str) -> Any:
    """(affine - [norm] - relu) x (layers - 1), then affine; batch norm in training mode."""
    h = jnp.reshape(X, (X.shape[0], -1))
    for k in range(1, layers):
        h = h @ params[f"W{k}"] + params[f"b{k}"]
        if norm:
            h = _normalized(h, params[f"gamma{k}"], params[f"beta{k}"], 0 if norm == "batchnorm" else 1)
        h = jax.nn.relu(h)
    return h @ params[f"W{layers}"] + params[f"b{layers}"]


def net_loss(
    *arrays: Any,
    names: tuple[str, ...],
    layers: int,
    norm: str = "",
    reg: float,
    half: bool = True,
    eps: float = 0.0,
    eps_at: str = "log",
    data_grad: float = 1.0,
    reg_grad: float = 1.0,
    bias_reg: float = 0.0,
    bias_loss: float = 0.0,
    skip_last: int = 0,
    scorer: Any = None,
    **sizes: Any,
) -> tuple[Any, dict[str, Any]]:
    """The loss at ``reg`` and the extras (scores, loss at reg = 0); the keyword factors model bugs.

    ``scorer(params, X)`` gives the scores of another architecture (``convnet``); the
    default is the fully connected one of ``layers`` and ``norm``.
    """
    params = dict(zip(names, arrays, strict=False))
    X, y = arrays[len(names)], arrays[len(names) + 1]
    scores = scorer(params, X) if scorer else scores_of(params, X, layers, norm)
    data = softmax_loss(scores, y, eps, eps_at)
    weights = [params[f"W{k}"] for k in range(1, layers + 1 - skip_last)]
    penalty = (0.5 if half else 1.0) * reg * sum(jnp.sum(w * w) for w in weights)
    biases = sum(jnp.sum(params[f"b{k}"] ** 2) for k in range(1, layers + 1))
    if bias_loss:  # the biases regularized as the weights are, in the loss and so in the gradient
        penalty = penalty + (0.5 if half else 1.0) * reg * biases
    wrong = bias_reg * reg * (biases - jax.lax.stop_gradient(biases))  # a gradient without a loss term
    loss = scaled(data, data_grad) + scaled(penalty, reg_grad) + wrong
    extras = {"loss at reg 0": data} if norm else {"scores": scores, "loss at reg 0": data}
    return loss, extras


def infer(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray], *, fn: Any
) -> Mapping[str, Any]:
    """The regularization convention and the softmax's epsilon in the log, from the student's losses."""
    names, layers, norm = fn.keywords["names"], fn.keywords["layers"], fn.keywords.get("norm", "")
    params = dict(zip(names, inputs, strict=False))
    dtype = str(inputs[0].dtype)
    squares = sum(float(np.sum(params[f"W{k}"].astype(np.float64) ** 2)) for k in range(1, layers + 1))
    half, note = regularization(
        student.out, student.extras.get("loss at reg 0"), squares, float(settings["reg"]), dtype
    )
    X, y = inputs[len(names)], inputs[len(names) + 1]
    arrays, scorer = {k: jnp.asarray(v) for k, v in params.items()}, fn.keywords.get("scorer")
    if scorer is None:
        scorer = functools.partial(scores_of, layers=layers, norm=norm)
    scores = np.asarray(scorer(arrays, jnp.asarray(X)))
    eps, at, eps_note = softmax_epsilon(student.extras.get("loss at reg 0"), scores, y, dtype)
    student.warning = joined(student.warning, note, eps_note)
    return {**settings, "half": half, **epsilon_settings(eps, at)}


# -------------------------------------------------------------------- samplers


def _sampler(n_params: int) -> Any:
    """The parameters standard normal scaled by 1/2, X standard normal, labels among the C classes."""

    def sample(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
        params = [0.5 * rng.standard_normal(s) for s in shapes[:n_params]]
        (n, d), _ = shapes[n_params:]
        return [*params, rng.standard_normal((n, d)), rng.integers(0, C, n).astype(np.int64)]

    return sample


def _declare(name: str, student: str, hidden: Sequence[int], norm: str, options: Mapping[str, Any]) -> None:
    dims = [D, *hidden, C]
    layers = len(dims) - 1
    names = [f"{p}{k}" for k in range(1, layers + 1) for p in ("W", "b")]
    shapes = [(dims[k - 1], dims[k]) if p == "W" else (dims[k],) for k in range(1, layers + 1) for p in "Wb"]
    if norm:
        names += [f"{p}{k}" for k in range(1, layers) for p in ("gamma", "beta")]
        shapes += [(dims[k],) for k in range(1, layers) for _ in range(2)]
    shapes += [(N, D), (N,)]  # X and y
    sizes = {"D": D, "C": C, "H": hidden[0], "hidden": tuple(hidden)}
    fn = functools.partial(net_loss, names=tuple(names), layers=layers, norm=norm)
    reference = Reference(
        name, MODEL, fn, tuple(names), (tuple(shapes),), _sampler(len(names)),
        call=net_call(student, options, _PLAIN if norm else None), names=(student,),
        settings=({"reg": REG, **sizes},),
        adapt=functools.partial(infer, fn=fn), aux=True, upstream=False, bugs=net_bugs(fn, names, N),
    )  # fmt: skip
    declare(reference)


def net_bugs(fn: Any, names: Sequence[str], n: int) -> tuple[Any, ...]:
    """The classic bugs of a network's loss: the regularization's gradient, the biases', the 1/N."""
    return (
        gradient_bug(
            "the regularization gradient is missing", functools.partial(fn, reg_grad=0.0), _weights(names)
        ),
        gradient_bug(
            "the regularization gradient is doubled", functools.partial(fn, reg_grad=2.0), _weights(names)
        ),
        gradient_bug(
            "the regularization gradient is half what the loss says",
            functools.partial(fn, reg_grad=0.5),
            _weights(names),
        ),
        gradient_bug(
            "the biases are regularized in the gradient (db += reg * b) though not in the loss",
            functools.partial(fn, bias_reg=0.5),
        ),
        gradient_bug(
            "the biases get 2 * reg * b in the gradient though the loss has no bias term",
            functools.partial(fn, bias_reg=1.0),
        ),
        gradient_bug(
            f"the data gradient is not divided by N = {n}", functools.partial(fn, data_grad=float(n))
        ),
        output_bug("the loss has no regularization term", lambda *a, **s: fn(*a, **{**s, "reg": 0.0})[0]),
        *_penalty_bugs(fn, _weights(names)[-1]),
    )


def _penalty_bugs(fn: Any, last: str) -> tuple[Any, ...]:
    """A penalty on other parameters than the weights, either convention (0.5 * reg or reg): the
    biases too (W1 stacked with b1 as one matrix, 2018 and 2020 solutions), or every W but the last
    (a loop over the hidden layers only, two of two 2021 solutions)."""
    biases = "the biases are regularized too (reg * sum(b * b) in the loss): the course's L2 is on W only"
    skipped = f"{last} is left out of the regularization (a loop over the hidden layers only)"
    return tuple(
        output_bug(text, lambda *a, _h=half, _k=keys, **s: fn(*a, **{**s, **_k, "half": _h})[0])
        for text, keys in ((biases, {"bias_loss": 1.0}), (skipped, {"skip_last": 1}))
        for half in (True, False)
    )


def _weights(names: Sequence[str]) -> list[str]:
    return [n for n in names if n.startswith("W")]


_declare("TwoLayerNet", "TwoLayerNet", (H,), "", {})
# No normalization, no dropout: each year's "off" for the dropout options is its __init__'s default.
_PLAIN = {"normalization": None, "use_batchnorm": False, "dropout": Off(0.0), "dropout_keep_ratio": Off(1.0)}
_declare("FullyConnectedNet", "FullyConnectedNet", HIDDEN, "", _PLAIN)
_declare(
    "FullyConnectedNet+batchnorm",
    "FullyConnectedNet",
    HIDDEN,
    "batchnorm",
    {**_PLAIN, "normalization": "batchnorm", "use_batchnorm": True},
)
_declare(
    "FullyConnectedNet+layernorm",
    "FullyConnectedNet",
    HIDDEN,
    "layernorm",
    {**_PLAIN, "normalization": "layernorm"},
)


def _dropout() -> None:
    """With dropout: the mask is the student's (seeded), so the judge is finite differences of their loss."""
    dims = [D, *HIDDEN, C]
    names = [f"{p}{k}" for k in range(1, len(dims)) for p in ("W", "b")]
    shapes = [(dims[k - 1], dims[k]) if p == "W" else (dims[k],) for k in range(1, len(dims)) for p in "Wb"]
    options = {**_PLAIN, "dropout": 0.5, "dropout_keep_ratio": 0.5, "seed": 0}
    settings = {"reg": REG, "D": D, "C": C, "H": HIDDEN[0], "hidden": HIDDEN, "names": tuple(names)}
    reference = Reference(
        "FullyConnectedNet+dropout", FD_MODEL, _no_reference, tuple(names), ((*shapes, (N, D), (N,)),),
        _sampler(len(names)), call=fd_net_call("FullyConnectedNet", options, plain=_PLAIN),
        names=("FullyConnectedNet",),
        settings=(settings,), upstream=False,
    )  # fmt: skip
    declare(reference)


def _no_reference(*args: Any, **kwargs: Any) -> Any:
    raise TypeError("no JAX reference: the dropout mask is the student's (oracle.course.judging.fd_judge)")


_dropout()
APPLIES["FullyConnectedNet+dropout"] = lambda objects: any(
    supports(objects[0], option) for option in ("dropout", "dropout_keep_ratio")
)
APPLIES["FullyConnectedNet+batchnorm"] = lambda objects: any(
    supports(objects[0], option) for option in ("normalization", "use_batchnorm")
)
APPLIES["FullyConnectedNet+layernorm"] = lambda objects: supports(objects[0], "normalization")

NAMES = frozenset(
    ("TwoLayerNet", "FullyConnectedNet", "FullyConnectedNet+batchnorm", "FullyConnectedNet+layernorm")
)
NAMES |= {"FullyConnectedNet+dropout"}
