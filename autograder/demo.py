"""The whole instructor cycle on sample students, in a throwaway course directory.

``python -m autograder demo`` (``make demo``) copies the course, releases every problem set, hands
in a solved, an untouched and (for ps2) a two-bug notebook, autogrades, writes feedback and prints
the grade table. The helpers that build those submissions are the same ones the tests use.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat

from .cellmeta import grade_id, is_answer
from .commands import ROOT, assignments, autograde, feedback, grade_table, grades, release


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
    answers = {grade_id(c): c.source for c in src.cells if is_answer(c)}
    for c in rel.cells:
        gid = grade_id(c)
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
        buggy = _demo_mistakes(solved_notebook(dest, a))
        if buggy != solved_notebook(dest, a):  # the problem set that has these two lines (ps2)
            submit(dest, "cy_two_bugs", a, buggy)
    autograde(dest, db_url=db)
    feedback(dest, db_url=db)
    grades(dest, db_url=db)
    print(f"demo course directory (feedback/ has the students' HTML): {dest}")
    return grade_table(dest, db)
