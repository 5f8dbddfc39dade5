"""HW3P1's GRU cells, unbatched: ``GRUCell`` (Fall 2022 on) and ``GRU_Cell`` (Fall 2020).

``GRUCell(input_size, hidden_size)``, ``init_weights(Wrx, Wzx, Wnx, Wrh, Wzh, Wnh, brx, bzx,
bnx, brh, bzh, bnh)``, ``forward(x, h_prev_t)`` with x (d,) and h (h,): PyTorch's cell,
r and z sigmoids of ``W?x x + b?x + W?h h + b?h``, ``n = tanh(Wnx x + bnx + r * (Wnh h + bnh))``
and ``h_t = (1 - z) * n + z * h``. ``GRU_Cell(in_dim, hidden_dim)``, ``init_weights(Wzh, Wrh,
Wh, Wzx, Wrx, Wx)``: no biases, r inside the product (``tanh(Wh (r * h) + Wx x)``) and
``h_t = (1 - z) * h + z * h~``; its backward takes delta as (1, h) and returns (1, d) and
(1, h), compared as (d,) and (h,). ``backward(delta)`` returns (dx, dh_prev_t) and leaves
each weight's gradient in ``d`` + its name; the call zeroes them first, so a backward that
adds (+=) and one that assigns (=) read the same (the handout calls it once per cell).

Where r sits and which of n and h the gate z keeps both changed between terms: the one the
student's forward output follows is read off their numbers, and a row whose cell follows
the other term's is noted.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, as_numbers
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.calls import Call, CannotCall, Problem, Watch, edited, kept, notes, output, step
from oracle.course.judging.bugs import Bug, returns
from oracle.course.judging.conventions import CONVENTION, joined
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, Reference, declare

NEW = ("Wrx", "Wzx", "Wnx", "Wrh", "Wzh", "Wnh", "brx", "bzx", "bnx", "brh", "bzh", "bnh")
OLD = ("Wzh", "Wrh", "Wh", "Wzx", "Wrx", "Wx")
ROW = "delta given as (1, h), dx and dh returned as (1, d) and (1, h) (the Fall 2020 handout's)"
ROWS = "dx and dh returned as (1, d) and (1, h), as an earlier term's handout has them: compared flat"


def _gru(x: Any, h: Any, w: Mapping[str, Any], r_inside: bool, z_keeps_h: bool) -> Any:
    zero = jnp.zeros_like(h)
    r = jax.nn.sigmoid(w["Wrx"] @ x + w.get("brx", zero) + w["Wrh"] @ h + w.get("brh", zero))
    z = jax.nn.sigmoid(w["Wzx"] @ x + w.get("bzx", zero) + w["Wzh"] @ h + w.get("bzh", zero))
    if r_inside:
        n = jnp.tanh(w["Wnx"] @ x + w.get("bnx", zero) + w["Wnh"] @ (r * h) + w.get("bnh", zero))
    else:
        n = jnp.tanh(w["Wnx"] @ x + w.get("bnx", zero) + r * (w["Wnh"] @ h + w.get("bnh", zero)))
    return (1 - z) * n + z * h if z_keeps_h else z * n + (1 - z) * h


def gru_cell(x: Any, h: Any, *weights: Any, r_inside: bool = False, z_keeps_h: bool = True) -> Any:
    return _gru(x, h, dict(zip(NEW, weights, strict=True)), r_inside, z_keeps_h)


def gru_cell_2020(x: Any, h: Any, *weights: Any, r_inside: bool = True, z_keeps_h: bool = False) -> Any:
    w = dict(zip(OLD, weights, strict=True))
    w["Wnh"], w["Wnx"] = w.pop("Wh"), w.pop("Wx")
    return _gru(x, h, w, r_inside, z_keeps_h)


def _attribute_names(cell: Any, weight_names: Sequence[str]) -> list[str]:
    """The weights' attribute names: ``init_weights``'s own parameter names when it takes them all
    (a term named the biases ``bir, biz, bin, bhr, bhz, bhn``), else the handout's."""
    try:
        params = list(inspect.signature(cell.init_weights).parameters)
    except (AttributeError, TypeError, ValueError):
        return list(weight_names)
    if len(params) == len(weight_names) and all(hasattr(cell, p) for p in params):
        return params
    return list(weight_names)


def _cell_call(label: str, weight_names: Sequence[str], row: bool) -> Call:
    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        cls = impl[0]
        x, h = inputs[0], inputs[1]
        try:
            cell = cls(x.shape[0], h.shape[0])
        except TypeError as exc:
            raise CannotCall(
                f"{label}: built as {label}(input_size, hidden_size), which it does not take ({exc})"
            ) from exc
        attributes = _attribute_names(cell, weight_names)
        weights = dict(zip(attributes, inputs[2:], strict=True))
        if callable(getattr(cell, "init_weights", None)):
            step(f"{label}.init_weights", cell.init_weights, *weights.values())
        else:
            for attribute, value in weights.items():
                setattr(cell, attribute, value)
        for attribute, value in weights.items():
            setattr(cell, "d" + attribute, np.zeros(value.shape))
        before = Watch()
        before.watch("x", x)
        h_t = output(step(f"{label}.forward", cell.forward, x, h), f"{label}.forward")
        delta = np.array(upstream, copy=True)
        returned = step(f"{label}.backward", cell.backward, delta.reshape(1, -1) if row else delta)
        if not isinstance(returned, list | tuple) or len(returned) != 2:
            raise Problem(f"{label}.backward returned {type(returned).__name__}, expected (dx, dh_prev_t)")
        grads: dict[str, Any] = {}
        rows: list[str] = []
        for name, value, size in zip(names[:2], returned, (x.size, h.size), strict=True):
            value = kept(value)
            if np.shape(value) == (1, size) and size > 1:
                rows.append(name)
                value = np.reshape(value, (size,))
            grads[name] = value
        for name, attribute in zip(names[2:], attributes, strict=True):
            value = getattr(cell, "d" + attribute, None)
            if value is None:
                raise Problem(f"{label}.backward left self.d{attribute} None")
            grads[name] = kept(np.asarray(value))
        shaped = ROW if row else (ROWS if len(rows) == 2 else "")
        return Outcome(h_t, grads, warning=notes(edited(f"{label}.forward", before), shaped))

    return call


def _convention(fn: Any, default: tuple[bool, bool]) -> Any:
    """The term's cell the student's output follows: r inside or outside Wnh's product, z keeping h or n."""

    def adapt(
        settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
    ) -> Mapping[str, Any]:
        out, _ = as_numbers(student.out, "out")
        if out is None or out.size != inputs[1].size:
            return settings
        errors = {}
        for r_inside in (False, True):
            for z_keeps_h in (False, True):
                value = np.asarray(fn(*inputs, r_inside=r_inside, z_keeps_h=z_keeps_h))
                errors[r_inside, z_keeps_h] = float(np.max(np.abs(out.reshape(-1) - value)))
        best = min(errors, key=lambda k: (errors[k], k != default))
        if best == default or errors[best] > 1e-6 * (1 + float(np.max(np.abs(out)))):
            return settings
        r_inside, z_keeps_h = best
        said = [
            "r inside the product, tanh(Wnh (r * h) + ...)"
            if r_inside
            else "r outside, tanh(... + r * (Wnh h + bnh))",
            "h_t = (1 - z) * n + z * h" if z_keeps_h else "h_t = z * n + (1 - z) * h",
        ]
        student.warning = joined(
            student.warning, f"{CONVENTION}{'; '.join(said)}: another term's cell (read off your output)"
        )
        return {**settings, "r_inside": r_inside, "z_keeps_h": z_keeps_h}

    return adapt


def _without_z_path(weight_names: Sequence[str], default: bool) -> Bug:
    """dh_prev_t missing the term h_t passes straight back through the gate's z * h (or (1 - z) * h)."""

    def value(s: Any) -> Any:
        if s.index != 1 or s.upstream is None:
            return None
        x, h, *weights = (np.asarray(v, dtype=np.float64) for v in s.inputs)
        w = dict(zip(weight_names, weights, strict=True))
        z = 1 / (1 + np.exp(-(w["Wzx"] @ x + w.get("bzx", 0) + w["Wzh"] @ h + w.get("bzh", 0))))
        keep = z if s.settings.get("z_keeps_h", default) else 1 - z
        return np.asarray(s.jax.grads[s.name]) - np.asarray(s.upstream).reshape(-1) * keep

    text = "dh_prev_t without the gate's direct path from h to h_t (delta times z, or 1 - z)"
    return Bug(text, "every gradient", returns(value))


def _shapes(d: int, h: int, weights: Sequence[str]) -> tuple[tuple[int, ...], ...]:
    sizes = {"x": (h, d), "h": (h, h), "b": (h,)}
    return ((d,), (h,), *tuple(sizes["b" if w[0] == "b" else w[-1]] for w in weights))


declare(
    Reference(
        "cmu.GRUCell",
        LAYER,
        gru_cell,
        ("x", "h_prev_t", *NEW),
        (_shapes(4, 3, NEW), _shapes(2, 5, NEW)),
        normal,
        call=_cell_call("GRUCell", NEW, row=False),
        names=("GRUCell",),
        adapt=_convention(gru_cell, (False, True)),
        bugs=(_without_z_path(NEW, True),),
    )
)
declare(
    Reference(
        "cmu.GRU_Cell",
        LAYER,
        gru_cell_2020,
        ("x", "h", *OLD),
        (_shapes(4, 3, OLD), _shapes(2, 5, OLD)),
        normal,
        call=_cell_call("GRU_Cell", OLD, row=True),
        names=("GRU_Cell",),
        adapt=_convention(gru_cell_2020, (True, False)),
        bugs=(_without_z_path(OLD, False),),
    )
)
