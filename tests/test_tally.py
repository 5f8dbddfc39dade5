"""The campaign summary a chunk at a time: the same summary whatever the chunks, in bounded memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oracle.campaign import summary as summary_module
from oracle.campaign.rows import read_report
from oracle.campaign.summary import figures, summarize, summarize_csv, summary_text
from oracle.campaign.tally import DOTS, OTHER_DOTS, SHOWN, Tally
from oracle.core.record import Record, to_frame

STATUS = ["match", "kink", "mismatch", "error"]  # drawn with chances 93%, 3%, 3% and 1%
OPS = ["add", "mul", "exp", "log", "relu", "tanh", "matmul", "sum"]


def campaign(graphs: int, seed: int = 0) -> pd.DataFrame:
    """Rows as a campaign writes them: per graph, 3 input sets of 2 inputs each; a few failures."""
    rng = np.random.default_rng(seed)
    records, located = [], []
    for g in range(graphs):
        ops = " ".join(rng.choice(OPS, size=int(rng.integers(1, 5))))
        for s in range(3):
            case = f"{g:05d}{s}"
            for name in ("x0", "x1"):
                roll = rng.random()
                status = (
                    "match"
                    if roll < 0.93
                    else "kink"
                    if roll < 0.96
                    else "mismatch"
                    if roll < 0.99
                    else "error"
                )
                rel = (
                    None if status == "error" else float(10.0 ** rng.uniform(-18, 1)) if roll > 0.02 else 0.0
                )
                replay = f"python -m oracle replay cases/{case}.json"
                records.append(
                    Record(case, name, "[2]", "float64", status, "", rel_err=rel, ops=ops, replay=replay)
                )
                located.append((g, s))
    frame = to_frame(records)
    frame.insert(0, "input_set", [s for _, s in located])
    frame.insert(0, "graph", [g for g, _ in located])
    return frame


def tallied(frame: pd.DataFrame, rows: int) -> Tally:
    tally = Tally()
    for start in range(0, len(frame), rows):
        tally.add(frame.iloc[start : start + rows])
    return tally


@pytest.mark.parametrize("rows", [13, 500])
def test_any_chunks_give_the_summary_of_the_whole(rows: int) -> None:
    frame = campaign(120)
    whole, chunked = Tally().add(frame), tallied(frame, rows)
    a = summary_module._summary(whole, 3.0, "--graphs 120")
    b = summary_module._summary(chunked, 3.0, "--graphs 120")
    assert summary_text(a) == summary_text(b)
    assert figures(a) == figures(b)
    assert a.failing_cases > SHOWN  # the listing is cut: what is kept must still agree
    pd.testing.assert_frame_equal(a.failing.reset_index(drop=True), b.failing.reset_index(drop=True))
    assert sorted(whole.plot.histograms) == sorted(chunked.plot.histograms)
    for op, counts in whole.plot.histograms.items():
        assert np.array_equal(counts, chunked.plot.histograms[op])
    pd.testing.assert_frame_equal(whole.plot.dots, chunked.plot.dots)


def test_the_counts_are_those_of_the_rows() -> None:
    frame = campaign(50)
    s = summarize(frame, seconds=1.0)
    assert (s.rows, s.cases, s.graphs) == (len(frame), 150, 50)
    failing = frame["status"].isin(["mismatch", "error"])
    assert s.failing_rows == int(failing.sum())
    assert s.failing_cases == frame.loc[failing, "case_id"].nunique()
    assert s.status.to_dict()["match"] == int((frame["status"] == "match").sum())


def test_what_the_tally_keeps_does_not_grow_with_the_rows() -> None:
    tally = tallied(campaign(3000, seed=1), 2000)
    plot = tally.plot
    assert tally.rows == 18000
    for op in OPS:
        matches = plot.dots[(plot.dots["op"] == op) & (plot.dots["status"] == "match")]
        others = plot.dots[(plot.dots["op"] == op) & (plot.dots["status"] != "match")]
        assert len(matches) == DOTS < plot.matches[op]
        assert len(others) == min(OTHER_DOTS, plot.others[op])
    kept = pd.concat(tally.failing)
    assert kept["case_id"].nunique() == SHOWN < tally.failing_cases
    assert tally.worst is not None and len(tally.worst) == SHOWN


def test_the_plot_percentiles_are_within_a_bin_of_numpys() -> None:
    frame = campaign(400, seed=2)
    tally = Tally().add(frame)
    rows = frame.assign(ops=frame["ops"].str.split()).explode("ops").drop_duplicates()
    for op in OPS:
        rel = pd.to_numeric(rows.loc[rows["ops"] == op, "rel_err"], errors="coerce").dropna()
        exact = np.percentile(np.log10(np.maximum(rel, 1e-20)), [5, 25, 50, 75, 95])
        assert np.allclose(tally.plot.percentiles(op, [5, 25, 50, 75, 95]), exact, atol=0.01)


def test_a_csv_read_in_chunks_sums_up_as_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "divergence.csv"
    campaign(120, seed=3).to_csv(path, index=False)
    monkeypatch.setattr(summary_module, "CHUNK_ROWS", 37)
    chunked = summarize_csv(path, seconds=None, options="x")
    whole = summarize(read_report(path), seconds=None, options="x")
    assert summary_text(chunked) == summary_text(whole)
    header_only = tmp_path / "empty.csv"
    header_only.write_text(path.read_text().splitlines()[0] + "\n")
    assert summarize_csv(header_only, seconds=None).rows == 0
