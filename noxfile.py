"""Every check and job of the project. ``nox`` runs the checks; ``nox -s report`` the main job."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv|virtualenv"  # uv when it is installed: venvs in seconds
nox.options.sessions = ["lint", "typecheck", "tests", "gradcheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

# The fixed-seed CI campaigns: default and edge inputs, float64 and float32.
GRADCHECK = [
    ("float64", False, 150),
    ("float32", False, 150),
    ("float64", True, 100),
    ("float32", True, 100),
]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy on reference/ and oracle/."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """pytest; Hypothesis runs the derandomized ``ci`` profile unless HYPOTHESIS_PROFILE says otherwise."""
    session.install("-e", ".[test]")
    session.env["HYPOTHESIS_PROFILE"] = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    session.run("pytest", *session.posargs)


@nox.session
def gradcheck(session: nox.Session) -> None:
    """CI gradient verification: fixed-seed campaigns; fails on a mismatch, error or one-sided non-finite."""
    session.install("-e", ".")
    for dtype, edge, graphs in GRADCHECK:
        name = f"{dtype}{'-edge' if edge else ''}"
        options = ["--graphs", str(graphs), "--inputs", "8", "--seed", "2026", "--dtype", dtype]
        options += ["--edge"] * edge + ["--out", f"reports/gradcheck/{name}/divergence.csv"]
        session.run("python", "-m", "oracle", "report", *options)


@nox.session
def report(session: nox.Session) -> None:
    """The main job: the default divergence campaign -> reports/divergence.csv, summary.md, rel_error.png."""
    session.install("-e", ".")
    session.run("python", "-m", "oracle", "report", *session.posargs, success_codes=[0, 1])


@nox.session
def mlp(session: nox.Session) -> None:
    """The lecture's two-layer network trained three ways in lockstep -> reports/mlp.csv, mlp_loss.png."""
    session.install("-e", ".")
    session.run("python", "-m", "oracle", "mlp", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks beside the peers a user would pick instead -> reports/bench.csv (``-- --quick``: smoke)."""
    session.install("-e", ".")
    session.install("micrograd==0.1.0")  # the peer of the depth and scalar-network benchmarks: bench only
    session.run("python", "-m", "bench", *session.posargs)
