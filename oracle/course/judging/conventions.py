"""Conventions the course varied over the years, inferred from the student's own numbers, never guessed.

- L2 regularization: ``reg * sum(W * W)`` (2017 on) or ``0.5 * reg * sum(W * W)`` (2016,
  and the networks of the second assignment): the call runs the student's loss at
  reg = 0 and at reg > 0, and the difference says which (``regularization``).
- An epsilon inside the log of a softmax loss, ``-log(p + 1e-16)``, so that a probability
  that underflows to 0 gives a large loss instead of inf: harmless, but where p is tiny it
  changes the loss beyond float64's tolerance (``epsilon_in_log``). The reference then
  computes the loss the student's way and the gradient of the exact loss, which is what
  ``probs - one_hot`` is.

Each function returns the convention and a sentence for the record's warning column,
starting with ``convention:`` so that ``check`` prints it as a note, not as a warning.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oracle.core.compare import compare

CONVENTION = "convention: "  # how a note about an inferred convention starts
# Epsilons students put inside the log, smallest first; 0 (none) is tried before them.
EPSILONS: tuple[float, ...] = (1e-20, 1e-16, float(np.finfo(np.float64).eps), 1e-15, 1e-14, 1e-12)
EPSILONS += (1e-10, 1e-9, 1e-8, float(np.finfo(np.float32).eps), 1e-7, 1e-6, 1e-5)


def _close(a: Any, b: Any, dtype: str) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.isfinite(a).all()) and compare(a, b, dtype).ok


def as_float(value: Any) -> float | None:
    """A student's scalar as a float, or None if it is not one."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return float(array.reshape(())) if array.size == 1 else None  # numpy 2 refuses float() of shape (1,)


def regularization(
    loss_reg: Any, loss_zero: Any, squares: float, reg: float, dtype: str, grads: tuple[Any, ...] = ()
) -> tuple[bool, str]:
    """(half, note): whether the student's regularization is ``0.5 * reg * sum(W * W)``.

    ``squares`` is the sum of the squared weights, ``loss_reg`` and ``loss_zero`` the
    student's losses at ``reg`` and at 0. When the losses decide nothing (the term is
    missing from the loss), ``grads`` = (dW at reg, dW at 0, W) may: the regularization
    gradient is ``2 * reg * W`` or ``reg * W``. Undecided: the full convention, said so.
    """
    full = reg * squares
    difference = None
    a, b = as_float(loss_reg), as_float(loss_zero)
    if a is not None and b is not None:
        difference = a - b
        for half, term in ((False, full), (True, 0.5 * full)):
            if _close(difference, term, dtype):
                return (
                    half,
                    f"{CONVENTION}{_text(half)} (inferred from your losses at reg = 0 and reg = {reg:g})",
                )
    if len(grads) == 3:
        d_reg, d_zero, W = (np.asarray(g, dtype=np.float64) for g in grads)
        if d_reg.shape == d_zero.shape == W.shape:
            for half, slope in ((False, 2 * reg), (True, reg)):
                if _close(d_reg - d_zero, slope * W, dtype):
                    return half, (
                        f"{CONVENTION}{_text(half)} (inferred from your gradients: your loss's own "
                        "regularization term does not match either convention)"
                    )
    return (
        False,
        f"{CONVENTION}{_text(False)} assumed: neither convention fits your losses at reg = 0 and {reg:g}",
    )


def _text(half: bool) -> str:
    return "0.5 * reg * sum(W**2) in the loss" if half else "reg * sum(W**2) in the loss"


def softmax_losses(scores: Any, labels: Any, eps: float) -> float:
    """The mean of -log(p_y + eps) over the rows of ``scores``, in float64."""
    s = np.asarray(scores, dtype=np.float64)
    shifted = s - s.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    rows = np.arange(s.shape[0])
    picked = log_p[rows, np.asarray(labels)]
    if eps == 0:
        return float(-picked.mean())
    return float(-np.log(np.exp(picked) + eps).mean())


def epsilon_in_log(data_loss: Any, scores: Any, labels: Any, dtype: str) -> tuple[float, str]:
    """(eps, note): the epsilon the student's softmax loss adds inside the log (0: none, or no fit)."""
    loss = as_float(data_loss)
    if loss is None or _close(loss, softmax_losses(scores, labels, 0.0), dtype):
        return 0.0, ""
    for eps in EPSILONS:
        if _close(loss, softmax_losses(scores, labels, eps), dtype):
            return eps, (
                f"{CONVENTION}-log(p + {eps:g}) in the loss: an epsilon inside the log, which changes the "
                "loss where a probability is tiny; the gradient is checked against the exact loss's"
            )
    return 0.0, ""


def joined(*notes: str) -> str:
    return "; ".join(n for n in notes if n)
