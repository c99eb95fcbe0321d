"""What ``batch.grade_class`` does when grading fails, through the instructor's real ``autograde``
on a real Dask cluster: a notebook whose worker could not grade it is graded again in the
instructor's process, and a notebook that cannot be graded there either is reported as failed for
each student who handed it in, while the rest of the class is graded and recorded as usual."""

from __future__ import annotations

import copy
import csv
import os
from collections import Counter
from pathlib import Path

import pytest
from distributed import LocalCluster, get_worker
from test_class_scale import BIAS, FULL, A, replace, scores  # A class's helpers (ps2)

from autograder.commands import autograde, grades
from autograder.demo import copy_course, solved_notebook, submit
from autograder.engine import batch

pytestmark = pytest.mark.slow
SOLVED = ["dee", "eve"]  # the same notebook: one grading task for both
BIAS_BUG = "cy"  # FULL - 1.5
# Named to sort first: their task is submitted and fails first, so the batch must go on after it.
DOOMED = ["ada", "bo"]  # the same notebook, which no machine can grade
MARK = "# handed in by ada and bo"
REAL_GRADE_TASK = batch.grade_task
TRIED: list[str] = []  # where the doomed notebook was given to grade_task


def doomed_or_real(notebook: str, *args):
    """grade_task, except that the doomed notebook makes it raise, on a worker and here alike.
    Module-level, so that Dask sends it to its worker by reference: the same TRIED there."""
    if MARK in notebook:
        try:
            TRIED.append(f"worker {get_worker().address}")
        except ValueError:  # not inside a Dask worker: the instructor's process
            TRIED.append("here")
        raise RuntimeError("the kernel died at start-up")
    return REAL_GRADE_TASK(notebook, *args)


def hand_in(d: Path, doomed: bool) -> Path:
    """A course directory with the solved and bias-bug ps2 submissions (and the doomed ones)."""
    copy_course(d)
    solved = solved_notebook(d, A)
    for s in SOLVED:
        submit(d, s, A, solved)
    replace(BIAS, BIAS.replace("sum", "mean"))(
        copy.deepcopy(solved), d / "submitted" / BIAS_BUG / A
    )
    if doomed:
        for s in DOOMED:
            replace(BIAS, f"{BIAS}  {MARK}")(copy.deepcopy(solved), d / "submitted" / s / A)
    return d


def run_autograde(d: Path, scheduler: str, monkeypatch) -> tuple[int, list[batch.Outcome]]:
    """``autograde`` on the cluster at ``scheduler``, then ``grades``; with the outcomes that
    grade_class returned (seen on the way, nothing changed)."""
    seen: list[batch.Outcome] = []
    real = batch.grade_class

    def spy(*args, **kw):
        out = real(*args, **kw)
        seen.extend(out)
        return out

    monkeypatch.setattr(batch, "grade_class", spy)
    db = f"sqlite:///{d / 'gradebook.db'}"
    code = autograde(d, db_url=db, scheduler=scheduler)
    grades(d, db_url=db)
    return code, seen


def csv_rows(d: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader(open(d / "grades.csv")) if r["assignment"] == A}


def test_a_worker_without_a_sandbox_hands_its_notebooks_back_to_be_graded_here(
    tmp_path, monkeypatch
):
    """Worker processes with no `bwrap` on their PATH (a cluster machine without bubblewrap):
    every task errs there for real, and every student is still graded, in a sandbox, here."""
    d = hand_in(tmp_path / "course", doomed=False)
    path = os.environ["PATH"].split(os.pathsep)
    no_bwrap = os.pathsep.join(p for p in path if not (Path(p) / "bwrap").exists())
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      env={"PATH": no_bwrap}) as cluster:  # fmt: skip
        code, outcomes = run_autograde(d, cluster.scheduler_address, monkeypatch)
        erred = [t for t in cluster.scheduler.erred_tasks if str(t.key).startswith("grade-")]
    # The fault was real: both notebooks (the solved one, the bias bug) failed on a worker.
    assert len({t.key for t in erred}) == 2, erred
    for t in erred:  # bwrap not found where the sandbox starts
        assert "FileNotFoundError" in t.exception_text, t.exception_text
        assert 'sandbox.py", line' in t.traceback_text, t.traceback_text
        assert "_execute_child" in t.traceback_text, t.traceback_text  # bwrap could not start
    assert code == 0
    everyone = sorted([*SOLVED, BIAS_BUG])
    assert sorted(o.student for o in outcomes) == everyone
    assert {o.student: (o.status, o.reason) for o in outcomes} == dict.fromkeys(
        everyone, ("graded", "")
    )
    want = {s: FULL for s in SOLVED} | {BIAS_BUG: FULL - 1.5}
    assert scores(d) == pytest.approx(want)
    rows = csv_rows(d)
    assert {s: float(r["code_score"]) for s, r in rows.items()} == pytest.approx(want)
    assert {r["sandbox"] for r in rows.values()} == {"bubblewrap"}  # graded here, still sandboxed
    report = (d / "autograde_report.txt").read_text()
    assert "graded now in parallel: 0; from an earlier run: 0" in report
    # Said once, with the worker's own error and what to check.
    assert report.count("because their Dask worker failed") == 1, report
    assert "because their Dask worker failed: 3 (the worker said FileNotFoundError" in report
    assert "NOT GRADED" not in report
    assert all(o.worker_error.startswith("FileNotFoundError") for o in outcomes), outcomes


def test_a_notebook_that_fails_everywhere_is_reported_for_each_student_and_the_batch_goes_on(
    tmp_path, monkeypatch
):
    """One notebook (handed in by two students) makes grade_task raise on the worker and again
    here; the other three students are graded and recorded, the two are told why, nobody is
    lost. The cluster runs in this process (threads), so the injected fault reaches its worker."""
    d = hand_in(tmp_path / "course", doomed=True)
    TRIED.clear()
    monkeypatch.setattr(batch, "grade_task", doomed_or_real)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster:  # fmt: skip
        code, outcomes = run_autograde(d, cluster.scheduler_address, monkeypatch)
    # Tried once on a worker, once here; once for the group, not once per student.
    assert len(TRIED) == 2 and TRIED[0].startswith("worker ") and TRIED[1] == "here", TRIED
    assert code == 1  # the instructor's command says that a submission could not be graded
    everyone = sorted([*DOOMED, *SOLVED, BIAS_BUG])
    assert Counter(o.student for o in outcomes) == Counter(everyone)  # each exactly once
    by = {o.student: o for o in outcomes}
    for s in DOOMED:
        assert by[s].status == "failed", by[s]
        assert by[s].reason == (
            "grading failed twice: on a Dask worker (RuntimeError: the kernel died at start-up), "
            "then here (RuntimeError: the kernel died at start-up)"
        )
    for s in [*SOLVED, BIAS_BUG]:
        assert (by[s].status, by[s].reason) == ("graded", ""), by[s]
    want = {s: FULL for s in SOLVED} | {BIAS_BUG: FULL - 1.5}
    assert scores(d) == pytest.approx(want)  # real grades; no score made up for ada and bo
    rows = csv_rows(d)
    assert {s: float(r["code_score"]) for s, r in rows.items()} == pytest.approx(want)
    for s in DOOMED:
        assert not (d / "autograded" / s / A).exists()
    report = (d / "autograde_report.txt").read_text()
    assert f"{A}: 5 submission(s), 3 graded" in report
    for s in DOOMED:
        line = f"NOT GRADED  {s}: grading failed twice: on a Dask worker (RuntimeError: the"
        assert line in report, report
