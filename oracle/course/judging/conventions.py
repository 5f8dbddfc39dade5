"""Conventions the course varied over the years, inferred from the student's own numbers, never guessed.

- L2 regularization: ``reg * sum(W * W)`` (2017 on) or ``0.5 * reg * sum(W * W)`` (2016,
  and the networks of the second assignment): the call runs the student's loss at
  reg = 0 and at reg > 0, and the difference says which (``regularization``).
- An epsilon inside the log of a softmax loss, ``-log(p + 1e-16)``, so that a probability
  that underflows to 0 gives a large loss instead of inf: harmless, but where p is tiny it
  changes the loss beyond float64's tolerance (``epsilon_in_log``). The reference then
  computes the loss the student's way and the gradient of the exact loss, which is what
  ``probs - one_hot`` is.
- The same epsilon added to the exponentials before they are normalized, ``e = exp(s -
  max(s)) + 1e-12; p = e / e.sum()``, so that no probability is exactly 0: the second
  placement students use for it (``EPSILON_PLACES``), as harmless, and inferred the same
  way (``softmax_epsilon``); the note says which placement was taken. Its code takes dx
  from the same probabilities, ``p - one_hot``, and so does the reference's gradient.

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
# Where the epsilon goes: inside the log, -log(p + eps) ("log"), or onto each exponential
# (shifted by the row's maximum) before the sum normalizes them, (e_y + eps) / sum(e + eps) ("sum").
EPSILON_PLACES: tuple[str, ...] = ("log", "sum")
PLACE_TEXT = {
    "log": "-log(p + {:g}) in the loss: an epsilon inside the log, which changes the loss where a "
    "probability is tiny; the gradient is checked against the exact loss's",
    "sum": "exp(s - max(s)) + {:g}, then normalized, in the loss: an epsilon added to the exponentials, "
    "which changes the loss where a probability is tiny, with the gradient checked against those "
    "probabilities' p - one_hot",
}


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


def softmax_losses(scores: Any, labels: Any, eps: float, at: str = "log") -> float:
    """The mean of -log(p_y + eps) (``at`` "log") or of -log((e_y + eps) / sum(e + eps)) (``at``
    "sum", e the exponentials of the scores shifted by the row's maximum) over the rows of
    ``scores``, in float64."""
    s = np.asarray(scores, dtype=np.float64)
    shifted = s - s.max(axis=-1, keepdims=True)
    rows, picked_labels = np.arange(s.shape[0]), np.asarray(labels)
    if at == "sum" and eps != 0:
        e = np.exp(shifted) + eps
        return float(-np.log(e[rows, picked_labels] / e.sum(axis=-1)).mean())
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = log_p[rows, picked_labels]
    if eps == 0:
        return float(-picked.mean())
    return float(-np.log(np.exp(picked) + eps).mean())


def softmax_epsilon(data_loss: Any, scores: Any, labels: Any, dtype: str) -> tuple[float, str, str]:
    """(eps, at, note): the epsilon the student's softmax loss adds and where (``EPSILON_PLACES``);
    (0, "log", "") for none, or when no epsilon at either place fits their loss.

    Of the epsilons and places that fit, the one closest to the student's loss is taken
    (the smaller epsilon, inside the log, on a tie).
    """
    loss = as_float(data_loss)
    if loss is None or _close(loss, softmax_losses(scores, labels, 0.0), dtype):
        return 0.0, "log", ""
    fits = []
    for order, (eps, at) in enumerate((e, a) for e in EPSILONS for a in EPSILON_PLACES):
        value = softmax_losses(scores, labels, eps, at)
        if _close(loss, value, dtype):
            fits.append((abs(value - loss), order, eps, at))
    if not fits:
        return 0.0, "log", ""
    _, _, eps, at = min(fits)
    return eps, at, f"{CONVENTION}{PLACE_TEXT[at].format(eps)}"


def epsilon_in_log(data_loss: Any, scores: Any, labels: Any, dtype: str) -> tuple[float, str]:
    """(eps, note): the epsilon the student's softmax loss adds inside the log (0: none, or no fit)."""
    loss = as_float(data_loss)
    if loss is None or _close(loss, softmax_losses(scores, labels, 0.0), dtype):
        return 0.0, ""
    for eps in EPSILONS:
        if _close(loss, softmax_losses(scores, labels, eps), dtype):
            return eps, f"{CONVENTION}{PLACE_TEXT['log'].format(eps)}"
    return 0.0, ""


def joined(*notes: str) -> str:
    return "; ".join(n for n in notes if n)
