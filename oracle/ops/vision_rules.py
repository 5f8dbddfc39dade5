"""The vision ops' interval and slope rules: bounds on their outputs and on their local gradients.

Random graphs use them (``oracle.ops.vision`` declares the ops) to keep every value finite in
default, edge and wide mode, as ``oracle.ops.rules`` does for the other families.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from oracle.ops.base import Bounds, Interval, Shape
from oracle.ops.vision_jax import EPS_DEFAULT


def conv_iv(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
    x, w, b = args
    reach = math.prod(w.shape[1:]) * x.mag() * w.mag() + b.mag()  # C * k * k products and the bias
    return -reach, reach


def conv_slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
    """An element of x meets every filter at most k * k times; w and b meet every output position."""
    x, w, _ = args
    positions = shape[0] * shape[2] * shape[3]
    return math.prod(w.shape) / w.shape[1] * w.mag(), positions * x.mag(), float(positions)


def windows_per_element(attrs: Mapping[str, Any]) -> float:
    stride = attrs["stride"]
    return math.ceil(attrs["pool_height"] / stride) * math.ceil(attrs["pool_width"] / stride)


def max_pool_slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
    return (windows_per_element(attrs),)


def avg_pool_slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
    return (windows_per_element(attrs) / (attrs["pool_height"] * attrs["pool_width"]),)


def group_size(x: Shape, name: str, attrs: Mapping[str, Any]) -> int:
    """How many elements each mean and variance is taken over."""
    if name == "batchnorm":
        return x[0]
    if name == "layernorm":
        return x[1]
    if name == "spatial_batchnorm":
        return x[0] * x[2] * x[3]
    return x[1] // attrs["G"] * x[2] * x[3]


def norm_iv(name: str) -> Any:
    """|xhat| <= sqrt(m - 1) for m elements per statistic: gamma times that, plus beta."""

    def interval(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
        x, gamma, beta = args
        reach = gamma.mag() * math.sqrt(group_size(x.shape, name, attrs) - 1) + beta.mag()
        return -reach, reach

    return interval


def norm_slope(name: str) -> Any:
    """dx = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / sqrt(var + eps), |dxhat| <= |gamma|,
    |xhat| <= sqrt(m - 1), mean |xhat| <= 1: at most |gamma| (m + 1) / sqrt(eps). dgamma sums g xhat,
    dbeta g, over the elements of one feature."""

    def slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
        x, gamma, _ = args
        m = group_size(x.shape, name, attrs)
        per_feature = math.prod(x.shape) / x.shape[1]
        dx = gamma.mag() * (m + 1) / math.sqrt(attrs.get("eps", EPS_DEFAULT))
        return dx, per_feature * math.sqrt(max(m - 1, 1)), per_feature

    return slope


def norm_generic(name: str) -> Any:
    """Generic with at least 3 elements per statistic: with 2, xhat is +-1 up to eps (ties in float32)."""

    def generic(args: Sequence[Bounds], shape: Shape) -> bool:
        smallest = {"batchnorm": shape[0], "layernorm": shape[-1]}.get(name)
        if smallest is None:  # group norm: at least one channel per group
            smallest = (shape[0] if name == "spatial_batchnorm" else 1) * shape[2] * shape[3]
        return smallest >= 3

    return generic


def dropout_iv(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
    scale = 1 / (1 - attrs["p"])
    return min(0.0, args[0].lo * scale), max(0.0, args[0].hi * scale)
