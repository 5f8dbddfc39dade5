"""``report --wide``: campaigns of values from each gate's whole safe domain."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from oracle.cli import main


def test_a_wide_campaign_runs_and_says_so_in_its_metadata(tmp_path: Path, capsys) -> None:
    out = tmp_path / "wide" / "divergence.csv"
    assert (
        main(["report", "--graphs", "6", "--inputs", "2", "--wide", "--workers", "1", "--out", str(out)]) == 0
    )
    metadata = json.loads((out.parent / "divergence.csv.json").read_text())
    assert metadata["campaign"]["wide"] is True and metadata["campaign"]["edge"] is False
    assert "--wide" in capsys.readouterr().out
    values = json.loads(next((out.parent / "cases").glob("*.json")).read_text())["values"]
    assert len(pd.read_csv(out)) > 0 and values


def test_wide_draws_other_values_than_default(tmp_path: Path) -> None:
    ids = {}
    for mode in ("default", "wide"):
        out = tmp_path / mode / "divergence.csv"
        extra = ["--wide"] if mode == "wide" else []
        assert (
            main(["report", "--graphs", "3", "--inputs", "2", *extra, "--workers", "1", "--out", str(out)])
            == 0
        )
        ids[mode] = set(pd.read_csv(out)["case_id"])
    assert not ids["default"] & ids["wide"]


def test_edge_and_wide_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--edge", "--wide", "--out", str(tmp_path / "x.csv")])
    assert exit_info.value.code == 2
