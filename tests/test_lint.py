"""The code base stays ruff-clean (lint and format), so `make test` catches style drift too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUFF = Path(sys.executable).parent / "ruff"
TARGETS = ["course", "autograder", "tests", "bench", "deploy", "nbgrader_config.py"]


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(repo_root, args):
    if not RUFF.exists():
        pytest.fail(f"ruff is not installed in {RUFF.parent}: run `make test`, which installs it")
    done = subprocess.run(
        [str(RUFF), *args, *TARGETS], cwd=repo_root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
