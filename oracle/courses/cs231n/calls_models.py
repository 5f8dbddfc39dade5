"""The student's side of the network targets: how their functions and classes are called.

Like ``oracle.course.calling.calls`` (whose helpers these use), these are the only code that
touches the student's objects, and return plain arrays and numbers.

- ``net_call``: a network class (``TwoLayerNet``, ``FullyConnectedNet``, ``ThreeLayerConvNet``),
  built with the
  sizes the weights have, its ``params`` replaced by the case's arrays, its ``loss(X, y)``
  run at reg = 0 and at the target's reg, and ``loss(X)`` for the scores. The class's
  signature changed over the years: ``TwoLayerNet(input_size, hidden_size, output_size,
  std)`` with ``loss(X, y, reg)`` (first assignment to 2019), ``TwoLayerNet(input_dim,
  hidden_dim, num_classes, weight_scale, reg)`` with ``loss(X, y)`` and ``self.reg``
  (second assignment; the first from 2020); ``FullyConnectedNet(hidden_dims, input_dim,
  num_classes, dropout | dropout_keep_ratio, use_batchnorm | normalization, reg,
  weight_scale, dtype, seed)``. Arguments are passed by the names the student's
  ``__init__`` has.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.course.calling.calls import (
    Call,
    Problem,
    Unfinished,
    copy_for_student,
    output,
    pair,
    step,
)
from oracle.course.calling.fd import with_points
from oracle.courses.cs231n.attempted import mentions, template_called

# --------------------------------------------------------------------- networks

# What code attempting a normalization names (its layers, its running averages' dicts), by its kind.
NORM_WORDS = {"batchnorm": ("batchnorm", "batch_norm", "bn"), "layernorm": ("layernorm", "layer_norm", "ln")}


def norm_words(kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    """The words of the normalization a net is built with (``normalization=``, 2017: ``use_batchnorm``)."""
    return NORM_WORDS.get(str(kwargs.get("normalization") or "batchnorm"), ())


# What each year's __init__ calls the sizes and options.
_SIZES = {
    "input_dim": "D",
    "input_size": "D",
    "hidden_dim": "H",
    "hidden_size": "H",
    "hidden_dims": "hidden",
    "num_classes": "C",
    "output_size": "C",
}


@dataclass(frozen=True)
class Off:
    """A dropout option turned off: the ``__init__``'s own default when it is 0 or 1, else ``fallback``.

    What turns dropout off changed over the years: ``dropout=0`` (2016-2017, the probability
    of dropping), ``dropout=1`` (2018-2020, the probability of keeping: "if dropout=1 then
    the network should not use dropout at all"), ``dropout_keep_ratio=1`` (2021 on). The
    default of the student's ``__init__`` says which (passing 0 to a 2018 net drops every unit).
    """

    fallback: float


def _off(parameter: inspect.Parameter, option: Off) -> Any:
    default = parameter.default
    return default if isinstance(default, int | float) and default in (0, 1) else option.fallback


def constructor_arguments(cls: Any, sizes: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``cls.__init__``: the sizes and the options its signature has names for."""
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError) as exc:
        raise Problem(f"cannot read the signature of {getattr(cls, '__name__', cls)}: {exc}") from exc
    kwargs: dict[str, Any] = {}
    for name in params:
        if name in _SIZES:
            size = sizes[_SIZES[name]]
            kwargs[name] = list(size) if isinstance(size, tuple) else size
        elif name in options:
            option = options[name]
            kwargs[name] = _off(params[name], option) if isinstance(option, Off) else option
        elif name in ("std", "weight_scale"):
            kwargs[name] = 1e-2
        elif name == "dtype":
            kwargs[name] = np.float64  # the notebooks' gradient checks build the nets in float64
    return kwargs


def supports(cls: Any, option: str) -> bool:
    """Whether ``cls.__init__`` takes an argument named ``option``."""
    try:
        return option in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False


class Net:
    """A student's network object, built for the case's sizes; ``loss`` runs it on given parameters."""

    def __init__(
        self, name: str, cls: Any, names: Sequence[str], settings: Mapping[str, Any], options: Any
    ) -> None:
        kwargs = constructor_arguments(cls, settings, {**options, "reg": 0.0})
        self.name, self.names, self.kwargs = name, list(names), kwargs
        self.net = step(f"{name}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})", cls, **kwargs)
        self.takes_reg = supports(getattr(self.net, "loss", None), "reg")

    def loss(self, stage: str, params: Sequence[Any], X: Any, labels: Any, reg: float) -> Any:
        """``net.loss(X[, y])``, ``params`` (copies) in ``net.params``, reg set as its year takes it."""
        table = getattr(self.net, "params", None)
        if not isinstance(table, dict):
            raise Problem(f"{self.name} has no params dict (found {type(table).__name__})")
        missing = [k for k in self.names if k not in table]
        if missing:
            found = ", ".join(map(str, table)) or "none"
            text = f"{self.name}.params has no {', '.join(missing)} (it has {found})"
            norm = all(k.startswith(("gamma", "beta")) for k in missing)
            if norm and not mentions(
                type(self.net), norm_words(self.kwargs)
            ):  # normalization not done yet (2025's a1)
                raise Unfinished(f"{text}; the code of {self.name} has no normalization yet")
            raise Problem(text)
        for k, value in zip(self.names, params, strict=True):
            table[k] = copy_for_student(value)
        if not self.takes_reg:
            self.net.reg = reg
        if labels is None:
            return step(stage, self.net.loss, copy_for_student(X))
        kw = {"reg": reg} if self.takes_reg else {}
        return step(stage, self.net.loss, copy_for_student(X), copy_for_student(labels), **kw)

    def loss_and_grads(
        self, params: Sequence[Any], X: Any, labels: Any, reg: float
    ) -> tuple[Any, dict[str, Any]]:
        stage = f"{self.name}.loss(X, y) at reg = {reg:g}"
        value, grads = pair(self.loss(stage, params, X, labels, reg), stage, "(loss, grads)")
        if not isinstance(grads, dict):
            raise Problem(f"{stage} returned grads as {type(grads).__name__}, expected a dict")
        return output(value, stage), {k: grads.get(k) for k in self.names}


def net_call(
    name: str, options: Mapping[str, Any] | None = None, plain: Mapping[str, Any] | None = None
) -> Call:
    """Build ``NAME`` for the weights' sizes, set its ``params``, run ``loss`` at 0, at reg, and for scores.

    ``settings`` holds ``reg`` and the sizes (``D``, ``H`` or ``hidden``, ``C``);
    ``options`` the constructor's other arguments by each year's name (``normalization``,
    ``use_batchnorm``, ``dropout``...). The outcome's output is the loss at reg, its
    gradients ``grads[k]`` for every parameter ``k``, its extras the scores and the loss at 0.
    With ``plain`` (the options without the normalization ``options`` turn on), a net whose
    loss and gradients are those of the plain net never applies it (``never_applied``).
    """
    chosen = dict(options or {})

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        params, (X, y) = inputs[: len(names)], inputs[len(names) : len(names) + 2]
        net = Net(name, impl[0], names, settings, chosen)
        if plain is not None:
            _no_template(net, norm_words(net.kwargs))
        loss_zero, _ = net.loss_and_grads(params, X, y, 0.0)
        value, grads = net.loss_and_grads(params, X, y, float(settings["reg"]))
        # test mode after training, as the course runs it (a batch norm's running averages exist then)
        scores = output(net.loss(f"{name}.loss(X)", params, X, None, 0.0), f"{name}.loss(X)")
        if plain is not None:
            _normalized_or_not(net, (value, grads), params, (X, y), settings, (chosen, plain))
        extras = {"scores": scores, "loss at reg 0": loss_zero}
        return Outcome(value, grads, extras=extras)

    return call


def _no_template(net: Net, words: Sequence[str]) -> None:
    """``not implemented`` when the net calls a layer of the option that is still the template."""
    reason = template_called(type(net.net), words)
    if reason:
        raise Unfinished(
            f"{net.name} built with it calls {reason.replace(' is still', ', which is still', 1)}"
        )


def _normalized_or_not(
    net: Net,
    found: tuple[Any, Mapping[str, Any]],
    params: Sequence[Any],
    data: tuple[Any, Any],
    settings: Mapping[str, Any],
    options: tuple[Mapping[str, Any], Mapping[str, Any]],
) -> None:
    """Raise ``never_applied`` when the plain net (no gamma, no beta) gives the same loss and gradients."""
    reg, (value, grads), (chosen, plain), names, cls = (
        float(settings["reg"]),
        found,
        options,
        net.names,
        type(net.net),
    )
    kept = [k for k in names if not k.startswith(("gamma", "beta"))]
    without = Net(net.name, cls, kept, settings, plain)
    same_value, same_grads = without.loss_and_grads(
        [p for k, p in zip(names, params, strict=True) if k in kept], *data, reg
    )
    if _identical(value, same_value) and all(_identical(grads[k], same_grads[k]) for k in kept):
        raise never_applied(net, chosen, plain, "normalization", norm_words(net.kwargs))


def fd_net_call(name: str, options: Mapping[str, Any], plain: Mapping[str, Any] | None = None) -> Call:
    """A network class: ``loss(X, y)`` -> ``(loss, grads)``; the points move the parameters only.

    With ``plain`` (the options without what ``options`` turns on, dropout), the net is also
    built with those: when the training loss and gradients are the same bits, the option
    changes nothing, and the finite differences of the student's own loss cannot see it.
    """
    chosen = dict(options)

    def analytic(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        net = Net(name, impl[0], names, settings, chosen)
        _no_template(net, ("dropout",))
        params, (X, y) = inputs[: len(names)], inputs[len(names) : len(names) + 2]
        value, grads = net.loss_and_grads(params, X, y, float(settings["reg"]))
        if plain is not None:
            without = Net(name, impl[0], names, settings, plain)
            same_value, same_grads = without.loss_and_grads(params, X, y, float(settings["reg"]))
            if _identical(value, same_value) and all(_identical(grads[k], same_grads[k]) for k in names):
                raise never_applied(net, chosen, plain, "dropout", ("dropout",))
        return Outcome(value, grads)

    def forward(impl: Sequence[Any], settings: Mapping[str, Any]) -> Callable[[Sequence[Any]], Any]:
        names = settings["names"]
        net = Net(name, impl[0], names, settings, chosen)
        _no_template(net, ("dropout",))

        def evaluate(arrays: Sequence[Any]) -> Any:
            params, (X, y) = arrays[: len(names)], arrays[len(names) : len(names) + 2]
            return net.loss_and_grads(params, X, y, float(settings["reg"]))[0]

        return evaluate

    return with_points(f"{name}.loss", analytic, forward)


def never_applied(
    net: Net, chosen: Mapping[str, Any], plain: Mapping[str, Any], option: str, words: Sequence[str]
) -> Exception:
    """An option that changes nothing: ``not implemented`` if the net's code never mentions it.

    Not mentioned (``attempted.mentions``), the option is not done yet (the 2025 first
    assignment's ``FullyConnectedNet``); mentioned, it is a bug (a condition that never
    holds): a mismatch saying so.
    """
    turned = ", ".join(
        f"{k}={v!r}" for k, v in net.kwargs.items() if k != "seed" and chosen.get(k, v) != plain.get(k, v)
    )
    text = (
        f"{net.name}({turned or option}) changes nothing in training mode: loss(X, y) gives the loss and "
        "gradients of the net without it (the option is never applied)"
    )
    if not mentions(type(net.net), words):
        return Unfinished(f"{text}; the code of {net.name} has no {option} yet")
    return Problem(text)


def _identical(a: Any, b: Any) -> bool:
    """The same numbers (arrays of the same shape and bits, or equal scalars)."""
    if a is None or b is None:
        return False
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except (TypeError, ValueError):
        return False
