"""docs/authoring.md holds: a new problem set is one registry entry plus its folders of checks
and notebooks. A tiny one (``ps9_double``: write ``double(x) = 2x``) is added to a copy of the
course and released, autograded and tabled through the instructor's real commands."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ID = "ps9_double"
ENTRY = f"""    ProblemSet(
        "{ID}", "Doubling", "course.grading.ps9", released_week=5, due_week=6,
    ),
"""
CHECKS = '''"""Checks for the doubling problem set."""

import numpy as np

from ..core import Mistake, SubCheck, grade_item


def check_double(double, *, seed=None, hidden=False):
    """``double(x)`` is 2x, elementwise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=5) if hidden else np.array([-1.5, 0.0, 2.0])

    def values():
        got = np.asarray(double(x.copy()), dtype=float)
        if got.shape != x.shape or not np.allclose(got, 2 * x):
            raise Mistake("double(x) should be 2 * x, entry by entry")

    return grade_item("Doubling", [SubCheck("double(x) = 2x", 2, values)], hidden=hidden)


__all__ = ["check_double"]
'''
COPIED = ("course", "autograder", "solutions", "assignments")
INSTRUCTOR_DATA = {"submitted", "autograded", "feedback", ".grading", "reports", "gradebook.db",
                   "grades.csv", "autograde_report.txt"}  # fmt: skip


def _meta(grade_id: str, **kw: object) -> dict:
    base = {"grade": False, "locked": False, "solution": False, "schema_version": 3}
    return {"nbgrader": {**base, "grade_id": grade_id, **kw}}


def source_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(cells=[
        new_markdown_cell("# Doubling\n\nWrite `double(x)`, which returns 2x for an array x."),
        new_code_cell("import numpy as np\n\nfrom course.grading import ps9",
                      metadata=_meta("setup", locked=True)),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                      "    ### END SOLUTION", metadata=_meta("double_answer", solution=True)),
        new_code_cell("ps9.check_double(double)\n### BEGIN HIDDEN TESTS\n"
                      "ps9.check_double(double, seed=5, hidden=True)\n### END HIDDEN TESTS",
                      metadata=_meta("double_check", grade=True, locked=True, points=2)),
    ])  # fmt: skip
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def tree(root: Path) -> dict[str, str]:
    """Path → content hash of every file under ``root`` but instructor data and caches."""
    out = {}
    for p in root.rglob("*"):
        rel = p.relative_to(root)
        if p.is_file() and "__pycache__" not in rel.parts and rel.parts[0] not in INSTRUCTOR_DATA:
            out[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def test_a_new_problem_set_is_one_registry_entry_and_its_folders(tmp_path):
    repo = tmp_path / "repo"
    for d in COPIED:
        shutil.copytree(ROOT / d, repo / d, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "nbgrader_config.py", repo)
    before = tree(repo)

    # The three steps of docs/authoring.md: registry entry, checks, source notebook.
    registry = repo / "autograder" / "registry.py"
    text = registry.read_text()
    end = "\n)  # fmt: skip\n\n\ndef ids()"
    assert text.count(end) == 1, "PROBLEM_SETS no longer ends the way docs/authoring.md shows"
    registry.write_text(text.replace(end, "\n" + ENTRY.rstrip("\n") + end))
    (repo / "course" / "grading" / "ps9").mkdir()
    (repo / "course" / "grading" / "ps9" / "__init__.py").write_text(CHECKS)
    (repo / "solutions" / ID).mkdir()
    nbformat.write(source_notebook(), repo / "solutions" / ID / f"{ID}.ipynb")

    env = {**os.environ, "PYTHONPATH": str(repo)}  # this copy's course and autograder
    db = ["--course-dir", str(repo), "--db-url", f"sqlite:///{repo / 'gradebook.db'}"]

    def instructor(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "autograder", *args, *db], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done

    instructor("release")
    release = nbformat.read(repo / "assignments" / ID / f"{ID}.ipynb", 4)
    assert "### BEGIN SOLUTION" not in nbformat.writes(release)
    answers = {"right": "def double(x):\n    return x + x",
               "wrong": "def double(x):\n    return x * x"}  # fmt: skip
    for student, code in answers.items():
        nb = nbformat.read(repo / "assignments" / ID / f"{ID}.ipynb", 4)
        next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")).source = code
        path = repo / "submitted" / student / ID / f"{ID}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    run = instructor("autograde", "--workers", "1")
    assert "NOT GRADED" not in run.stdout
    instructor("grades")
    rows = {r["student"]: r for r in csv.DictReader(open(repo / "grades.csv"))}
    assert float(rows["right"]["code_score"]) == float(rows["right"]["max_code_score"]) == 2.0
    assert float(rows["wrong"]["code_score"]) == 0.0
    graded = nbformat.read(repo / "autograded" / "wrong" / ID / f"{ID}.ipynb", 4)
    assert "2 * x, entry by entry" in nbformat.writes(graded)  # the check's own hint
    assert rows["right"]["sandbox"] == "bubblewrap"

    # Nothing else of the course changed: the registry and the new folders only.
    after = tree(repo)
    changed = {p for p in before if after.get(p) != before[p]} | (after.keys() - before.keys())
    new_folders = ("course/grading/ps9/", f"solutions/{ID}/", f"assignments/{ID}/")
    assert {p for p in changed if not p.startswith(new_folders)} == {"autograder/registry.py"}
