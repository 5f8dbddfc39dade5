"""The campaign summary: counts, the failing rule, the worst rows, throughput, the Markdown file, the plot."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oracle.campaign.summary import failed_mask, plot_rel_error, summarize, summary_text, write_markdown
from oracle.core.record import STATUSES, Record, to_frame


def campaign_frame(records: list[Record]) -> pd.DataFrame:
    """Records as campaign CSV rows: graph and input_set first, as oracle.campaign.run writes them."""
    frame = to_frame(records)
    frame.insert(0, "input_set", range(len(frame)))
    frame.insert(0, "graph", [int(r.case_id[1:]) for r in records])
    return frame


def rec(case: str, status: str, rel: float | None, ops: str, detail: str = "", **kw: object) -> Record:
    replay = f"python -m oracle replay cases/{case}.json"
    fields = {"input": "x0", "shape": "[2, 3]", "dtype": "float64", "replay": replay, **kw}
    return Record(case_id=case, status=status, detail=detail, rel_err=rel, ops=ops, **fields)  # type: ignore[arg-type]


RECORDS = [
    rec("c1", "match", 1e-15, "matmul square sum"),
    rec("c1", "match", 0.0, "matmul square sum", input="x1"),
    rec("c2", "mismatch", 0.5, "add add exp", "engine 1 vs jax 2", dtype="float32"),
    rec("c2", "kink", 0.1, "relu add", "relu at 0", dtype="float32", input="x1"),
    rec("c3", "nonfinite_both", None, "log", "both: non-finite output"),
    rec("c3", "nonfinite", math.inf, "log", "engine: non-finite gradient", input="x1"),
    rec("c4", "error", None, "", "engine raised ValueError"),
]


@pytest.fixture
def frame() -> pd.DataFrame:
    return campaign_frame(RECORDS)


def test_status_counts_list_every_status_in_order_with_zeros(frame: pd.DataFrame) -> None:
    s = summarize(frame, seconds=1.0)
    assert list(s.status.index) == list(STATUSES)
    assert s.status.to_dict() == {
        "match": 2,
        "mismatch": 1,
        "kink": 1,
        "nonfinite": 1,
        "nonfinite_both": 1,
        "forward_mismatch": 0,
        "error": 1,
        "timeout": 0,  # course checks' status: every status is a column, zeros included
        "unchecked": 0,  # engine checks' status (nothing judged), likewise
    }
    assert (s.rows, s.cases, s.graphs) == (7, 4, 4)


def test_an_op_counts_once_per_row_however_often_the_graph_uses_it(frame: pd.DataFrame) -> None:
    by_op = summarize(frame, seconds=1.0).by_op
    assert list(by_op.columns[: len(STATUSES)]) == list(STATUSES)
    assert by_op.loc["add", "rows"] == 2  # "add add exp" and "relu add": two rows, three uses
    assert list(by_op.loc["add", ["mismatch", "kink", "non_match", "failed"]]) == [1, 1, 2, 1]
    assert list(by_op.loc["matmul", ["match", "rows", "non_match"]]) == [2, 2, 0]
    assert list(by_op.loc["log", ["nonfinite", "nonfinite_both", "failed"]]) == [1, 1, 1]
    assert sorted(by_op.index) == ["add", "exp", "log", "matmul", "relu", "square", "sum"]  # "" is no op


def test_counts_per_dtype(frame: pd.DataFrame) -> None:
    by_dtype = summarize(frame, seconds=1.0).by_dtype
    assert list(by_dtype.loc["float32", ["mismatch", "kink", "rows", "failed"]]) == [1, 1, 2, 1]
    assert list(
        by_dtype.loc["float64", ["match", "nonfinite", "nonfinite_both", "error", "rows", "failed"]]
    ) == [
        2,
        1,
        1,
        1,
        5,
        2,
    ]


def test_failing_rule_is_record_failed(frame: pd.DataFrame) -> None:
    assert failed_mask(frame).tolist() == [r.failed for r in RECORDS]
    failing = summarize(frame, seconds=1.0).failing
    # Non-finite on both sides is the function's own doing, not a failure; on one side it is.
    assert failing["detail"].tolist() == [
        "engine 1 vs jax 2",
        "engine: non-finite gradient",
        "engine raised ValueError",
    ]
    for status in ("mismatch", "forward_mismatch", "error"):
        assert failed_mask(campaign_frame([rec("c9", status, 0.1, "add")])).tolist() == [True]
    for status, detail in [
        ("match", ""),
        ("kink", "relu at 0"),
        ("nonfinite_both", "both: non-finite output"),
    ]:
        assert failed_mask(campaign_frame([rec("c9", status, 0.1, "add", detail)])).tolist() == [False]
    jax_side = campaign_frame([rec("c9", "nonfinite", None, "log", "jax: non-finite output")])
    assert failed_mask(jax_side).tolist() == [True]


def test_worst_relative_errors_largest_first_finite_only(frame: pd.DataFrame) -> None:
    worst = summarize(frame, seconds=1.0).worst
    assert worst["rel_err"].tolist() == [0.5, 0.1, 1e-15, 0.0]  # inf (one-sided nonfinite) and NaN left out
    assert list(worst.columns) == ["case_id", "input", "status", "rel_err", "ops", "replay"]
    many = campaign_frame([rec(f"c{i}", "match", 10.0**-i, "add") for i in range(1, 16)])
    assert summarize(many, seconds=1.0).worst["case_id"].tolist() == [f"c{i}" for i in range(1, 11)]


def test_throughput(frame: pd.DataFrame) -> None:
    s = summarize(frame, seconds=2.0)
    assert s.rows_per_second == pytest.approx(3.5)
    assert s.cases_per_second == pytest.approx(2.0)
    assert "3.5 comparisons/s, 2.00 cases/s" in summary_text(s)
    assert math.isnan(summarize(frame, seconds=0.0).rows_per_second)


def test_a_csv_round_trip_gives_the_same_summary(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_csv(tmp_path / "report.csv", index=False)
    read = pd.read_csv(tmp_path / "report.csv")  # empty details and ops come back as NaN
    a, b = summarize(frame, seconds=1.0), summarize(read, seconds=1.0)
    assert summary_text(a) == summary_text(b)
    assert failed_mask(read).tolist() == [r.failed for r in RECORDS]


def test_summary_text(frame: pd.DataFrame) -> None:
    text = summary_text(summarize(frame, seconds=1.0, options="--graphs 4 --seed 0"))
    assert text.startswith("campaign --graphs 4 --seed 0\n7 comparisons of 4 cases from 4 graphs; 3 failing")
    assert "forward_mismatch     0" in text
    assert "python -m oracle replay cases/c2.json" in text
    assert "python -m oracle replay cases/c1.json" not in text  # c1 only matches
    assert "more cases" not in text


def test_summary_text_lists_ten_failing_cases_and_counts_the_rest() -> None:
    records = [rec(f"c{i}", "mismatch", 0.1, "add", input=x) for i in range(15) for x in ("x0", "x1")]
    text = summary_text(summarize(campaign_frame(records), seconds=1.0))
    assert "Failing rows: 30 in 15 cases, the first 10" in text
    assert text.count("python -m oracle replay") == 10  # one command per case, not per row
    assert "x0,x1" in text
    assert "... and 5 more cases" in text


def test_markdown(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = write_markdown(summarize(frame, seconds=2.0, options="--graphs 4"), tmp_path / "summary.md")
    text = path.read_text()
    assert text.startswith("# Divergence campaign\n\nOptions: `--graphs 4`\n")
    assert "| status | rows |\n| --- | ---: |\n| match | 2 |" in text
    assert "| forward_mismatch | 0 |" in text
    assert (
        "| add | 0 | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 2 | 2 | 1 |" in text
    )  # op row: every status, rows, non_match, failed
    assert "| float32 | 0 | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 2 | 2 | 1 |" in text
    assert "| 0.5 | mismatch | c2 | x0 | add add exp |" in text
    assert "`python -m oracle replay cases/c4.json`" in text
    # Deterministic: a rerun that took longer changes only the throughput line.
    again = write_markdown(summarize(frame, seconds=9.0, options="--graphs 4"), tmp_path / "again.md")
    changed = [a for a, b in zip(text.splitlines(), again.read_text().splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and changed[0].startswith("Throughput:")


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_plot(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = plot_rel_error(frame, tmp_path / "rel_error.png")
    width, height = png_size(path)
    n_ops = 6  # add exp log matmul relu square sum, less log (its rows have no finite rel_err)
    assert width == 9 * 120 and height == pytest.approx(120 * max(2.8, 1 + 0.35 * n_ops), abs=2)
    assert path.stat().st_size > 10_000


def test_plot_of_many_ops_grows_with_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    ops = [f"op{i:02d}" for i in range(20)]
    records = [
        rec(f"c{i}", "match", float(10 ** rng.uniform(-17, -10)), " ".join(rng.choice(ops, 3)))
        for i in range(400)
    ]
    width, height = png_size(plot_rel_error(campaign_frame(records), tmp_path / "many.png"))
    assert (width, height) == (1080, pytest.approx(120 * 8, abs=2))


def test_one_op(tmp_path: Path) -> None:
    frame = campaign_frame([rec("c1", "match", 1e-16, "tanh"), rec("c2", "mismatch", 0.3, "tanh")])
    assert summarize(frame, seconds=1.0).by_op.index.tolist() == ["tanh"]
    assert png_size(plot_rel_error(frame, tmp_path / "one.png"))[0] == 1080


def test_empty_frame(tmp_path: Path) -> None:
    frame = campaign_frame([])
    s = summarize(frame, seconds=0.0)
    assert s.status.tolist() == [0] * len(STATUSES)
    assert (s.rows, s.cases, len(s.by_op), len(s.by_dtype), len(s.worst), len(s.failing)) == (
        0,
        0,
        0,
        0,
        0,
        0,
    )
    assert "Failing rows: 0 in 0 cases" in summary_text(s)
    assert "| error | 0 |" in write_markdown(s, tmp_path / "summary.md").read_text()
    assert png_size(plot_rel_error(frame, tmp_path / "empty.png"))[0] == 1080


def test_the_summary_figures_are_data(frame: pd.DataFrame, tmp_path: Path) -> None:
    from oracle.campaign.summary import figures, write_figures

    summary = summarize(frame, seconds=2.0, options="--graphs 4")
    data = json.loads(write_figures(summary, tmp_path / "summary.json").read_text())
    assert data == figures(summary)
    counts = (data["rows"], data["cases"], data["graphs"], data["failing"], data["seconds"])
    assert counts == (7, 4, 4, 3, 2.0)
    assert data["status"]["kink"] == 1 and sum(data["status"].values()) == 7
