"""The course's own gradient check of assignment 2's layers, as its notebooks run it: our code.

The CS231n notebooks check a student's backward by central differences of the student's
forward, one element at a time (``eval_numerical_gradient_array``: perturb one element by
+-h, take ``sum((f(x + h) - f(x - h)) * dout) / 2h``), and print the relative error of each
gradient. This module does the same for the ten targets of the student's check benchmark,
with the notebooks' shapes, for 3 seeds: what a student runs instead of the checker.

``python -m bench.numeric_check FILE [--seeds K]`` imports FILE (numpy only: this process
never imports JAX or the oracle), checks every layer and prints one line per layer and
seed; ``bench.student_check`` times it as a whole process, beside ``python -m oracle check``.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

H = 1e-5  # the notebooks' step


def numeric_gradient(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray) -> np.ndarray:
    """sum(dout * df/dx[i]) for every element i of x, by central differences (x is restored)."""
    grad = np.zeros_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        kept = flat[i]
        flat[i] = kept + H
        plus = np.array(f(x), copy=True)
        flat[i] = kept - H
        minus = np.array(f(x), copy=True)
        flat[i] = kept
        out[i] = np.sum((plus - minus) * dout) / (2 * H)
    return grad


def rel_error(a: Any, b: np.ndarray) -> float:
    a = np.asarray(a)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def check_layer(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    arrays: list[np.ndarray],
    rest: tuple[Any, ...],
    rng: np.random.Generator,
) -> float:
    """The worst relative error over every array's gradient of one forward/backward pair."""
    out, cache = forward(*arrays, *rest)
    dout = rng.standard_normal(out.shape)
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    worst = 0.0
    for k, x in enumerate(arrays):

        def f(value: np.ndarray, k: int = k) -> np.ndarray:
            args = list(arrays)
            args[k] = value
            return forward(*args, *rest)[0]

        worst = max(worst, rel_error(grads[k], numeric_gradient(f, x, dout)))
    return worst


def cases(rng: np.random.Generator) -> dict[str, tuple[str, list[np.ndarray], tuple[Any, ...]]]:
    """target -> (forward's name stem, arrays with a gradient, other arguments): the notebooks' draws."""
    normal = rng.standard_normal
    return {
        "affine": ("affine", [normal((10, 2, 3)), normal((6, 5)), normal(5)], ()),
        "relu": ("relu", [normal((10, 10))], ()),
        "conv_naive": (
            "conv_naive",
            [normal((4, 3, 5, 5)), normal((2, 3, 3, 3)), normal(2)],
            ({"stride": 1, "pad": 1},),
        ),
        "max_pool_naive": (
            "max_pool_naive",
            [normal((3, 2, 8, 8))],
            ({"pool_height": 2, "pool_width": 2, "stride": 2},),
        ),
        "batchnorm": ("batchnorm", [5 * normal((4, 5)) + 12, normal(5), normal(5)], ({"mode": "train"},)),
        "batchnorm_alt": ("batchnorm", [5 * normal((4, 5)) + 12, normal(5), normal(5)], ({"mode": "train"},)),
        "spatial_batchnorm": (
            "spatial_batchnorm",
            [5 * normal((2, 3, 4, 5)) + 12, normal(3), normal(3)],
            ({"mode": "train"},),
        ),
        "layernorm": ("layernorm", [5 * normal((4, 5)) + 12, normal(5), normal(5)], ({},)),
        "spatial_groupnorm": (
            "spatial_groupnorm",
            [5 * normal((2, 6, 4, 5)) + 12, normal((1, 6, 1, 1)), normal((1, 6, 1, 1))],
            (2, {}),
        ),
        "dropout": ("dropout", [normal((10, 10)) + 10], ({"mode": "train", "p": 0.2, "seed": 123},)),
    }


def pair(module: ModuleType, stem: str, target: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    forward_name = f"{stem.removesuffix('_naive')}_forward" + ("_naive" if stem.endswith("_naive") else "")
    backward_name = forward_name.replace("_forward", "_backward")
    if target == "batchnorm_alt":
        backward_name = "batchnorm_backward_alt"
    return getattr(module, forward_name), getattr(module, backward_name)


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("student_layers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    doc = __doc__.splitlines()[0]
    parser = argparse.ArgumentParser(prog="python -m bench.numeric_check", description=doc)
    parser.add_argument("file", type=Path)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    module = load(args.file)
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        for target, (stem, arrays, rest) in cases(rng).items():
            forward, backward = pair(module, stem, target)
            error = check_layer(forward, backward, arrays, rest, rng)
            print(f"{target} seed {seed}: relative error {error:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
