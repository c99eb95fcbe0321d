"""A class of broken ps2 submissions through the instructor's real commands on a local Dask cluster
of 2 worker processes: everyone graded fairly or explained, nothing lost, resumable after a kill,
and a class report with the right counts."""

from __future__ import annotations

import copy
import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from grading_helpers import PS2  # the registry's ids
from nbgrader.api import Gradebook

from autograder.commands import ROOT
from autograder.demo import copy_course, solved_notebook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "broken"))
from corpus import BIAS, CORPUS, FULL, replace  # noqa: E402

pytestmark = pytest.mark.slow
A = PS2
CONTROLS = ["control0", "control1", "control2"]
BIAS_BUGS = ["bias_bug_a", "bias_bug_b"]  # with CORPUS's one_bug_bias: 3 students, one mistake


def make_class(d: Path) -> Path:
    copy_course(d)
    cfg = d / "nbgrader_config.py"  # a short cell time limit keeps the endless loop cheap
    cfg.write_text(cfg.read_text().replace("timeout = 20", "timeout = 8"))
    solved = solved_notebook(d, A)
    for s in CONTROLS:
        (d / "submitted" / s / A).mkdir(parents=True)
        nbformat.write(solved, d / "submitted" / s / A / f"{A}.ipynb")
    for s in BIAS_BUGS:
        replace(BIAS, BIAS.replace("sum", "mean"))(copy.deepcopy(solved), d / "submitted" / s / A)
    for name, (brk, _, _) in CORPUS.items():
        brk(copy.deepcopy(solved), d / "submitted" / name / A)
    return d


def instructor(d: Path, *args: str, **kw) -> subprocess.Popen | subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "autograder", *args, "--course-dir", str(d),
           "--db-url", f"sqlite:///{d / 'gradebook.db'}"]  # fmt: skip
    if kw.pop("background", False):
        return subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, **kw)


def scores(d: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{d / 'gradebook.db'}") as gb:
        return {s.student.id: s.code_score for s in gb.find_assignment(A).submissions}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    d = make_class(tmp_path_factory.mktemp("class"))
    run = instructor(d, "autograde", "--workers", "2")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for cmd in ("feedback", "grades"):
        done = instructor(d, cmd)
        assert done.returncode == 0, done.stderr[-2000:]
    return d, run.stdout, (d / "autograde_report.txt").read_text()


def expected() -> dict[str, float]:
    want = {s: FULL for s in CONTROLS} | {s: FULL - 1.5 for s in BIAS_BUGS}
    for name, (_, lost, _) in CORPUS.items():
        items = {"linear_test": 10, "relu_test": 5, "sigmoid_test": 5, "tanh_test": 5,
                 "softmax_test": 8, "softmax_ce_test": 8, "euclidean_test": 5}  # fmt: skip
        want[name] = FULL - sum(items[g] - p for g, p in lost.items())
        if "no readable notebook" in CORPUS[name][2] or name == "no_notebook":
            want[name] = 0.0
    return want


def test_every_student_has_the_fair_score_in_gradebook_and_csv(graded):
    d, _, _ = graded
    got = scores(d)
    rows = {r["student"]: float(r["code_score"]) for r in csv.DictReader(open(d / "grades.csv"))}
    for student, want in expected().items():
        assert got.get(student) == pytest.approx(want), (student, got.get(student), want)
        assert rows.get(student) == pytest.approx(want), student


def test_every_student_gets_feedback(graded):
    d, _, _ = graded
    for student in expected():
        assert (d / "feedback" / student / A / f"{A}.html").is_file(), student


def test_the_summary_names_each_problem(graded):
    _, _, report = graded
    for name, (_, _, phrase) in CORPUS.items():
        if phrase:
            line = next((ln for ln in report.splitlines() if f" {name}:" in ln), "")
            assert phrase.lower() in line.lower(), f"{name}: {phrase!r} not in {line!r}"
    for student in CONTROLS:
        assert f" {student}:" not in report  # nothing to say about a clean submission
    assert f"graded now in parallel: {len(expected())}" in report


def test_the_class_report_counts_each_mistake(graded):
    _, _, report = graded
    line = next(ln for ln in report.splitlines() if "Linear: backward: bias gradient" in ln)
    assert "(3 students)" in line, line
    assert "3 × self.grads['bias']: averaged over the batch instead of summed" in report


def test_an_interrupted_run_resumes_without_grading_anyone_twice(graded, tmp_path):
    d = make_class(tmp_path / "again")
    proc = instructor(d, "autograde", "--workers", "2", background=True)
    cache = d / ".grading" / "cache" / A
    deadline = time.monotonic() + 300
    while len(list(cache.glob("*.ipynb"))) < 6 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the instructor's process and its Dask workers
    proc.wait()
    finished = len(list(cache.glob("*.ipynb")))
    assert 6 <= finished < len(set(expected())), finished
    run = instructor(d, "autograde", "--workers", "2")
    assert run.returncode == 0, run.stderr[-2000:]
    m = re.search(r"graded now in parallel: (\d+); from an earlier run: (\d+)", run.stdout)
    assert m and int(m[2]) > 0 and int(m[1]) + int(m[2]) == len(expected()), run.stdout[-2000:]
    assert scores(d) == pytest.approx(scores(graded[0]))


def test_a_half_written_or_corrupt_result_is_never_taken_for_a_grade(tmp_path):
    from autograder.engine import cache

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    cache.store(tmp_path, A, "k", nb)
    assert cache.load(tmp_path, A, "k").cells[0].source == "1"
    cache.path(tmp_path, A, "k").write_text('{"cells": [')  # cut off mid-write
    assert cache.load(tmp_path, A, "k") is None  # graded again
    (tmp_path / A / "j.ipynb.tmp").write_text("{}")
    assert cache.load(tmp_path, A, "j") is None


@pytest.mark.browser
def test_the_class_report_page_shows_counts_plots_and_attention(graded):
    """Open reports/ps2_modules.html in the real browser and read what it shows."""
    from pack_helpers import CHROMIUM, CHROMIUM_FLAGS, _loud_skip

    if not CHROMIUM.exists():
        _loud_skip(f"{CHROMIUM} not found")
    from playwright.sync_api import sync_playwright

    d, _, _ = graded
    page_path = d / "reports" / f"{A}.html"
    rows = list(csv.DictReader(open(d / "reports" / f"{A}.csv")))
    bias = [r for r in rows if r["mistake"].startswith("self.grads['bias']: averaged")]
    assert [int(r["students"]) for r in bias] == [3]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_FLAGS)  # fmt: skip
        try:
            page = browser.new_page()
            page.goto(page_path.as_uri())
            assert page.locator("#students").inner_text().startswith(f"{len(expected())} students")
            row = page.locator("#mistakes tr", has_text="averaged over the batch")
            assert row.locator("td").nth(3).inner_text() == "3"
            width = page.eval_on_selector("#histograms", "img => img.naturalWidth")
            assert width > 300  # the histograms decoded and drew
            attention = page.locator("#attention").inner_text()
            for name in ("not_json", "renamed_copy_of", "duplicated_answer_cell"):
                assert name in attention
            page.screenshot(path=str(Path(__file__).resolve().parents[1] / "artifacts" / "class_report.png"),
                            full_page=True)  # fmt: skip
        finally:
            browser.close()


def test_the_same_work_goes_to_an_existing_dask_cluster(tmp_path):
    """--scheduler ADDRESS: the grading runs on a cluster the command did not start."""
    from distributed import LocalCluster

    d = copy_course(tmp_path / "course")
    solved = solved_notebook(d, A)
    (d / "submitted" / "ok" / A).mkdir(parents=True)
    nbformat.write(solved, d / "submitted" / "ok" / A / f"{A}.ipynb")
    replace(BIAS, BIAS.replace("sum", "mean"))(copy.deepcopy(solved), d / "submitted" / "bug" / A)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:  # fmt: skip
        run = instructor(d, "autograde", "--scheduler", cluster.scheduler_address)
        assert run.returncode == 0, run.stderr[-2000:]
        done = [t for t in cluster.scheduler.transition_log if t[0].startswith("grade-")]
    assert done, "no grading task reached the external cluster"
    assert scores(d) == {"ok": FULL, "bug": FULL - 1.5}
