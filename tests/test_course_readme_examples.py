"""The README's example command of each course this branch adds runs, and checks what it says it does."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

from oracle.cli import main
from oracle.core.record import KINK, MATCH, UNCHECKED

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def example(course: str) -> list[str]:
    """The arguments of the command in the code block of the README's subsection for ``course``."""
    heading = re.search(rf"^#### .*\(`--course {course}`\)$", README, re.MULTILINE)
    assert heading is not None, f"no README subsection for --course {course}"
    block = re.search(r"```\n(python -m oracle check .*?)\n```", README[heading.end() :], re.DOTALL)
    assert block is not None
    words = shlex.split(block.group(1))
    assert words[:3] == ["python", "-m", "oracle"]
    return words[3:]


@pytest.mark.parametrize("course", ["nnfs", "cs224n"])
def test_each_courses_readme_example_runs_clean(
    course: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "check.csv"
    assert main([*example(course), "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    assert set(frame.course) == {course}
    assert set(frame.status) <= {MATCH, KINK, UNCHECKED}
    assert (frame.status == MATCH).sum() > 0
