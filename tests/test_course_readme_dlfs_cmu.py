"""The README's example of each of its courses Deep Learning from Scratch and CMU 11-785, run as written."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).parents[1]


def _example(course: str) -> list[str]:
    """The one command of the README's section on ``course``."""
    text = (ROOT / "README.md").read_text()
    section = text.split(f"(`--course {course}`)", 1)[1].split("\n### ", 1)[0]
    command = section.split("```bash\n", 1)[1].split("\n```", 1)[0]
    return shlex.split(command)


def _run(course: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], pd.DataFrame]:
    words = _example(course)
    assert words[:4] == ["python", "-m", "oracle", "check"]
    out = tmp_path / "check.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, *words[1:], "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    return done, pd.read_csv(out)


def test_the_dlfs_example_names_its_bugs(tmp_path: Path) -> None:
    done, rows = _run("dlfs", tmp_path)
    assert done.returncode == 1, done.stderr
    assert set(rows["course"]) == {"dlfs"}
    assert set(rows["target"]) == {"dlfs.Affine", "dlfs.Convolution"}
    assert "known bug: db = np.sum(dout)" in done.stdout
    assert "never set self.dW" in done.stdout or "left self.dW None" in done.stdout


def test_the_cmu_example_names_its_bugs(tmp_path: Path) -> None:
    done, rows = _run("cmu11785", tmp_path)
    assert done.returncode == 1, done.stderr
    assert set(rows["course"]) == {"cmu11785"}
    assert "known bug: dLdW divided by N" in done.stdout
    assert "known bug: backward without the 1/(N*C)" in done.stdout
