"""A whole class through autograde: the course's command against plain nbgrader, same class.

The class is ps2_modules: 60 % correct, 30 % with one realistic bug, 10 % broken (duplicated
cells, renamed files, a cell that exits or loops, not a notebook). Every notebook differs by a
comment, as real students' do, so nothing is graded once for many. The course's run is
`python -m autograder autograde` (normalised submissions, a local Dask cluster on every
core, student code in bubblewrap, trusted checks, nbgrader recording); the baseline is plain
`nbgrader autograde` (serial, a Jupyter kernel per notebook, no sandbox) with nbgrader's default
configuration on the same submissions. Target: <= 0.5x the baseline's wall time.

Run: .venv/bin/python bench/bench_class.py [--students N] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _timing  # noqa: F401  (pins BLAS threads before numpy is imported anywhere)
import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path[:0] = [str(ROOT / "tests" / "broken"), str(ROOT / "tests")]
from corpus import CORPUS, replace  # noqa: E402

from autograder import registry  # noqa: E402
from autograder.commands import nbgrader, release  # noqa: E402
from autograder.demo import copy_course, solved_notebook  # noqa: E402

PLAIN_CONFIG = """c = get_config()
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.ExecutePreprocessor.timeout = 30
c.Execute.timeout = 30
"""
A = registry.PROBLEM_SETS[1].id  # ps2: the modules
BUGS = [
    ('self.grads["bias"] += grad_out.sum(axis=0)', 'self.grads["bias"] += grad_out.mean(axis=0)'),
    ('self.grads["weight"] += grad_out.T @ x', 'self.grads["weight"] = grad_out.T @ x'),
    ("return grad_out * y * (1.0 - y)", "return grad_out * (1.0 - y)"),
    ("e = np.exp(x - x.max(axis=1, keepdims=True))", "e = np.exp(x)"),
    ("return grad_out * diff / diff.shape[0]", "return grad_out * diff"),
]
BROKEN = ["duplicated_answer_cell", "renamed_copy_of", "two_notebooks_work_in_copy", "not_json",
          "exit_in_answer", "answer_metadata_stripped", "syntax_error_cell",
          "duplicated_test_cell"]  # fmt: skip


def make_class(d: Path, n: int) -> None:
    """n students in d/submitted: 60 % correct, 30 % one bug, 10 % broken; all different."""
    solved = solved_notebook(d, A)
    rng = random.Random(0)
    for i in range(n):
        nb = copy.deepcopy(solved)
        nb.cells[0].source += f"\n\n<!-- student {i} -->"  # differs, as every real notebook does
        setup = next(c for c in nb.cells if c.cell_type == "code")
        setup.source += f"\n# student {i}"
        folder = d / "submitted" / f"s{i:04d}" / A
        kind = i % 10
        if kind < 6:
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{A}.ipynb")
        elif kind < 9:
            replace(*rng.choice(BUGS))(nb, folder)
        else:
            CORPUS[BROKEN[(i // 10) % len(BROKEN)]][0](nb, folder)


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=300)
    p.add_argument("--quick", action="store_true", help="20 students")
    args = p.parse_args()
    n = 20 if args.quick else args.students
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        ours, plain = copy_course(Path(tmp) / "course"), Path(tmp) / "plain"
        make_class(ours, n)
        nbgrader(ours, "generate_assignment", A, "--force", "--log-level=ERROR",
                 db_url=f"sqlite:///{ours / 'gradebook.db'}")  # fmt: skip
        t = timed([sys.executable, "-m", "autograder", "autograde", "--course-dir",
                   str(ours), "--db-url", f"sqlite:///{ours / 'gradebook.db'}"], ROOT)  # fmt: skip
        # Plain nbgrader stops the whole batch at the first duplicated cell, so it gets the class
        # after the course's normalisation (one notebook per student, repaired metadata).
        plain.mkdir()
        (plain / "nbgrader_config.py").write_text(PLAIN_CONFIG)
        for folder in ("solutions", "assignments"):
            shutil.copytree(ours / folder, plain / folder)
        shutil.copytree(ours / ".grading" / "submitted", plain / "submitted")
        release(plain, [A], db_url=f"sqlite:///{plain / 'gradebook.db'}")
        base = timed([str(Path(sys.executable).parent / "nbgrader"), "autograde", A, "--force",
                      f"--CourseDirectory.db_url=sqlite:///{plain / 'gradebook.db'}"], plain)  # fmt: skip
        counts = [len(list((d / "autograded").glob(f"*/{A}/{A}.ipynb"))) for d in (ours, plain)]
    print(f"graded notebooks: course {counts[0]}, plain nbgrader {counts[1]} (of {n})")
    print(
        f"class of {n} ps2 submissions: course autograde {t:.1f} s ({t / n:.2f} s each), "
        f"plain nbgrader {base:.1f} s ({base / n:.2f} s each)"
    )
    met = "MET" if t / base <= 0.5 else "MISSED"
    print(f"RATIO class_autograde_vs_plain_nbgrader = {t / base:.2f} (sandbox + trusted checks + "
          f"Dask vs serial plain nbgrader, same class; target <= 0.5: {met})")  # fmt: skip
    print(f"RATIO class_autograde_seconds_per_submission = {t / n:.2f} (projected 800 students x 3 "
          f"assignments on this machine: {t / n * 2400 / 60:.0f} min)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
