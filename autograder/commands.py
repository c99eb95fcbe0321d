"""Instructor workflow around nbgrader: release, autograde, feedback, grade table, demo.

``python -m autograder {release,autograde,feedback,grades,demo}`` (the Makefile targets call
these). Every command works on a course directory (default: the repository root, where
nbgrader_config.py lives) and can take its own gradebook URL, which is how the tests and the demo
stay away from the real gradebook.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import nbformat

from . import registry

ROOT = Path(__file__).resolve().parents[1]


def assignments(course_dir: Path = ROOT) -> list[str]:
    """The registry's assignment ids whose source notebook is in ``course_dir``, in term order."""
    return [ps.id for ps in registry.PROBLEM_SETS if ps.source(course_dir).is_file()]


def venv_on_path() -> None:
    """nbgrader's Gradebook runs `alembic` from PATH: put this Python's bin/ first."""
    exe = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != exe:
        os.environ["PATH"] = f"{exe}{os.pathsep}{os.environ.get('PATH', '')}"


def nbgrader(course_dir: Path, *args: str, db_url: str | None = None, check: bool = True) -> int:
    """Run the nbgrader CLI in ``course_dir`` (the venv's bin/ first on PATH, for alembic)."""
    venv_on_path()
    exe = Path(sys.executable).parent
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}  # SQLAlchemy's notes on nbgrader's own code
    cmd = [str(exe / "nbgrader"), *args]
    if db_url:
        cmd.append(f"--CourseDirectory.db_url={db_url}")
    proc = subprocess.run(cmd, cwd=course_dir, env=env)
    if check and proc.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed with exit code {proc.returncode}")
    return proc.returncode


def release(course_dir: Path = ROOT, ids: Sequence[str] = (), db_url: str | None = None) -> None:
    """generate_assignment --force for each assignment (solutions/<id> → assignments/<id>)."""
    for a in ids or assignments(course_dir):
        nbgrader(course_dir, "generate_assignment", a, "--force", db_url=db_url)


def submitted_assignments(course_dir: Path, submissions: str = "submitted") -> list[str]:
    """Assignments that at least one student in ``submissions/<student>/<id>/`` handed in."""
    base = Path(course_dir) / submissions
    found = {p.parent.name for p in base.glob("*/*/*.ipynb")} if base.is_dir() else set()
    return [a for a in assignments(course_dir) if a in found]


def ensure_released(course_dir: Path, ids: Sequence[str], db_url: str) -> None:
    """Put each assignment into the gradebook if it is not there yet (a fresh clone has no
    gradebook): generate_assignment into a scratch folder, so assignments/ is left alone."""
    from nbgrader.api import Gradebook, MissingEntry

    venv_on_path()
    missing = []
    with Gradebook(db_url) as gb:
        for a in ids:
            try:
                gb.find_assignment(a)
            except MissingEntry:
                missing.append(a)
    for a in missing:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{a} is not in the gradebook yet: registering it (nbgrader generate_assignment)")
            nbgrader(course_dir, "generate_assignment", a, "--force", "--log-level=ERROR",
                     f"--CourseDirectory.release_directory={tmp}", db_url=db_url)  # fmt: skip


def autograde(
    course_dir: Path = ROOT, submissions: str = "submitted", db_url: str | None = None,
    sandbox: bool = True, scheduler: str | None = None, workers: int | None = None,
) -> int:  # fmt: skip
    """Autograde every student of every assignment present in ``submissions``.

    Each submission folder is normalised (the student's notebook found whatever its name), graded
    in parallel on Dask (student code in a bubblewrap sandbox, every point from trusted checks;
    results cached, so an interrupted run resumes) and recorded with nbgrader's own steps by this
    process, the only writer of the gradebook. Ends with a summary: who was graded, who was not
    and why, and what the class got wrong. Returns 1 if a submission could not be graded."""
    from autograder.engine import batch

    from .submissions import misfiled

    course_dir = Path(course_dir)
    ids = submitted_assignments(course_dir, submissions)
    lost = misfiled_report(misfiled(course_dir, submissions, assignments(course_dir)))
    if not ids:
        print(f"no submissions found under {course_dir / submissions}/<student>/<assignment>/")
        if lost:
            print(lost)
            (course_dir / "autograde_report.txt").write_text(lost + "\n")
        return 1 if lost else 0
    if sandbox:
        from autograder.engine.sandbox import INSTALL_HINT, problem

        why = problem()
        if why:
            raise SystemExit(INSTALL_HINT.format(problem=why))
    else:
        print(
            "WARNING: grading WITHOUT a sandbox (--no-sandbox): student code can reach this machine"
        )
    db_url = db_url or f"sqlite:///{course_dir / 'gradebook.db'}"
    ensure_released(course_dir, ids, db_url)
    codes, summaries = [], []
    with batch.Workers(scheduler, workers) as pool:
        for a in ids:
            codes.append(
                _autograde_one(course_dir, submissions, a, db_url, pool, sandbox, summaries)
            )
    from autograder.classreport import pivot

    summaries.append(pivot(grade_table(course_dir, db_url), ids))
    if lost:
        summaries.append(lost)
    text = "\n\n".join(summaries)
    print("\n" + text)
    (course_dir / "autograde_report.txt").write_text(text + "\n")
    print(f"\n(also in {course_dir / 'autograde_report.txt'})")
    return max(codes + [1 if lost else 0])


def misfiled_report(lost: list) -> str:
    """The submissions no grading picked up, one line each with what to do ("" if none)."""
    if not lost:
        return ""
    lines = [f"NOT GRADED, misfiled: {len(lost)} file(s) under the submissions folder"]
    lines += [f"  NOT GRADED  {m.path} ({m.student}): {m.reason}; {m.fix}, then run "
              "autograde again" for m in lost]  # fmt: skip
    return "\n".join(lines)


WORK = ".grading"  # normalised submissions and the cache of graded notebooks (git-ignored)


def cell_timeout(course_dir: Path) -> float:
    """Seconds a notebook cell may run: ``c.SandboxExecute.timeout`` in nbgrader_config.py."""
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    return float(cfg.SandboxExecute.get("timeout", 120))


def _autograde_one(course_dir: Path, submissions: str, a: str, db_url: str, pool: object,
                   sandbox: bool, summaries: list[str]) -> int:  # fmt: skip
    """Normalise, grade in parallel and record, summarise one assignment; 1 if anyone failed."""
    from autograder.classreport import summary
    from autograder.engine import batch
    from autograder.submissions import normalize

    work = course_dir / WORK
    shutil.rmtree(work / "submitted", ignore_errors=True)
    found = normalize(course_dir, submissions, a, work / "submitted")
    outcomes = batch.grade_class(
        course_dir, a, work / "submitted", [f.student for f in found], db_url, work / "cache",
        pool, sandboxed=sandbox, timeout=cell_timeout(course_dir),
    )  # fmt: skip
    summaries.append(summary(course_dir, a, found, outcomes))
    return int(any(o.status == "failed" for o in outcomes))


def sandbox_used(course_dir: Path, student: str, assignment: str) -> str:
    """How a submission was graded, read from its autograded notebook: "bubblewrap" or "none"."""
    path = Path(course_dir) / "autograded" / student / assignment / f"{assignment}.ipynb"
    try:
        return str(nbformat.read(path, 4).metadata.get("course", {}).get("sandbox", "unknown"))
    except (OSError, ValueError):
        return "unknown"


def feedback(course_dir: Path = ROOT, db_url: str | None = None) -> None:
    """generate_feedback for each autograded assignment (HTML in feedback/, no hidden tests)."""
    from autograder.exchange import carry_exchange_files

    done = Path(course_dir) / "autograded"
    for a in assignments(course_dir):
        if any(done.glob(f"*/{a}/*.ipynb")):
            carry_exchange_files(course_dir, a)  # so `nbgrader release_feedback` can match them
            nbgrader(course_dir, "generate_feedback", a, "--force", db_url=db_url)


def grade_table(
    course_dir: Path = ROOT, db_url: str | None = None, submissions: str = "submitted"
) -> list[dict[str, object]]:
    """One row per (student, assignment) with code score, written score and their maxima, and
    one NOT GRADED row per file misfiled under ``submissions`` (with the reason)."""
    from nbgrader.api import Gradebook, MissingEntry

    from .submissions import misfiled

    url = db_url or f"sqlite:///{Path(course_dir) / 'gradebook.db'}"
    venv_on_path()
    rows = []
    with Gradebook(url) as gb:
        for a in gb.assignments:
            for s in gb.students:
                try:
                    sub = gb.find_submission(a.name, s.id)
                except MissingEntry:
                    continue
                rows.append({
                    "student": s.id, "assignment": a.name,
                    "code_score": round(sub.code_score, 3), "max_code_score": sub.max_code_score,
                    "written_score": round(sub.written_score, 3),
                    "max_written_score": sub.max_written_score,
                    "needs_manual_grade": bool(sub.needs_manual_grade),
                    "sandbox": sandbox_used(course_dir, s.id, a.name), "status": "graded",
                })  # fmt: skip
    for m in misfiled(Path(course_dir), submissions, assignments(course_dir)):
        rows.append({
            "student": m.student, "assignment": m.assignment, "code_score": "",
            "max_code_score": "", "written_score": "", "max_written_score": "",
            "needs_manual_grade": "", "sandbox": "",
            "status": f"NOT GRADED: {m.path}: {m.reason}; {m.fix}",
        })  # fmt: skip
    return sorted(rows, key=lambda r: (str(r["assignment"]), str(r["student"])))


def grades(
    course_dir: Path = ROOT, out: Path | None = None, db_url: str | None = None,
    submissions: str = "submitted",
) -> Path:  # fmt: skip
    """Write the grade table as CSV (default grades.csv in the course directory, git-ignored)."""
    rows = grade_table(course_dir, db_url, submissions)
    out = Path(out or Path(course_dir) / "grades.csv")
    fields = ["student", "assignment", "code_score", "max_code_score", "written_score",
              "max_written_score", "needs_manual_grade", "sandbox", "status"]  # fmt: skip
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    print_table(rows)
    print(f"wrote {out}")
    return out


def print_table(rows: list[dict[str, object]]) -> None:
    """The grade table as aligned text."""
    print(f"{'assignment':<16} {'student':<18} {'code':>12} {'written':>10}  manual?  sandbox")
    for r in rows:
        if r.get("status", "graded") != "graded":
            print(f"{r['assignment']:<16} {r['student']:<18} {r['status']}")
            continue
        code = f"{r['code_score']:g}/{r['max_code_score']:g}"
        written = f"{r['written_score']:g}/{r['max_written_score']:g}"
        manual = "yes" if r["needs_manual_grade"] else ""
        sandbox = "" if r.get("sandbox") == "bubblewrap" else f"NO ({r.get('sandbox')})"
        print(f"{r['assignment']:<16} {r['student']:<18} {code:>12} {written:>10}  {manual:<7}  "
              f"{sandbox}")  # fmt: skip
