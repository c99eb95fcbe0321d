"""Formgrader shows, under each written answer, the model answer and rubric from solutions/.

The grader reads them beside the student's text; the student never sees them: they are never
written into a notebook, only into formgrader's page (feedback pages are left alone).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_markdown_cell
from traitlets import Bool, Unicode

from ..cellmeta import nbgrader_meta

_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def model_answers(source_notebook: Path) -> dict[str, str]:
    """grade_id → the solution region (model answer and rubric) of each written answer cell."""
    out = {}
    for cell in json.loads(source_notebook.read_text(encoding="utf-8"))["cells"]:
        meta = nbgrader_meta(cell)
        if cell["cell_type"] == "markdown" and meta.get("solution") and meta.get("grade"):
            found = _REGION.findall("".join(cell["source"]))
            if found:
                out[meta["grade_id"]] = "\n".join(f.strip() for f in found)
    return out


def rubric_cell(grade_id: str, text: str):  # noqa: ANN201 (an nbformat NotebookNode)
    """A markdown cell holding ``text`` in a marked box, for the grader's eyes."""
    source = (
        '<div class="course-rubric">\n\n'
        "**For the grader:** the model answer and rubric (from `solutions/`; not in the "
        "student's feedback).\n\n"
        f"{text}\n\n</div>"
    )
    return new_markdown_cell(source, metadata={"course": {"rubric_for": grade_id}})


class RubricBeside(Preprocessor):
    """On a formgrader page, insert the rubric box after every written answer it has one for."""

    # nbconvert's preprocessors start disabled; nbgrader registers its list without enabling.
    enabled = Bool(True).tag(config=True)

    course_dir = Unicode("", help="the course directory (default: the working directory)").tag(
        config=True
    )
    source_directory = Unicode("solutions", help="where the source notebooks are").tag(config=True)

    def preprocess(self, nb, resources):  # noqa: ANN001, D102 (nbconvert's API)
        # Formgrader's page passes submission_id; nbgrader's feedback passes resources["nbgrader"].
        if "submission_id" not in resources or "nbgrader" in resources:
            return nb, resources
        a, n = resources["assignment_id"], resources["notebook_id"]
        src = Path(self.course_dir or ".") / self.source_directory / a / f"{n}.ipynb"
        answers = model_answers(src) if src.is_file() else {}
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            gid = nbgrader_meta(cell).get("grade_id")
            if cell.cell_type == "markdown" and gid in answers:
                cells.append(rubric_cell(gid, answers[gid]))
        nb.cells = cells
        return nb, resources
