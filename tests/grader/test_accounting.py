"""Every student accounted for, through the instructor's real command: a file handed in where
no grading picks it up is listed by name with the reason and the fix (run output, report, grade
table, grades.csv), and Ctrl-C stops a run with one line, no traceback and no process left."""

from __future__ import annotations

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

from autograder import registry
from autograder.demo import copy_course, solved_notebook

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PS1, PS2 = registry.PROBLEM_SETS[0].id, registry.PROBLEM_SETS[1].id


def instructor(d: Path, *args: str, background: bool = False):
    cmd = [sys.executable, "-m", "autograder", *args, "--course-dir", str(d),
           "--db-url", f"sqlite:///{d / 'gradebook.db'}"]  # fmt: skip
    if background:  # its own session, as a terminal would start it: Ctrl-C reaches the group
        return subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)


def put(d: Path, rel: str, nb: nbformat.NotebookNode | None = None) -> None:
    path = d / "submitted" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if nb is None:
        path.write_text("not a notebook")
    else:
        nbformat.write(nb, path)


def test_misfiled_submissions_are_listed_with_reason_and_fix_everywhere(tmp_path):
    d = copy_course(tmp_path / "course")
    release = nbformat.read(d / "assignments" / PS1 / f"{PS1}.ipynb", 4)
    put(d, f"ada/{PS1}/{PS1}.ipynb", release)  # filed right: graded
    misfiled = {
        "kim": f"kim/ps9_unknown/{PS1}.ipynb",  # no such assignment
        "uma": f"uma/ps1/{PS1}.ipynb",  # a short name for the folder
        "tom": f"tom/{PS1}.ipynb",  # one level too shallow
        "?": "stray.ipynb",  # straight into submitted/
    }
    for rel in misfiled.values():
        put(d, rel, release)
    run = instructor(d, "autograde", "--workers", "1")
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    table = instructor(d, "grades")
    assert table.returncode == 0, table.stderr[-2000:]
    report = (d / "autograde_report.txt").read_text()
    rows = list(csv.DictReader(open(d / "grades.csv")))
    graded = [r for r in rows if r["status"] == "graded"]
    assert [(r["student"], r["assignment"]) for r in graded] == [("ada", PS1)]
    for student, rel in misfiled.items():
        path = f"submitted/{rel}"
        for where, text in (("output", run.stdout), ("report", report), ("table", table.stdout)):
            line = next((ln for ln in text.splitlines() if path in ln), "")
            assert "NOT GRADED" in line and "move it to" in line, f"{path} in the {where}: {line!r}"
        row = [r for r in rows if path in r["status"]]
        assert len(row) == 1 and row[0]["status"].startswith("NOT GRADED"), (path, rows)
        assert row[0]["student"] == student
    # The fix names the right folder where the name says which assignment it is.
    assert f"move it to submitted/uma/{PS1}/" in report
    assert f"move it to submitted/tom/{PS1}/" in report
    assert "'ps9_unknown' is not an assignment of this course" in report


def _session(pid: int) -> list[str]:
    """Processes still alive in session ``pid`` (the run and everything it started)."""
    alive = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) == pid and fields[0] != "Z":  # field 6 of stat: the session
                    alive.append((p / "cmdline").read_text().replace("\0", " ")[:120])
            except (OSError, IndexError, ValueError):
                continue
    return alive


def test_ctrl_c_stops_with_one_line_and_a_rerun_resumes(tmp_path):
    d = copy_course(tmp_path / "course")
    for i in range(6):  # six different notebooks: six gradings, none shared through the cache
        nb = solved_notebook(d, PS2)
        nb.cells[0].source += f"\n<!-- {i} -->"
        put(d, f"s{i}/{PS2}/{PS2}.ipynb", nb)
    proc = instructor(d, "autograde", "--workers", "1", background=True)
    cache = d / ".grading" / "cache" / PS2
    deadline = time.monotonic() + 300
    while len(list(cache.glob("*.ipynb"))) < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends: the whole group
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, out[-2000:], err[-2000:])
    said = [ln for ln in err.splitlines() if ln.startswith("interrupted:")]
    assert len(said) == 1 and re.fullmatch(
        r"interrupted: \d+ graded notebook\(s\) kept; run it again to resume", said[0]
    ), err[-2000:]
    assert "Traceback" not in out + err, err[-3000:]
    time.sleep(1.0)
    assert _session(proc.pid) == [], "processes left behind after Ctrl-C"
    again = instructor(d, "autograde", "--workers", "1")
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    m = re.search(r"graded now in parallel: (\d+); from an earlier run: (\d+)", again.stdout)
    assert m and int(m[2]) >= 1 and int(m[1]) + int(m[2]) == 6, again.stdout[-2000:]
    for noise in ("already in use", "still alive", "Traceback"):
        assert noise not in again.stdout + again.stderr, noise
