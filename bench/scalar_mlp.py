"""Scalar networks: micrograd's own demo network, one training step, in micrograd and in the engine.

micrograd's demo notebook trains ``MLP(2, [16, 16, 1])`` (ReLU, ReLU, linear) on 100
two-moons points with labels -1/+1 and the SVM max-margin loss
``mean(relu(1 - y * score)) + 1e-4 * sum(p * p)``. One step is what its loop does: the
forward pass over all 100 points, the loss (and the accuracy), ``zero_grad``, ``backward``
and the SGD update. scikit-learn is not needed: the points come from ``two_moons``, the
same construction as ``sklearn.datasets.make_moons`` (noise 0.1), seeded.

Three variants, all starting from the same weights (micrograd's, seeded as in the demo):

- ``micrograd``: the baseline, exactly the demo's code;
- ``engine, scalar``: the same network one scalar at a time, ``reference.Value`` per weight
  and per activation (0-d arrays), written like micrograd's ``nn`` module. The engine
  overwrites ``.grad`` on every ``backward()``, so it needs no ``zero_grad``;
- ``engine, vectorized``: what the engine is built for, one ``Value`` per weight matrix and
  the whole batch per gate.

The three losses and gradients are checked against each other before anything is timed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bench.common import Row, median_times, ratio

POINTS = 100
LAYERS = (2, 16, 16, 1)
ALPHA = 1e-4
LEARNING_RATE = 1.0  # the demo's schedule, 1.0 - 0.9 * k / 100, at step k = 0


def two_moons(n: int = POINTS, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``sklearn.datasets.make_moons(n, noise=noise)``'s construction: points (n, 2), labels -1 or +1."""
    rng = np.random.default_rng(seed)
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], axis=1)
    x = np.concatenate([outer, inner]) + rng.normal(scale=noise, size=(n, 2))
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    order = rng.permutation(n)
    return x[order], 2 * y[order] - 1


# ------------------------------------------------------------------ micrograd: the demo's code


def micrograd_model(seed: int = 1337) -> Any:
    from micrograd import nn

    random.seed(seed)  # the demo's seed; micrograd draws its weights from ``random``
    return nn.MLP(LAYERS[0], list(LAYERS[1:]))


def scalar_step(value: Any, model: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """micrograd's demo step, word for word, with ``value`` as the scalar node class.

    The same code serves micrograd and the engine, so the two are timed on the same work. The
    engine's ``backward`` overwrites every ``.grad``; micrograd's adds, so it zeroes them first.
    """
    inputs = [list(map(value, row)) for row in x.tolist()]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    accuracy = [(yi > 0) == (si.data > 0) for yi, si in zip(y.tolist(), scores, strict=True)]
    if hasattr(model, "zero_grad"):
        model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= LEARNING_RATE * p.grad
    return float(total.data), sum(accuracy) / len(accuracy)


def micrograd_step(model: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from micrograd.engine import Value

    return scalar_step(Value, model, x, y)


def micrograd_weights(model: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) per layer, W of shape (inputs, outputs): the weights the engine's variants start from."""
    return [
        (
            np.array([[w.data for w in neuron.w] for neuron in layer.neurons]).T,
            np.array([neuron.b.data for neuron in layer.neurons], dtype=np.float64),
        )
        for layer in model.layers
    ]


def micrograd_grads(model: Any) -> list[float]:
    return [float(p.grad) for p in model.parameters()]


# ------------------------------------------------------------------ the engine, one scalar at a time


class Neuron:
    def __init__(self, w: Sequence[float], b: float, nonlin: bool) -> None:
        from reference import Value

        self.w = [Value(wi) for wi in w]
        self.b = Value(b)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Any]) -> Any:
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Any]:
        return [*self.w, self.b]


class Layer:
    def __init__(self, w: np.ndarray, b: np.ndarray, nonlin: bool) -> None:
        self.neurons = [Neuron(w[:, j].tolist(), float(b[j]), nonlin) for j in range(w.shape[1])]

    def __call__(self, x: Sequence[Any]) -> Any:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Any]:
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        last = len(weights) - 1
        self.layers = [Layer(w, b, nonlin=i != last) for i, (w, b) in enumerate(weights)]

    def __call__(self, x: Sequence[Any]) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for p in layer.parameters()]


def engine_scalar_step(model: MLP, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from reference import Value

    return scalar_step(Value, model, x, y)


# ------------------------------------------------------------------ the engine, vectorized


class VectorMLP:
    """The same network with one ``Value`` per weight matrix and bias vector."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        from reference import Value

        self.params = [(Value(w.copy()), Value(b.copy())) for w, b in weights]

    def __call__(self, x: Any) -> Any:
        last = len(self.params) - 1
        for i, (w, b) in enumerate(self.params):
            x = x @ w + b
            if i != last:
                x = x.relu()
        return x

    def parameters(self) -> list[Any]:
        return [p for pair in self.params for p in pair]


def engine_vector_step(model: VectorMLP, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from reference import Value

    scores = model(Value(x, requires_grad=False)).reshape(len(y))
    data_loss = (1 - y * scores).relu().mean()
    reg_loss = ALPHA * sum((p * p).sum() for p in model.parameters())
    total = data_loss + reg_loss
    accuracy = np.mean((y > 0) == (scores.data > 0))
    total.backward()
    for p in model.parameters():
        p.data -= LEARNING_RATE * p.grad
    return float(total.data), float(accuracy)


def vector_grads(model: VectorMLP) -> list[float]:
    """Gradients in micrograd's parameter order: per layer, per neuron, its weights then its bias."""
    out: list[float] = []
    for w, b in model.params:
        for j in range(w.shape[1]):
            out += [*w.grad[:, j].tolist(), float(b.grad[j])]
    return out


def check(x: np.ndarray, y: np.ndarray) -> str:
    """One step of each variant from the same weights: the same loss and gradients, or AssertionError."""
    reference = micrograd_model()
    weights = micrograd_weights(reference)
    scalar, vector = MLP(weights), VectorMLP(weights)
    results = [
        micrograd_step(reference, x, y),
        engine_scalar_step(scalar, x, y),
        engine_vector_step(vector, x, y),
    ]
    losses = [loss for loss, _ in results]
    if len({accuracy for _, accuracy in results}) != 1:
        raise AssertionError(f"the accuracies differ: {[accuracy for _, accuracy in results]}")
    grads = [micrograd_grads(reference), [float(p.grad) for p in scalar.parameters()], vector_grads(vector)]
    for name, loss, grad in zip(("engine, scalar", "engine, vectorized"), losses[1:], grads[1:], strict=True):
        if not math.isclose(loss, losses[0], rel_tol=1e-12) or not np.allclose(grad, grads[0], rtol=1e-9):
            raise AssertionError(
                f"{name}: loss {loss!r} or gradients differ from micrograd's ({losses[0]!r})"
            )
    return f"step 0: loss {losses[0]:.6f}, accuracy {results[0][1]:.0%} in all three"


def run(quick: bool = False) -> list[Row]:
    try:
        import micrograd  # noqa: F401
    except ImportError:
        return [Row("scalar_mlp", "micrograd", str(POINTS), 0, math.nan, math.nan, "micrograd not installed")]
    x, y = two_moons()
    checked = check(x, y)
    reference = micrograd_model()
    weights = micrograd_weights(reference)
    scalar, vector = MLP(weights), VectorMLP(weights)
    steps: dict[str, Callable[[], tuple[float, float]]] = {
        "micrograd": lambda: micrograd_step(reference, x, y),
        "engine, scalar": lambda: engine_scalar_step(scalar, x, y),
        "engine, vectorized": lambda: engine_vector_step(vector, x, y),
    }
    # Blocks of consecutive steps: micrograd's graphs are reference cycles, and a training loop
    # pays for collecting them; the full collection before each block spares the next variant.
    rounds, block = (1, 3) if quick else (3, 3)
    repeats = rounds * block
    times = median_times(steps, rounds, block)
    size = f"{POINTS} points, " + "-".join(map(str, LAYERS))
    n_params = sum(w.size + b.size for w, b in weights)
    notes = {
        "micrograd": f"baseline; {n_params} parameters; {checked}; its graphs are cycles: gc time included",
        "engine, scalar": "one Value (0-d array) per scalar, as in micrograd",
        "engine, vectorized": "one Value per weight matrix: 3 matmuls per pass",
    }
    base = times["micrograd"]
    return [
        Row("scalar_mlp", name, size, repeats, t, ratio(t, base), notes[name]) for name, t in times.items()
    ]
