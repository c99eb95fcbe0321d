"""Seconds per submission under `nbgrader autograde`, for each assignment, against the floor.

The assignment is graded the course's way: student cells in a bubblewrap sandbox, every point
from the trusted checks (autograder/engine). The floor is **plain nbgrader** (its own Execute
step, a Jupyter kernel, no sandbox) on a notebook with the same cells and nbgrader metadata but
trivial code (`pass`, test cells `0`): what kernel start-up, nbgrader's bookkeeping and cell round
trips cost anyway. The floor lives in a second course directory whose nbgrader_config.py sets
only the folders. N students each, alternately, so machine load hits both alike. Targets: < 10 s
per submission and <= 1.2x the floor.

Run: .venv/bin/python bench/bench_autograde.py [--students N] [--repeats R] [--quick] [-k ps2]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _timing  # noqa: F401  (pins BLAS threads before numpy is imported anywhere)
import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from autograder import registry  # noqa: E402
from autograder.commands import assignments, nbgrader, release  # noqa: E402
from autograder.demo import copy_course, solved_notebook, submit  # noqa: E402

PLAIN_CONFIG = """c = get_config()
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
"""


def floor_notebook(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Same cells and metadata, trivial code: the cost of autograding nothing."""
    nb = copy.deepcopy(source)
    for c in nb.cells:
        if c.cell_type == "code":
            c.source = "0" if c.get("metadata", {}).get("nbgrader", {}).get("grade") else "pass"
    return nb


def autograde_seconds(course: Path, a: str, db: str, quiet: bool = True) -> float:
    start = time.perf_counter()
    code = nbgrader(course, "autograde", a, "--force", "--log-level=ERROR" if quiet else "",
                    db_url=db, check=False)  # fmt: skip
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"nbgrader autograde {a} failed (exit {code})")
    return elapsed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=4, help="copies of each notebook (N)")
    p.add_argument("--repeats", type=int, default=1, help="timed autograde runs of each kind")
    p.add_argument("--quick", action="store_true", help="2 students, the second problem set only")
    p.add_argument("-k", default="", help="only assignments whose id contains this")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (see _timing.py)")
    args = p.parse_args()
    n = 2 if args.quick else args.students
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        course = copy_course(Path(tmp) / "course")
        plain = Path(tmp) / "plain"  # plain nbgrader: only the folders are configured
        plain.mkdir()
        (plain / "nbgrader_config.py").write_text(PLAIN_CONFIG)
        db = f"sqlite:///{course / 'gradebook.db'}"
        plain_db = f"sqlite:///{plain / 'gradebook.db'}"
        ids = [a for a in assignments(course) if args.k in a]
        if args.quick:
            ids = [registry.PROBLEM_SETS[1].id]  # the modules problem set: the most checks
        for a in ids:  # the floor has the same id, in the plain course directory
            src = nbformat.read(course / "solutions" / a / f"{a}.ipynb", 4)
            (plain / "solutions" / a).mkdir(parents=True)
            nbformat.write(floor_notebook(src), plain / "solutions" / a / f"{a}.ipynb")
        release(course, ids, db_url=db)
        release(plain, ids, db_url=plain_db)
        for a in ids:
            solved = solved_notebook(course, a)
            floor = nbformat.read(plain / "solutions" / a / f"{a}.ipynb", 4)
            for i in range(n):
                submit(course, f"student{i:02d}", a, solved)
                submit(plain, f"student{i:02d}", a, floor)
        print(f"autograde, {n} submissions per run, median of {args.repeats} run(s):")
        for a in ids:
            real, base = [], []
            for _ in range(args.repeats):  # alternate, so drifting load hits both
                real.append(autograde_seconds(course, a, db) / n)
                base.append(autograde_seconds(plain, a, plain_db) / n)
            r, b = statistics.median(real), statistics.median(base)
            print(f"  {a:<16} {r:6.2f} s/submission   floor {b:6.2f} s   ratio {r / b:5.2f}")
            met = "MET" if r < 10 else "MISSED"
            print(f"RATIO autograde_seconds_{a} = {r:.2f} (s per submission; target < 10: {met})")
            met = "MET" if r / b <= 1.2 else "MISSED"
            print(f"RATIO autograde_vs_floor_{a} = {r / b:.2f} (sandbox + trusted checks vs plain "
                  f"nbgrader on a same-cell trivial notebook; target <= 1.2: {met})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
