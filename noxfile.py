"""Every check and job of the project. ``nox`` runs the checks; ``nox -s report`` the main job."""

from __future__ import annotations

import glob
import os
import shutil

import nox

nox.options.default_venv_backend = "uv|virtualenv"  # uv when it is installed: venvs in seconds
nox.options.sessions = ["lint", "typecheck", "tests", "gradcheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

# Compiled bytecode at install. uv, unlike pip, does not compile what it installs, and where
# PYTHONDONTWRITEBYTECODE is set (this project's development machines, many CI images) Python
# never writes the .pyc either: every process then compiles jax's, numpy's and pandas' sources
# again on import (seconds each time: `import jax, numpy, pandas` took 3.3 s against 1.3 s
# compiled). nox passes its environment to `uv pip install`; a user's own setting wins.
# A venv nox reuses keeps what it has: `nox -N` (no reuse) recreates it compiled.
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")

# Our own packages are installed editable, so their sources are read from the repository:
# the sessions that run them compile them first, for the same reason (.pyc files are
# ignored by git, and Python recompiles one whose source changed).
SOURCES = ["oracle", "reference", "bench"]


def compile_sources(session: nox.Session) -> None:
    session.run("python", "-m", "compileall", "-q", *SOURCES, silent=True)


# The fixed-seed CI campaigns: default, edge and wide values, float64 and float32.
GRADCHECK = [
    ("float64", "default", 150),
    ("float32", "default", 150),
    ("float64", "edge", 100),
    ("float32", "edge", 100),
    ("float64", "wide", 100),
    ("float32", "wide", 100),
]


# GitHub Actions workflows: this repository's CI and the one course staff copy into an assignment.
WORKFLOWS = [".github/workflows/ci.yml", "templates/github-classroom.yml"]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting; the GitHub Actions workflows against GitHub's workflow schema."""
    session.install("ruff>=0.6", "check-jsonschema>=0.28")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # The workflows cannot run here: check-jsonschema validates them against the workflow
    # schema it ships (no network), catching misspelt keys, wrong types and bad structure.
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy on reference/ and oracle/."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """pytest; Hypothesis runs the derandomized ``ci`` profile unless HYPOTHESIS_PROFILE says otherwise."""
    session.install("-e", ".[test]")
    compile_sources(session)
    session.env["HYPOTHESIS_PROFILE"] = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    session.run("pytest", *session.posargs)


def _gradcheck_name(dtype: str, mode: str) -> str:
    return dtype if mode == "default" else f"{dtype}-{mode}"


@nox.session
def gradcheck(session: nox.Session) -> None:
    """CI gradient verification: fixed-seed campaigns; fails on a mismatch, error or one-sided non-finite.

    ``-- --shard K/N`` runs the K-th slice of each campaign (a CI matrix job): then every slice
    runs, and ``gradcheck_merge``, which joins them, is the one that fails on a failing row.
    """
    session.install("-e", ".")
    compile_sources(session)
    codes = [0, 1] if "--shard" in session.posargs else [0]
    for dtype, mode, graphs in GRADCHECK:
        name = _gradcheck_name(dtype, mode)
        options = ["--graphs", str(graphs), "--inputs", "8", "--seed", "2026", "--dtype", dtype]
        options += [f"--{mode}"] * (mode != "default") + ["--out", f"reports/gradcheck/{name}/divergence.csv"]
        session.run("python", "-m", "oracle", "report", *options, *session.posargs, success_codes=codes)


# Joins the merged campaigns' summaries (argv: their folders, each with the summary.md and
# summary.json that merge wrote) into reports/gradcheck/summary.md; exits 1 when a row failed.
GRADCHECK_SUMMARY = """
import json, sys
from pathlib import Path
failing, parts = 0, []
for folder in map(Path, sys.argv[1:]):
    parts.append((folder / "summary.md").read_text())
    failing += json.loads((folder / "summary.json").read_text())["failing"]
Path("reports/gradcheck/summary.md").write_text("\\n".join(parts))
sys.exit(1 if failing else 0)
"""


@nox.session
def gradcheck_merge(session: nox.Session) -> None:
    """CI: join the shards of ``gradcheck`` (``-- FOLDER``, a sub-folder per shard) in reports/gradcheck/."""
    session.install("-e", ".")
    compile_sources(session)
    shards = session.posargs[0] if session.posargs else "shards"
    folders = []
    for dtype, mode, _ in GRADCHECK:
        name = _gradcheck_name(dtype, mode)
        parts = sorted(glob.glob(f"{shards}/*/{name}/divergence.csv"))
        if not parts:
            session.error(f"no shards of {name} in {shards}/")
        folder = f"reports/gradcheck/{name}"
        out = f"{folder}/divergence.csv"
        session.run("python", "-m", "oracle", "merge", *parts, "--out", out, success_codes=[0, 1])
        for cases in glob.glob(f"{shards}/*/{name}/cases"):
            shutil.copytree(cases, f"{folder}/cases", dirs_exist_ok=True)
        folders.append(folder)
    session.run("python", "-c", GRADCHECK_SUMMARY, *folders)


@nox.session
def report(session: nox.Session) -> None:
    """The main job: the default divergence campaign -> reports/divergence.csv, summary.md, rel_error.png."""
    session.install("-e", ".")
    compile_sources(session)
    session.run("python", "-m", "oracle", "report", *session.posargs, success_codes=[0, 1])


@nox.session
def mlp(session: nox.Session) -> None:
    """The lecture's two-layer network trained three ways in lockstep -> reports/mlp.csv, mlp_loss.png."""
    session.install("-e", ".")
    compile_sources(session)
    session.run("python", "-m", "oracle", "mlp", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks beside the peers a user would pick instead -> reports/bench.csv (``-- --quick``: smoke)."""
    session.install("-e", ".[cluster]")  # the cluster benchmark runs --cluster local:2
    session.install("micrograd==0.1.0")  # the peer of the depth and scalar-network benchmarks: bench only
    compile_sources(session)
    session.run("python", "-m", "bench", *session.posargs)
