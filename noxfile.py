"""Every check and job of the project. ``nox`` runs the checks; ``nox -s report`` the main job."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv|virtualenv"  # uv when it is installed: venvs in seconds
nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True


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
