"""nbgrader's Execute step, with one rule for which cells the autograder skips.

Display-only cells (plots and explorers that help the student but earn no points) are tagged
``display-only`` in the source notebook and made read-only, so at autograde nbgrader has already
restored their source from the gradebook. Skipping them saves most of an assignment's grading time
(matplotlib and ipywidgets are never imported) and changes no score: they are neither graded nor
answer cells, and no answer or check uses what they define.

nbclient also skips every cell tagged ``skip-execution``. Under nbgrader that is a hole: a test
cell that never runs has no output and no error, which nbgrader scores as *full marks*. Here the
tag is ignored, so every cell but an instructor's display-only one runs.

This module runs in the nbgrader process (nbgrader_config.py imports it), never in a kernel.
"""

from __future__ import annotations

from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Unicode

DISPLAY_ONLY = "display-only"


def is_display_only(cell: NotebookNode, tag: str = DISPLAY_ONLY) -> bool:
    """A code cell the autograder may skip: tagged ``tag``, read-only, known to the gradebook
    (it keeps its grade_id after nbgrader's OverwriteCells), and neither graded nor an answer."""
    meta = cell.get("metadata", {})
    nb = meta.get("nbgrader", {})
    return (
        cell.get("cell_type") == "code"
        and tag in meta.get("tags", [])
        and bool(nb.get("grade_id"))
        and nb.get("locked") is True
        and not nb.get("grade")
        and not nb.get("solution")
    )


class GradingExecute(Execute):
    """Execute every code cell except instructor display-only cells (see the module docstring)."""

    display_only_tag = Unicode(
        DISPLAY_ONLY, help="Tag of read-only, ungraded cells the autograder does not run."
    ).tag(config=True)

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict, index: int
    ) -> tuple[NotebookNode, dict]:
        if is_display_only(cell, self.display_only_tag):
            self.log.debug("Not running display-only cell %s", index)
            return cell, resources
        tags = cell.get("metadata", {}).get("tags", [])
        if self.skip_cells_with_tag in tags:  # nbclient would skip it, test cell or not
            cell.metadata["tags"] = [t for t in tags if t != self.skip_cells_with_tag]
        return super().preprocess_cell(cell, resources, index)
