"""Index arithmetic for im2col, as the assignment's helper module has it (imported by layers.py)."""

import numpy as np


def im2col_indices(x_shape, field_height, field_width, padding=1, stride=1):
    """The (channel, row, column) indices of every window of a padded (N, C, H, W) input, as columns."""
    _, C, H, W = x_shape
    out_height = (H + 2 * padding - field_height) // stride + 1
    out_width = (W + 2 * padding - field_width) // stride + 1
    rows = np.repeat(np.arange(field_height), field_width)
    rows = np.tile(rows, C)[:, None] + stride * np.repeat(np.arange(out_height), out_width)[None, :]
    cols = np.tile(np.arange(field_width), field_height * C)[:, None]
    cols = cols + stride * np.tile(np.arange(out_width), out_height)[None, :]
    channels = np.repeat(np.arange(C), field_height * field_width)[:, None]
    return channels, rows, cols
