"""Tables for people: ``grid`` is the one text-table printer (plain or Markdown) every command uses,
``records_table`` the records as one line each, the status first."""

from __future__ import annotations

from collections.abc import Sequence

from oracle.core.record import Record


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def grid(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool = False) -> list[str]:
    """A table, numbers right-aligned: aligned plain text, or a Markdown table. A last column of
    text runs on in plain text (a long detail does not widen the others)."""
    if not rows:
        return ["(none)"]
    numeric = [all(_is_number(r[i]) for r in rows if r[i]) for i in range(len(header))]
    if markdown:
        rule = ["---:" if n else "---" for n in numeric]
        return ["| " + " | ".join(cells) + " |" for cells in [header, rule, *rows]]
    widths = [max(len(x) for x in column) for column in zip(header, *rows, strict=True)]
    if not numeric[-1]:
        widths[-1] = 0
    fit = lambda x, w, n: x.rjust(w) if n else x.ljust(w)
    return ["  ".join(map(fit, cells, widths, numeric)).rstrip() for cells in [header, *rows]]


def _number(x: float | None) -> str:
    return "" if x is None else f"{x:.6g}"


def records_table(
    records: Sequence[Record], *, target: bool = False, case: bool = False, engine: str = "engine"
) -> str:
    """``target`` adds the target column, ``case`` the seed and shape; ``engine`` names the judged side.
    The next column is the judge's value: JAX's, or a finite difference's in ``judge=fd`` rows."""
    judges = sorted({r.judge or "jax" for r in records}, key=lambda j: j != "jax")
    header = ["target"] * target + ["input"] + ["seed", "shape"] * case
    header += ["status", engine, "/".join(judges) or "jax", "rel_err", "at", "detail"]
    rows = [
        [r.target] * target
        + [r.input]
        + [("" if r.seed is None else str(r.seed)), r.shape] * case
        + [
            r.status,
            _number(r.tested_value),
            _number(r.fd_value if r.judge == "fd" else r.jax_value),
            _number(r.rel_err),
            r.worst_index,
            r.detail,
        ]
        for r in records
    ]
    return "\n".join(grid(header, rows))
