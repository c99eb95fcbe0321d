"""Instructor workflow around nbgrader: release, autograde, feedback, grade table, demo.

``python -m course.instructor {release,autograde,feedback,grades,demo}`` (the Makefile targets call
these). Every command works on a course directory (default: the repository root, where
nbgrader_config.py lives) and can take its own gradebook URL, which is how the tests and the demo
stay away from the real gradebook.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def assignments(course_dir: Path = ROOT) -> list[str]:
    """Assignment ids: one per folder of solutions/ holding a notebook of the same name."""
    src = Path(course_dir) / "solutions"
    return sorted(p.name for p in src.iterdir() if (p / f"{p.name}.ipynb").is_file())


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
    from course.grading.engine import batch

    course_dir = Path(course_dir)
    ids = submitted_assignments(course_dir, submissions)
    if not ids:
        print(f"no submissions found under {course_dir / submissions}/<student>/<assignment>/")
        return 0
    if sandbox:
        from course.grading.engine.sandbox import INSTALL_HINT, problem

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
    from course.grading.classreport import pivot

    summaries.append(pivot(grade_table(course_dir, db_url), ids))
    text = "\n\n".join(summaries)
    print("\n" + text)
    (course_dir / "autograde_report.txt").write_text(text + "\n")
    print(f"\n(also in {course_dir / 'autograde_report.txt'})")
    return max(codes)


WORK = ".grading"  # normalised submissions and the cache of graded notebooks (git-ignored)


def cell_timeout(course_dir: Path) -> float:
    """Seconds a notebook cell may run: ``c.SandboxExecute.timeout`` in nbgrader_config.py."""
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    return float(cfg.SandboxExecute.get("timeout", 120))


def _autograde_one(course_dir: Path, submissions: str, a: str, db_url: str, pool: object,
                   sandbox: bool, summaries: list[str]) -> int:  # fmt: skip
    """Normalise, grade in parallel and record, summarise one assignment; 1 if anyone failed."""
    from course.grading.classreport import summary
    from course.grading.engine import batch
    from course.grading.submissions import normalize

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
    from course.pages.exchange import carry_exchange_files

    done = Path(course_dir) / "autograded"
    for a in assignments(course_dir):
        if any(done.glob(f"*/{a}/*.ipynb")):
            carry_exchange_files(course_dir, a)  # so `nbgrader release_feedback` can match them
            nbgrader(course_dir, "generate_feedback", a, "--force", db_url=db_url)


def grade_table(course_dir: Path = ROOT, db_url: str | None = None) -> list[dict[str, object]]:
    """One row per (student, assignment) with code score, written score and their maxima."""
    from nbgrader.api import Gradebook, MissingEntry

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
                    "sandbox": sandbox_used(course_dir, s.id, a.name),
                })  # fmt: skip
    return sorted(rows, key=lambda r: (r["assignment"], r["student"]))


def grades(course_dir: Path = ROOT, out: Path | None = None, db_url: str | None = None) -> Path:
    """Write the grade table as CSV (default grades.csv in the course directory, git-ignored)."""
    rows = grade_table(course_dir, db_url)
    out = Path(out or Path(course_dir) / "grades.csv")
    fields = ["student", "assignment", "code_score", "max_code_score", "written_score",
              "max_written_score", "needs_manual_grade", "sandbox"]  # fmt: skip
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
        code = f"{r['code_score']:g}/{r['max_code_score']:g}"
        written = f"{r['written_score']:g}/{r['max_written_score']:g}"
        manual = "yes" if r["needs_manual_grade"] else ""
        sandbox = "" if r.get("sandbox") == "bubblewrap" else f"NO ({r.get('sandbox')})"
        print(f"{r['assignment']:<16} {r['student']:<18} {code:>12} {written:>10}  {manual:<7}  "
              f"{sandbox}")  # fmt: skip


# --- building submissions (demo and tests) ----------------------------------------------------
def copy_course(dest: Path, course_dir: Path = ROOT) -> Path:
    """A throwaway course directory: the config, solutions/ and assignments/ only."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(Path(course_dir) / "nbgrader_config.py", dest)
    for d in ("solutions", "assignments"):
        if (Path(course_dir) / d).is_dir():
            shutil.copytree(Path(course_dir) / d, dest / d, dirs_exist_ok=True)
    return dest


def solved_notebook(course_dir: Path, assignment: str) -> nbformat.NotebookNode:
    """The release notebook with every solution cell filled in from the source (full marks)."""
    src = nbformat.read(Path(course_dir) / "solutions" / assignment / f"{assignment}.ipynb", 4)
    rel = nbformat.read(Path(course_dir) / "assignments" / assignment / f"{assignment}.ipynb", 4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in src.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    for c in rel.cells:
        gid = c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            c.source = answers[gid]
    return rel


def submit(course_dir: Path, student: str, assignment: str, nb: nbformat.NotebookNode,
           submissions: str = "submitted") -> Path:  # fmt: skip
    """Place ``nb`` where nbgrader looks for ``student``'s submission."""
    path = Path(course_dir) / submissions / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _demo_mistakes(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A ps2 submission with two classic bugs: bias gradient averaged, softmax without the max."""
    bugs = {
        "grad_out.sum(axis=0)": "grad_out.mean(axis=0)",
        "np.exp(x - x.max(axis=1, keepdims=True))": "np.exp(x)",
    }
    for c in nb.cells:
        for right, wrong in bugs.items():
            c.source = c.source.replace(right, wrong)
    return nb


def demo(dest: Path | None = None) -> list[dict[str, object]]:
    """The whole cycle on sample students in a temporary course directory; prints the table."""
    dest = Path(dest or tempfile.mkdtemp(prefix="course-demo-"))
    copy_course(dest)
    db = f"sqlite:///{dest / 'gradebook.db'}"
    release(dest, db_url=db)
    for a in assignments(dest):
        submit(dest, "ada_full_marks", a, solved_notebook(dest, a))
        submit(dest, "bo_untouched", a, nbformat.read(dest / "assignments" / a / f"{a}.ipynb", 4))
        if a == "ps2_modules":
            submit(dest, "cy_two_bugs", a, _demo_mistakes(solved_notebook(dest, a)))
    autograde(dest, db_url=db)
    feedback(dest, db_url=db)
    grades(dest, db_url=db)
    print(f"demo course directory (feedback/ has the students' HTML): {dest}")
    return grade_table(dest, db)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m course.instructor", description=__doc__)
    p.add_argument("command", choices=["release", "autograde", "feedback", "grades", "demo"])
    p.add_argument("--course-dir", type=Path, default=ROOT)
    p.add_argument("--submissions", default="submitted", help="folder of <student>/<id>/ notebooks")
    p.add_argument("--db-url", default=None, help="gradebook URL (default: gradebook.db)")
    p.add_argument("--out", type=Path, default=None, help="CSV path for `grades`")
    p.add_argument("--dest", type=Path, default=None, help="course directory for `demo`")
    p.add_argument(
        "--scheduler",
        default=None,
        help="address of a Dask scheduler (default: a local cluster on this machine)",
    )
    p.add_argument("--workers", type=int, default=None, help="local Dask workers (default: cores)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="autograde without bubblewrap (only where every submission is trusted)")  # fmt: skip
    a = p.parse_args(argv)
    if a.command == "release":
        release(a.course_dir, db_url=a.db_url)
    elif a.command == "autograde":
        return autograde(
            a.course_dir,
            a.submissions,
            a.db_url,
            sandbox=not a.no_sandbox,
            scheduler=a.scheduler,
            workers=a.workers,
        )
    elif a.command == "feedback":
        feedback(a.course_dir, a.db_url)
    elif a.command == "grades":
        grades(a.course_dir, a.out, a.db_url)
    else:
        demo(a.dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
