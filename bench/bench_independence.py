"""Independence over every answer cell × every failure mode, through the real command.

Each answer cell of ps1-ps3 is broken in each way of tests/corpora/independence.py (raises, an
endless loop, sleeps forever, sys.exit, os._exit, a loop at the cell's top level, a syntax error,
20 GB) and graded by `python -m autograder autograde` beside the notebook where that cell is the
release stub. Every other item must score the same in both (issue 20). Then the wall time of one
notebook whose answer loops, graded alone, against the untouched (solved) notebook graded alone
in the same run: the loop may cost at most 30 s more.

Run: .venv/bin/python bench/bench_independence.py [--quick]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _timing  # noqa: F401  (pins BLAS threads before numpy is imported anywhere)

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "corpora")]
import independence  # noqa: E402
from nbgrader.api import Gradebook  # noqa: E402

from autograder import registry  # noqa: E402
from autograder.demo import copy_course, solved_notebook, submit  # noqa: E402


def autograde(course: Path, workers: int) -> float:
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "autograder", "autograde", "--workers", str(workers),
           "--course-dir", str(course), "--db-url", f"sqlite:///{course / 'gradebook.db'}"]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    return time.perf_counter() - start


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def matrix(tmp: Path, quick: bool) -> tuple[int, int, list[str]]:
    """(notebooks, comparisons, mismatches) over the whole generated set."""
    course = copy_course(tmp / "matrix")
    cases = {}
    modes = list(independence.MODES)[:2] if quick else list(independence.MODES)
    for ps in registry.PROBLEM_SETS:
        cells = independence.answer_cells(solved_notebook(course, ps.id))
        for gid in cells[:1] if quick else cells:
            stub = f"{ps.short}-{slug(gid)}-stub"
            submit(course, stub, ps.id, independence.stubbed(course, ps.id, gid))
            for mode in modes:
                student = f"{ps.short}-{slug(gid)}-{slug(mode)}"
                submit(course, student, ps.id, independence.broken(course, ps.id, gid, mode))
                cases[student] = (ps.id, gid, mode, stub)
    seconds = autograde(course, 2)
    mismatches, comparisons = [], 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, (a, gid, mode, stub) in cases.items():
            items = independence.test_items(solved_notebook(course, a))
            own = independence.own_item(solved_notebook(course, a), gid)
            for item in items:
                if item == own:
                    continue
                comparisons += 1
                got = gb.find_grade(item, a, a, student).score
                want = gb.find_grade(item, a, a, stub).score
                if abs(got - want) > 1e-9:
                    mismatches.append(f"{a} {gid} {mode}: {item} {got:g} (stub {want:g})")
    print(f"graded {len(cases)} broken notebooks and their stubs in {seconds:.0f} s")
    return len(cases), comparisons, mismatches


def looping_cost(tmp: Path) -> tuple[float, float]:
    """(seconds for the untouched solved ps1, seconds for ps1 with an endless loop in the
    answer the most later cells use), each graded alone with one worker."""
    a = registry.PROBLEM_SETS[0].id
    times = []
    for name, make in (("solved", lambda c: solved_notebook(c, a)),
                       ("looping", lambda c: independence.broken(
                           c, a, independence.most_used(solved_notebook(c, a)), "endless loop"))):  # fmt: skip
        course = copy_course(tmp / name)
        submit(course, name, a, make(course))
        times.append(autograde(course, 1))
    return times[0], times[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="one answer cell per set, two modes")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        notebooks, comparisons, mismatches = matrix(tmp, args.quick)
        for line in mismatches[:40]:
            print("  MISMATCH", line)
        print(f"{notebooks} broken notebooks, {comparisons} comparisons, "
              f"{len(mismatches)} mismatches")  # fmt: skip
        print(_timing.ratio_line("independence_mismatches", len(mismatches),
                                 f"items that lost points to another answer's failure, of "
                                 f"{comparisons}", "0", not mismatches))  # fmt: skip
        solved, looping = looping_cost(tmp)
        print(_timing.ratio_line("looping_notebook_extra_seconds", looping - solved,
                                 f"{looping:.1f} s looping vs {solved:.1f} s untouched, graded "
                                 "alone", "<= 30", looping - solved <= 30))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
