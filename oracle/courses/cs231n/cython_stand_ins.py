"""The course's compiled helpers in numpy, for submissions that were never built.

The second assignment's ``fast_layers.py`` imports ``im2col_cython`` (a Cython extension
built with ``python setup.py build_ext --inplace``); unbuilt, its import fails quietly and
every fast convolution and pooling then raises NameError, so the conv sandwiches of
``layer_utils.py`` could not be checked. The course declares this module as the stand-in
for ``im2col_cython`` (``COURSE.stand_ins``): the same functions, names and layouts.

Layouts, as the extension has them: ``im2col_cython`` returns (C * fh * fw, H' * W' * N),
row ``(c * fh + i) * fw + j``, column ``(y * W' + x) * N + n``; ``col2im_cython`` sums such
columns back into (N, C, H, W); ``col2im_6d_cython`` does so from (C, HH, WW, N, H', W').
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _sizes(height: int, width: int, fh: int, fw: int, padding: int, stride: int) -> tuple[int, int]:
    return (height + 2 * padding - fh) // stride + 1, (width + 2 * padding - fw) // stride + 1


def im2col_cython(x: Any, field_height: int, field_width: int, padding: int, stride: int) -> Any:
    n, c, height, width = x.shape
    out_h, out_w = _sizes(height, width, field_height, field_width, padding, stride)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((c, field_height, field_width, out_h, out_w, n), dtype=x.dtype)
    for i in range(field_height):
        for j in range(field_width):
            window = padded[:, :, i : i + stride * out_h : stride, j : j + stride * out_w : stride]
            cols[:, i, j] = window.transpose(1, 2, 3, 0)
    return cols.reshape(c * field_height * field_width, out_h * out_w * n)


def _summed(
    blocks: Any, n: int, c: int, height: int, width: int, fh: int, fw: int, padding: int, stride: int
) -> Any:
    """x from blocks[i][j] of shape (N, C, H', W'), each the values that tap (i, j) of the field saw."""
    out_h, out_w = _sizes(height, width, fh, fw, padding, stride)
    padded = np.zeros((n, c, height + 2 * padding, width + 2 * padding), dtype=blocks(0, 0).dtype)
    for i in range(fh):
        for j in range(fw):
            padded[:, :, i : i + stride * out_h : stride, j : j + stride * out_w : stride] += blocks(i, j)
    return padded[:, :, padding : padding + height, padding : padding + width]


def col2im_cython(
    cols: Any, N: int, C: int, H: int, W: int, field_height: int, field_width: int, padding: int, stride: int
) -> Any:
    out_h, out_w = _sizes(H, W, field_height, field_width, padding, stride)
    grid = np.asarray(cols).reshape(C, field_height, field_width, out_h, out_w, N)
    return _summed(
        lambda i, j: grid[:, i, j].transpose(3, 0, 1, 2),
        N,
        C,
        H,
        W,
        field_height,
        field_width,
        padding,
        stride,
    )


def col2im_6d_cython(
    cols: Any, N: int, C: int, H: int, W: int, HH: int, WW: int, pad: int, stride: int
) -> Any:
    grid = np.asarray(cols)  # (C, HH, WW, N, H', W')
    return _summed(lambda i, j: grid[:, i, j].transpose(1, 0, 2, 3), N, C, H, W, HH, WW, pad, stride)
