"""An address-space limit (ulimit -v) JAX cannot live within is exit 2 before any work; within one,
a campaign drops JAX's caches of compiled programs instead of growing, and the bits do not change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from oracle.campaign.rows import rows_frame
from oracle.campaign.spec import Campaign
from oracle.campaign.tasks import judge_graph
from oracle.core import address_space

ROOT = Path(__file__).resolve().parents[1]


def _run_limited(limit: int, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BACKPROP_ORACLE_JAX_CACHE": str(tmp / "jax")}
    return subprocess.run(
        ["bash", "-c", f'ulimit -v {limit // 1024} && exec "$0" -m oracle "$@"', sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=900,
    )


@pytest.mark.parametrize("limit", [400 * 2**20, 1024 * 2**20, address_space.MINIMUM - 2**20])
def test_a_limit_too_small_for_xla_is_one_line_and_exit_2_before_any_work(tmp_path: Path, limit: int) -> None:
    out = tmp_path / "r" / "divergence.csv"
    done = _run_limited(limit, "report", "--graphs", "1e8", "--out", str(out), tmp=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "address-space limit (ulimit -v)" in lines[0]
    assert f"{limit // 2**20} MiB" in lines[0] and f"{address_space.MINIMUM // 2**20} MiB" in lines[0]
    assert not out.parent.exists()  # nothing written: the check comes before JAX, before any work


def test_no_limit_and_a_large_one_are_no_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(address_space, "limit", lambda: None)
    assert address_space.problem() == "" and address_space.budget() == address_space.CAP
    monkeypatch.setattr(address_space, "limit", lambda: 3 * 2**30)
    assert address_space.problem() == ""
    assert address_space.budget() == 3 * 2**30 - address_space.HEADROOM
    monkeypatch.setattr(address_space, "limit", lambda: 2**30)
    assert "1024 MiB" in address_space.problem("report")
    assert address_space.used() > 0  # this test runs on Linux, where /proc tells


def test_dropping_jax_caches_over_budget_keeps_every_bit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    campaign = Campaign(graphs=3, inputs=3, seed=5)
    before = [rows_frame(i, judge_graph(campaign, i, str(tmp_path))[0]) for i in range(3)]
    monkeypatch.setattr(address_space, "budget", lambda: 0)  # every graph is over budget
    assert address_space.relieve()
    after = [rows_frame(i, judge_graph(campaign, i, str(tmp_path))[0]) for i in range(3)]
    for a, b in zip(before, after, strict=True):
        assert a.to_csv(index=False) == b.to_csv(index=False)


@pytest.mark.slow
def test_a_campaign_at_the_minimum_runs_without_false_alarms(tmp_path: Path) -> None:
    # One process at the minimum, from an empty JAX cache: every compile happens under the limit.
    out = tmp_path / "r" / "divergence.csv"
    args = ("report", "--graphs", "12", "--inputs", "4", "--workers", "1", "--out", str(out))
    done = _run_limited(address_space.MINIMUM, *args, tmp=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "raised" not in out.read_text()
