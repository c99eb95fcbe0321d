"""Record graded notebooks in the gradebook, in the instructor's process only, with nbgrader's code.

This is what ``nbgrader autograde`` does around its Execute step, done here so that a class is
recorded as the Dask workers finish (in one process, one notebook at a time) instead of in a
second serial pass: the student and submission rows (with the submission's timestamp), nbgrader's
own sanitizing steps before grading (:func:`sanitize`), and its own steps after it
(``LimitOutput``, ``SaveAutoGrades``, ``AssignLatePenalties``, ...), configured from the course's
nbgrader_config.py. The autograded notebook goes where nbgrader puts it, so ``nbgrader
generate_feedback`` and formgrader work on the result as on nbgrader's own.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import nbformat
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader


def course_config(course_dir: Path) -> Config:
    """The course's nbgrader_config.py, as nbgrader's apps would load it."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()


def _resources(assignment: str, student: str, db_url: str) -> dict:
    return {"nbgrader": {"notebook": assignment, "assignment": assignment, "student": student,
                         "db_url": db_url, "course_id": ""}}  # fmt: skip


def sanitize(
    nb: Any, assignment: str, student: str, db_url: str, config: Config | None = None
) -> Any:
    """The notebook as nbgrader's autograde hands it to its Execute step (its own preprocessors:
    outputs cleared, duplicate ids dropped, locked and test cells restored from the gradebook)."""
    from nbgrader.converters import Autograde

    resources = _resources(assignment, student, db_url)
    for step in Autograde.class_traits()["sanitize_preprocessors"].default():
        nb, resources = step(config=config or Config())(nb, resources)  # honours `enabled`
    return nb


def after_execute(config: Config | None = None) -> list[type]:
    """nbgrader's autograde steps after Execute (saving grades, late penalties, ...)."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    steps = Autograde.class_traits()["autograde_preprocessors"].default()
    return steps[steps.index(Execute) + 1 :]


def record(course_dir: Path, submitted: Path, assignment: str, student: str, graded: Any,
           db_url: str, config: Config | None = None) -> Path:  # fmt: skip
    """Write ``student``'s graded notebook to autograded/ and its grades to the gradebook."""
    from nbgrader.coursedir import CourseDirectory

    folder = Path(submitted) / student / assignment
    timestamp = CourseDirectory().get_existing_timestamp(str(folder))
    with warnings.catch_warnings():  # SQLAlchemy's notes on nbgrader's own session use
        warnings.simplefilter("ignore")
        return _record(course_dir, folder, assignment, student, graded, db_url, config, timestamp)


def _record(course_dir: Path, folder: Path, assignment: str, student: str, graded: Any,
            db_url: str, config: Config | None, timestamp: Any) -> Path:  # fmt: skip
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        gb.update_or_create_student(student)
        if timestamp:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
    resources = _resources(assignment, student, db_url)
    nb = graded
    for step in after_execute(config):
        nb, resources = step(config=config or Config())(nb, resources)  # honours `enabled`
    dest = Path(course_dir) / "autograded" / student / assignment
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    source = Path(course_dir) / "solutions" / assignment
    for f in source.rglob("*"):  # the instructor's other files, as nbgrader copies them
        if f.is_file() and f.suffix != ".ipynb" and ".ipynb_checkpoints" not in f.parts:
            (dest / f.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest / f.relative_to(source))
    if (folder / "timestamp.txt").is_file():
        shutil.copy2(folder / "timestamp.txt", dest / "timestamp.txt")
    nbformat.write(nb, dest / f"{assignment}.ipynb")
    return dest
