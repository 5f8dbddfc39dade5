"""Depth: forward + backward of a chain of n scalar gates, in the engine and in micrograd.

The chain is ``y = -(y * c)`` repeated n/2 times (c = 1 + 1e-6): n gates, alternately a
multiplication by a constant and a negation, written the same way for both libraries
(``reference.Value`` holds 0-d arrays, micrograd's ``Value`` Python floats). One call
builds the chain from a fresh input and runs ``backward()``.

The engine walks the graph with an explicit stack, so its time must grow linearly with n.
micrograd sorts the graph with a recursive function, one Python frame per gate in a chain,
so it raises ``RecursionError`` near Python's default recursion limit (1000): it is run up
to its first failure and never with a raised limit, and the largest chain it can do is
found by bisection.

Chains up to 10^5 gates are timed in rounds, a warm-up and a timed call of each size per
round, so a slow spell of the machine hits every size alike; the 10^6 chain is timed on its
own. micrograd is timed in turn with the engine at the same size: the engine / micrograd ratio.

``ratio``: the time per gate relative to the engine's at n = 10^3 (1.0 = linear growth).
"""

from __future__ import annotations

import gc
import math
import sys
from collections.abc import Callable
from typing import Any

from bench.common import Row, median_time, median_times, ratio

C = 1 + 1e-6
SIZES = (10**2, 10**3, 10**4, 10**5, 10**6)
QUICK_SIZES = (10**2, 10**3, 10**4, 10**5)
BASELINE_SIZE = 10**3


ROUNDS, QUICK_ROUNDS = 9, 3  # chains up to 10^5: rounds of one call per size, sizes in turn
LARGEST_REPEATS = 2  # the 10^6 chain (about 10 s a call): timed on its own


def chain(value: Callable[[float], Any], n: int) -> tuple[Any, Any]:
    """Build n gates on a fresh input and run backward; returns (input, output)."""
    x = value(0.75)
    y = x
    for _ in range(n // 2):
        y = -(y * C)
    y.backward()
    return x, y


def engine_value() -> Callable[[float], Any]:
    from reference import Value

    return Value


def micrograd_value() -> Callable[[float], Any] | None:
    try:
        from micrograd.engine import Value
    except ImportError:
        return None
    return Value


def check(value: Callable[[float], Any], n: int) -> None:
    """The chain's gradient is c^(n/2): a skipped or doubled gate would be off by 1e-6."""
    x, _ = chain(value, n)
    expected = C ** (n // 2)
    if not math.isclose(float(x.grad), expected, rel_tol=1e-9):
        raise AssertionError(f"chain of {n}: gradient {float(x.grad)!r}, expected {expected!r}")


def attempt(fns: dict[str, Callable[[], Any]], rounds: int, warmup: int = 1) -> dict[str, float] | None:
    """``median_times`` of the chains (round-robin), or None if one raises RecursionError.

    Probing and timing micrograd both go through here, so its recursion starts from the same
    stack depth in both, and a size that worked when probed also works when timed.
    """
    try:
        return median_times(fns, rounds, warmup=warmup)
    except RecursionError:
        return None


def largest_chain(value: Callable[[float], Any], lo: int, hi: int) -> int:
    """The largest even n in [lo, hi) whose chain works, given that lo works and hi fails."""
    while hi - lo > 2:
        mid = (lo + hi) // 4 * 2
        if attempt({"micrograd": lambda mid=mid: chain(value, mid)}, 1, 0) is None:
            hi = mid
        else:
            lo = mid
    return lo


def frames() -> int:
    """Python frames on the stack here: micrograd's recursion shares the limit with them."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


def run(quick: bool = False) -> list[Row]:
    sizes = QUICK_SIZES if quick else SIZES
    rounds = QUICK_ROUNDS if quick else ROUNDS
    engine, micrograd = engine_value(), micrograd_value()
    check(engine, 10**3)
    small = [n for n in sizes if n <= 10**5]
    chains = {str(n): lambda n=n: chain(engine, n) for n in small}
    # One untimed call before each timed one: the first chain built after a large one has been
    # freed is slow (the allocator asks the system for memory again), whatever its size.
    engine_s = {int(n): t for n, t in median_times(chains, rounds, warmup=1).items()}
    counts = dict.fromkeys(small, rounds)
    for n in sizes:
        if n not in engine_s:  # the 10^6 chain: warmed up by the smaller ones
            engine_s[n], counts[n] = (
                median_time(lambda n=n: chain(engine, n), LARGEST_REPEATS, 0),
                LARGEST_REPEATS,
            )
    base = engine_s[BASELINE_SIZE] / BASELINE_SIZE

    def per_gate(seconds: float, n: int) -> float:
        return ratio(seconds / n, base)

    rows = [
        Row(
            "depth",
            "engine",
            str(n),
            counts[n],
            engine_s[n],
            per_gate(engine_s[n], n),
            us(engine_s[n], n),
        )
        for n in sizes
    ]

    # The garbage collector: on above (as a user has it); off here, at the largest size, to show its share.
    n = sizes[-1]
    enabled = gc.isenabled()
    gc.disable()
    try:
        off = median_time(lambda: chain(engine, n), counts[n], warmup=0)
    finally:
        if enabled:
            gc.enable()
    rows.append(
        Row(
            "depth",
            "engine, gc off",
            str(n),
            counts[n],
            off,
            per_gate(off, n),
            f"{us(off, n)}; gc on costs {engine_s[n] / off:.2f}x at this size "
            "(the chain has no cycles: the collector rescans live nodes for nothing)",
        )
    )
    if micrograd is None:
        rows.append(Row("depth", "micrograd", "-", 0, math.nan, math.nan, "not installed"))
        return rows
    check(micrograd, 10**2)

    def versus(n: int) -> Row | None:
        """micrograd at n, timed in turn with the engine at n; None if micrograd raises RecursionError."""
        if attempt({"micrograd": lambda: chain(micrograd, n)}, 1, 0) is None:  # a probe
            return None
        pair = attempt({"engine": lambda: chain(engine, n), "micrograd": lambda: chain(micrograd, n)}, rounds)
        if pair is None:
            return None
        t = pair["micrograd"]
        note = f"{us(t, n)}; engine / micrograd {pair['engine'] / t:.2f} (timed in turn at this size)"
        return Row("depth", "micrograd", str(n), rounds, t, per_gate(t, n), note)

    failed_at = 0
    for n in sizes:
        if failed_at:
            rows.append(
                Row("depth", "micrograd", str(n), 0, math.nan, math.nan, f"not run: fails from {failed_at}")
            )
            continue
        row = versus(n)
        if row is None:
            failed_at = n
            limit = f"recursion limit {sys.getrecursionlimit()}, {frames()} frames already on the stack"
            rows.append(Row("depth", "micrograd", str(n), 0, math.nan, math.nan, f"RecursionError ({limit})"))
        else:
            rows.append(row)
    works = [n for n in sizes if n < failed_at]
    if failed_at and works:
        largest = largest_chain(micrograd, works[-1], failed_at)
        row = versus(largest)
        if row is not None:
            row.variant = "micrograd, largest chain"
            row.note += f"; {largest + 2} gates raise RecursionError"
            rows.append(row)
    return rows


def us(seconds: float, n: int) -> str:
    return f"{seconds / n * 1e6:.2f} us/gate"
