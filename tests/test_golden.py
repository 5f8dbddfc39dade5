"""The same options give the same verdicts as the committed golden files.

``tests/golden/campaigns.csv`` holds, for three small campaigns, each row's case id (a
hash of the case's graph, values, cotangent and dtype: the same id means the same graph
and inputs) and status; ``tests/golden/checks.csv`` the statuses of ``check`` on the
course samples. They were recorded before the op registry refactor, so a refactor that
changes what a seed draws or how a row is judged fails here. A change that is meant to
change them (a new op in the vocabulary changes what a seed draws) regenerates them
with ``python tests/test_golden.py`` and says so in its commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from oracle.cli import main

GOLDEN = Path(__file__).parent / "golden"
SAMPLES = Path(__file__).parent / "course_samples"
CAMPAIGNS = {
    "f64": ["--graphs", "60", "--inputs", "4", "--seed", "11"],
    "f64e": ["--graphs", "60", "--inputs", "4", "--seed", "11", "--edge"],
    "f32e": ["--graphs", "40", "--inputs", "4", "--seed", "11", "--edge", "--dtype", "float32"],
}
SAMPLE_FILES = ("correct", "buggy", "kink_conventions", "errors")
CAMPAIGN_KEY = ["campaign", "graph", "input_set", "case_id", "input", "status"]
CHECK_KEY = ["sample", "target", "case_id", "input", "status"]


def campaigns(folder: Path) -> pd.DataFrame:
    frames = []
    for name, options in CAMPAIGNS.items():
        out = folder / name / "divergence.csv"
        assert main(["report", *options, "--workers", "2", "--out", str(out)]) in (0, 1)
        frames.append(pd.read_csv(out).assign(campaign=name))
    return pd.concat(frames)[CAMPAIGN_KEY].reset_index(drop=True)


def checks(folder: Path) -> pd.DataFrame:
    frames = []
    for name in SAMPLE_FILES:
        out = folder / f"check_{name}.csv"
        assert main(["check", str(SAMPLES / f"{name}.py"), "--out", str(out)]) in (0, 1)
        frames.append(pd.read_csv(out).assign(sample=name))
    return pd.concat(frames)[CHECK_KEY].reset_index(drop=True)


@pytest.mark.slow
def test_campaigns_draw_and_judge_as_the_golden_file_says(tmp_path: Path) -> None:
    pd.testing.assert_frame_equal(campaigns(tmp_path), pd.read_csv(GOLDEN / "campaigns.csv"))


@pytest.mark.slow
def test_course_checks_judge_as_the_golden_file_says(tmp_path: Path) -> None:
    pd.testing.assert_frame_equal(checks(tmp_path), pd.read_csv(GOLDEN / "checks.csv"))


if __name__ == "__main__":  # regenerate: python tests/test_golden.py
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        campaigns(Path(folder)).to_csv(GOLDEN / "campaigns.csv", index=False)
        checks(Path(folder)).to_csv(GOLDEN / "checks.csv", index=False)
    sys.exit(0)
