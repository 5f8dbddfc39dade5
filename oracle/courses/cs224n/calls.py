"""How CS224n's word2vec functions are called: the course's arguments, and a dataset the check controls.

``naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset)``
returns ``(loss, gradCenterVec, gradOutsideVecs)`` (2017-2018: ``softmaxCostAndGradient(predicted,
target, outputVectors, dataset)``, the same order); negative sampling takes ``K`` too and
draws its negatives from ``dataset.sampleTokenIdx()`` (through the course's
``getNegativeSamples``). The check's dataset (``Draws``) hands out the case's token
indices in order, so the student's function and the JAX reference see the same samples,
repeated indices and draws of the outside word itself included. ``skipgram`` (and the
older ``cbow``) get words as strings, ``word2Ind`` (``tokens``), and as their loss function
the check's own naive softmax (``softmax_loss``), so a verdict on them is theirs alone.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.course.calling.calls import (
    Call,
    Problem,
    Raised,
    Unfinished,
    Watch,
    copy_for_student,
    edited,
    kept,
    notes,
    output,
    step,
)
from oracle.course.judging.conventions import CONVENTION
from oracle.courses.cs224n.word2vec_jax import K


class Draws:
    """The check's dataset: ``sampleTokenIdx()`` returns the case's draws in order."""

    def __init__(self, draws: Sequence[int], vocabulary: int) -> None:
        self._draws = [int(d) for d in draws]
        self._next = 0
        self._vocabulary = vocabulary

    def sampleTokenIdx(self) -> int:
        if self._next >= len(self._draws):
            raise Problem(f"drew more than the {len(self._draws)} token indices the check prepared")
        self._next += 1
        return self._draws[self._next - 1]

    def tokens(self) -> dict[str, int]:
        return {word(i): i for i in range(self._vocabulary)}


def word(index: int) -> str:
    return f"w{index}"


def softmax_loss(
    center: Any, o: Any, outside: Any, dataset: Any = None
) -> tuple[float, np.ndarray, np.ndarray]:
    """The check's own naive softmax loss and gradients: skipgram's and cbow's loss function."""
    scores = outside @ center
    p = np.exp(scores - np.max(scores))
    p /= np.sum(p)
    loss = -math.log(p[o])
    p[o] -= 1.0
    return float(loss), outside.T @ p, np.outer(p, center)


BLOCK = re.compile(r"#+\s*YOUR CODE HERE[^\n]*\n(.*?)#+\s*END YOUR CODE", re.DOTALL | re.IGNORECASE)


def empty_blocks(fn: Any) -> bool:
    """Whether ``fn``'s source has the course's ``YOUR CODE HERE`` blocks, each holding only comments."""
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return False
    blocks = BLOCK.findall(source)
    return bool(blocks) and all(
        all(not line.strip() or line.strip().startswith("#") for line in block.splitlines())
        for block in blocks
    )


def untouched(name: str, fn: Any, run: Any) -> tuple[Any, Any, Any]:
    """``run()``'s (loss, gradient, gradient); ``Unfinished`` when ``fn`` is the starter code as handed out.

    The course's templates have no ``pass``: their ``YOUR CODE HERE`` block is empty, and
    they return names never assigned (a NameError) or the zeros they start from.
    """
    template = f"{name} is still the assignment's template (its YOUR CODE HERE block is empty)"
    try:
        loss, first, second = triple(run(), name)
    except Raised as raised:
        if isinstance(raised.exc, NameError) and empty_blocks(fn):
            raise Unfinished(template) from raised
        raise
    if empty_blocks(fn) and all(_zero(v) for v in (loss, first, second)):
        raise Unfinished(template)
    return loss, first, second


def _zero(value: Any) -> bool:
    try:
        return not np.any(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        return False


def triple(result: Any, stage: str) -> tuple[Any, Any, Any]:
    if not isinstance(result, list | tuple) or len(result) != 3:
        raise Problem(f"{stage} returned {type(result).__name__}, expected (loss, gradient, gradient)")
    return result[0], result[1], result[2]


def default_loss(fn: Any) -> Any:
    """The loss function a skipgram's last parameter defaults to (the student's own), or None."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    own = params[-1].default if params else None
    return own if callable(own) and own is not inspect.Parameter.empty else None


def _positional(fn: Any) -> int:
    """How many positional parameters ``fn`` has (-1: it takes any number, or it cannot be read)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return -1
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return -1
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def takes(fn: Any, name: str, position: int) -> bool:
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return name in params or len(params) > position


def loss_call(name: str, sampled: bool) -> Call:
    """``NAME(center, o, outside, dataset[, K])`` -> (loss, dcenter, doutside)."""

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        center, outside, o = inputs[0], inputs[1], int(inputs[2])
        dataset = Draws(inputs[3] if sampled else (), outside.shape[0])
        before = Watch()
        before.watch(names[0], center)
        before.watch(names[1], outside)
        extra = (K,) if sampled and takes(impl[0], "K", 4) else ()
        loss, d_center, d_outside = untouched(
            name, impl[0], lambda: step(name, impl[0], center, o, outside, dataset, *extra)
        )
        loss, d_center, note = _unwrapped(output(loss, name), kept(d_center), center.shape, name)
        return Outcome(
            loss, {names[0]: d_center, names[1]: kept(d_outside)}, warning=notes(note, edited(name, before))
        )

    return call


def _unwrapped(loss: Any, d_center: Any, shape: tuple[int, ...], name: str) -> tuple[Any, Any, str]:
    """A loss of shape (1,) and a center gradient of shape (1, d) (a center vector reshaped to a
    column along the way) as the scalar and the (d,) vector they hold, noted; anything else as it is.
    """
    wrapped = []
    if isinstance(loss, np.ndarray) and loss.ndim > 0 and loss.size == 1:
        wrapped.append(f"its loss of shape {loss.shape}")
        loss = loss.reshape(())
    if isinstance(d_center, np.ndarray) and d_center.shape != shape and d_center.squeeze().shape == shape:
        wrapped.append(f"its center gradient of shape {d_center.shape}")
        d_center = d_center.reshape(shape)
    if not wrapped:
        return loss, d_center, ""
    held = " and ".join(wrapped)
    return loss, d_center, f"{CONVENTION}{name} returns {held}: judged as the values they hold"


def model_call(name: str) -> Call:
    """``NAME(center, windowSize, outside words, word2Ind, centerVectors, outsideVectors, dataset, loss)``."""

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        center_vectors, outside, c, context = inputs
        vocabulary = outside.shape[0]
        words = [word(int(j)) for j in context]
        table = {word(i): i for i in range(vocabulary)}
        before = Watch()
        before.watch(names[0], center_vectors)
        before.watch(names[1], outside)
        window = max(1, math.ceil(len(words) / 2))
        args: tuple[Any, ...] = (word(int(c)), window, words, table, center_vectors, outside)
        note = ""
        if _positional(impl[0]) == len(args) + 1:  # 7, with the dataset and the loss: no windowSize (C)
            args, note = args[:1] + args[2:], f"{CONVENTION}{name} takes no windowSize (C): called without it"
        args += (Draws((), vocabulary),)
        try:
            result = untouched(name, impl[0], lambda: step(name, impl[0], *args, softmax_loss))
        except Raised as raised:
            own = default_loss(impl[0])
            if not isinstance(raised.exc, AssertionError) or own is None:
                raise
            note = notes(
                note,
                f"{name} refused the check's loss function (AssertionError): "
                f"judged with its own default, {own.__name__}",
            )
            result = step(name, impl[0], *args, own)
        loss, d_center, d_outside = triple(result, name)
        grads = {names[0]: kept(d_center), names[1]: kept(d_outside)}
        return Outcome(output(loss, name), grads, warning=notes(note, edited(name, before)))

    return call


__all__ = ["Draws", "copy_for_student", "loss_call", "model_call", "softmax_loss"]
