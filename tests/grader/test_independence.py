"""One broken answer costs only itself, through the instructor's real command (issue 20).

For each problem set, the answer cell the most later cells use is broken in the ways an answer
breaks (an endless loop in it, ``os._exit``, a loop at the cell's top level, a syntax error,
20 GB): every other item must score exactly what it scores when that cell is left as the release
stub. bench/bench_independence.py runs every answer cell × every mode (tests/corpora/
independence.py) and times the looping notebooks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import registry
from autograder.demo import copy_course, solved_notebook, submit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "corpora"))
import independence  # noqa: E402

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
MODES = ["endless loop", "os._exit", "loop at the cell's top level", "syntax error",
         "allocates 20 GB"]  # fmt: skip


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("independence"))
    cases = {}  # student → (assignment, broken cell, mode or "stub")
    for ps in registry.PROBLEM_SETS:
        gid = independence.most_used(solved_notebook(course, ps.id))
        for mode in MODES:
            student = f"{ps.short}-{slug(gid)}-{slug(mode)}"
            submit(course, student, ps.id, independence.broken(course, ps.id, gid, mode))
            cases[student] = (ps.id, gid, mode)
        submit(
            course, f"{ps.short}-{slug(gid)}-stub", ps.id, independence.stubbed(course, ps.id, gid)
        )
        cases[f"{ps.short}-{slug(gid)}-stub"] = (ps.id, gid, "stub")
    cmd = [sys.executable, "-m", "autograder", "autograde", "--workers", "2", "--course-dir",
           str(course), "--db-url", f"sqlite:///{course / 'gradebook.db'}"]  # fmt: skip
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, (a, _, _) in cases.items():
            items = independence.test_items(solved_notebook(course, a))
            scores[student] = {g: gb.find_grade(g, a, a, student).score for g in items}
    return course, cases, scores


CASES = [pytest.param(ps.short, mode, id=f"{ps.short}-{slug(mode)}")
         for ps in registry.PROBLEM_SETS for mode in MODES]  # fmt: skip


@pytest.mark.parametrize(("short", "mode"), CASES)
def test_a_broken_answer_costs_the_others_what_its_stub_costs(graded, short, mode):
    course, cases, scores = graded
    student = next(s for s, (a, _, m) in cases.items()
                   if m == mode and registry.get(a).short == short)  # fmt: skip
    assignment, gid, _ = cases[student]
    stub = next(s for s, (a, g, m) in cases.items() if a == assignment and m == "stub")
    own = {independence.own_item(solved_notebook(course, assignment), gid)}
    differ = {g: (scores[student][g], scores[stub][g]) for g in scores[student]
              if g not in own and abs(scores[student][g] - scores[stub][g]) > 1e-9}  # fmt: skip
    assert not differ, f"{gid} broken by {mode}: item (broken, stub) = {differ}"
    if mode in ("endless loop", "loop at the cell's top level"):  # the report says what happened
        nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", 4)
        text = nbformat.writes(nb)
        assert "was stopped" in text, "no report says which cell was stopped"
