"""``python -m autograder {release,autograde,feedback,grades,demo}``: the instructor's command line.

The Makefile's instructor targets call this; each command is a function of
:mod:`autograder.commands` (or :mod:`autograder.demo`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .commands import ROOT, WORK, autograde, feedback, grades, release


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split(chr(10))[0])
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
        try:
            return autograde(
                a.course_dir,
                a.submissions,
                a.db_url,
                sandbox=not a.no_sandbox,
                scheduler=a.scheduler,
                workers=a.workers,
            )
        except KeyboardInterrupt:
            kept = len(list((a.course_dir / WORK / "cache").glob("*/*.ipynb")))
            print(f"\ninterrupted: {kept} graded notebook(s) kept; run it again to resume",
                  file=sys.stderr, flush=True)  # fmt: skip
            return 130
    elif a.command == "feedback":
        feedback(a.course_dir, a.db_url)
    elif a.command == "grades":
        grades(a.course_dir, a.out, a.db_url, a.submissions)
    else:
        from .demo import demo

        demo(a.dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
