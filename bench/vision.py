"""The engine's vision gates beside JAX's jitted VJP of the same layers, on a CIFAR-sized batch.

- ``conv2d``: N = 50 images of 3 x 32 x 32, 32 filters of 7 x 7, stride 1, pad 3: the forward
  and the gradients of x, w and b for one upstream gradient;
- ``max_pool2d``: 2 x 2 windows, stride 2, on the conv's output (50 x 32 x 32 x 32).

The engine (``reference.layers``: im2col, one matrix product per gradient) runs
``apply(...).backward(g)``; JAX runs ``jax.jit`` of ``jax.vjp`` of the oracle's own op
(``oracle.ops.vision``), compiled before timing, arrays on its device from
the start, every call waited for. float64 on both sides. Each variant is the median of
round-robin blocks of calls after warm-up calls. The target: the engine within
``TARGET`` times JAX's time. Measured twice, like ``bench.lecture_mlp``: as a user runs it
(numpy's BLAS on every core) and in a fresh process with one BLAS thread.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import Row, median_times, ratio

ROOT = Path(__file__).resolve().parent.parent
TARGET = 3.0  # the engine's time at most this many times jitted JAX's
CONV = {"n": 50, "c": 3, "size": 32, "filters": 32, "kernel": 7, "pad": 3}
BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def layers() -> dict[str, Callable[[], Any]]:
    """The four timed calls: the engine's and JAX's conv2d, then max_pool2d, each forward and backward."""
    import jax
    import jax.numpy as jnp

    from oracle.ops.vision_jax import conv2d, max_pool2d  # importing oracle turns on JAX's float64
    from reference import Value, apply

    rng = np.random.default_rng(0)
    n, c, size, f, k, pad = CONV.values()
    x = rng.standard_normal((n, c, size, size))
    w = rng.standard_normal((f, c, k, k)) / k
    b = rng.standard_normal(f)
    g = rng.standard_normal((n, f, size, size))
    a = rng.standard_normal((n, f, size, size))
    g_pool = rng.standard_normal((n, f, size // 2, size // 2))

    def engine_conv() -> Any:
        values = [Value(x), Value(w), Value(b)]
        apply("conv2d", *values, stride=1, pad=pad).backward(g)
        return [v.grad for v in values]

    def engine_pool() -> Any:
        value = Value(a)
        apply("max_pool2d", value, pool_height=2, pool_width=2, stride=2).backward(g_pool)
        return value.grad

    def conv_vjp(x: Any, w: Any, b: Any, g: Any) -> Any:
        out, pullback = jax.vjp(lambda *args: conv2d(*args, stride=1, pad=pad), x, w, b)
        return out, pullback(g)

    def pool_vjp(a: Any, g: Any) -> Any:
        out, pullback = jax.vjp(lambda a: max_pool2d(a, pool_height=2, pool_width=2, stride=2), a)
        return out, pullback(g)

    conv_jit, pool_jit = jax.jit(conv_vjp), jax.jit(pool_vjp)
    jx, jw, jb, jg, ja, jgp = (jnp.asarray(v) for v in (x, w, b, g, a, g_pool))
    return {
        "conv2d, jax jit": lambda: jax.block_until_ready(conv_jit(jx, jw, jb, jg)),
        "conv2d, engine": engine_conv,
        "max_pool2d, jax jit": lambda: jax.block_until_ready(pool_jit(ja, jgp)),
        "max_pool2d, engine": engine_pool,
    }


def measure(quick: bool) -> tuple[dict[str, float], int]:
    """Median seconds of each call (round-robin blocks after warm-up), and the number of timed calls."""
    fns = layers()
    for fn in fns.values():  # compiles the jitted VJPs before anything is timed
        fn()
    rounds, block = (2, 2) if quick else (5, 4)
    return median_times(fns, rounds, block, warmup=1), rounds * block


def single_threaded(quick: bool) -> dict[str, float]:
    """``measure`` in a fresh process whose BLAS has one thread (it reads the variable at start-up)."""
    env = {**os.environ, **dict.fromkeys(BLAS_ENV, "1")}
    command = [sys.executable, "-m", "bench.vision", "--json"] + ["--quick"] * quick
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    times: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return times


def rows(times: dict[str, float], repeats: int, suffix: str = "") -> list[Row]:
    n, c, size, f, k, pad = CONV.values()
    sizes = {
        "conv2d": f"{n}x{c}x{size}x{size}, {f} filters {k}x{k}, pad {pad}",
        "max_pool2d": f"{n}x{f}x{size}x{size}, 2x2",
    }
    found = []
    for layer, size_text in sizes.items():
        base, engine = times[f"{layer}, jax jit"], times[f"{layer}, engine"]
        met = "met" if engine <= TARGET * base else "MISSED"
        note = f"reference.layers, forward and backward; target <= {TARGET:g}x jax jit: {met}"
        found.append(
            Row("vision", f"{layer}, jax jit{suffix}", size_text, repeats, base, 1.0, "baseline: jit(vjp)")
        )
        found.append(
            Row("vision", f"{layer}, engine{suffix}", size_text, repeats, engine, ratio(engine, base), note)
        )
    return found


def run(quick: bool = False) -> list[Row]:
    """As a user runs it (numpy's BLAS on every core), then with one BLAS thread."""
    times, repeats = measure(quick)
    return [*rows(times, repeats), *rows(single_threaded(quick), repeats, ", 1 BLAS thread")]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.vision", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the medians as one JSON line")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.quick)[0]))
    else:
        from bench.common import table

        print(table(run(args.quick)))
