"""Shared pytest setup: the venv's bin/ on PATH (nbgrader runs `alembic` from PATH), repo paths."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
# Plots in tests and notebooks never need a screen.
os.environ.setdefault("MPLBACKEND", "Agg")
# matplotlib's font cache in ~/.cache names font files by absolute path: one left by another
# checkout's venv (since deleted) makes every plot warn on stderr. Each test run keeps its own.
os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="mplconfig-")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
