"""Processes that die or are told to stop (issue 14): nothing hangs, nothing finished is lost.

Items 13 (a worker killed with SIGKILL), 27 (SIGTERM, to the campaign or to its process
group), 28 (Ctrl-C while JAX is still being imported), and the worker pool's own promises.
Real processes and real signals: each test starts ``python -m oracle`` and waits for what
it needs to see on disk, never for a fixed time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oracle.campaign.run import CSV_COLUMNS, read_report

ROOT = Path(__file__).resolve().parents[1]
LONG = ["--graphs", "5000", "--inputs", "2", "--seed", "1", "--max-nodes", "6"]


def start(out: Path, *extra: str, new_session: bool = False) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "oracle", "report", *LONG, *extra, "--out", str(out)]
    return subprocess.Popen(
        command, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=new_session
    )


def wait_for_rows(out: Path, process: subprocess.Popen[str], rows: int = 6) -> None:
    deadline = time.monotonic() + 180
    while not (out.exists() and out.read_text().count("\n") > rows):
        assert process.poll() is None and time.monotonic() < deadline, "the campaign never wrote its rows"
        time.sleep(0.05)


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


def assert_whole(out: Path) -> None:
    """A valid CSV of whole graphs, graphs 0..n-1, and metadata saying the run did not finish."""
    frame = read_report(out)
    assert list(frame.columns) == CSV_COLUMNS and len(frame) > 0
    assert (frame.groupby("graph")["input_set"].nunique() == 2).all()
    assert sorted(frame["graph"].unique()) == list(range(frame["graph"].nunique()))
    assert '"finished": false' in out.with_name(out.name + ".json").read_text()


@pytest.mark.slow
def test_a_worker_killed_mid_campaign_stops_the_run_with_exit_3(tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    process = start(out, "--workers", "2")
    try:
        wait_for_rows(out, process)
        workers = children(process.pid)
        assert len(workers) == 2
        killed = time.monotonic()
        os.kill(workers[0], signal.SIGKILL)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    print(f"dead worker noticed, run stopped in {time.monotonic() - killed:.2f} s")
    assert process.returncode == 3, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"python -m oracle report: error: a worker process (pid {workers[0]}) died while")
    assert "judging graph" in last and "killed by SIGKILL" in last and "Traceback" not in err
    assert_whole(out)
    graph = int(last.split("judging graph ")[1].split(":")[0])
    assert graph >= read_report(out)["graph"].nunique()  # its rows were never written
    assert not alive(workers[1])


@pytest.mark.slow
@pytest.mark.parametrize("to", ["the campaign", "its process group"])
def test_sigterm_is_handled_like_ctrl_c(to: str, tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    process = start(out, "--workers", "2", new_session=True)
    try:
        wait_for_rows(out, process)
        workers = children(process.pid)
        if to == "the campaign":
            process.send_signal(signal.SIGTERM)
        else:
            os.killpg(process.pid, signal.SIGTERM)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 143, err
    assert err.strip().splitlines()[-1] == "python -m oracle report: terminated (SIGTERM)"
    assert "Traceback" not in err and "leaked" not in err and "BrokenPipe" not in err
    assert_whole(out)
    assert f"wrote {len(read_report(out))} rows" in err
    assert not any(alive(pid) for pid in workers)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_jax_is_imported_is_one_line(signum: int, code: int, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "oracle", "report", "--graphs", "2", "--out", str(tmp_path / "d.csv")]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    time.sleep(0.3)  # the interpreter is importing JAX by now (it takes seconds), or just done
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == code, err
    assert "Traceback" not in err and "Error" not in err
    assert err.strip().splitlines()[-1].endswith("interrupted" if code == 130 else "terminated (SIGTERM)")


@pytest.mark.slow
def test_the_pool_returns_every_result_in_order_and_passes_errors_on(tmp_path: Path) -> None:
    from oracle.campaign.workers import ordered
    from oracle.core.errors import UserError
    from oracle.core.output import check_writable

    # more tasks than the window: every result comes back, in order, until the task that fails
    paths = [str(tmp_path / f"{i}.csv") for i in range(20)]
    results = []
    with pytest.raises(UserError, match="--out /dev/null: not a regular file"):
        for result in ordered(check_writable, [*paths, "/dev/null", *paths], 2, window=3):
            results.append(str(result))
    assert results == paths
    with pytest.raises(RuntimeError, match=r"(?s)raised in a worker.*TypeError"):
        list(ordered(check_writable, [None], 2))
