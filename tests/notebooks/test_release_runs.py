"""An untouched problem set runs to the end under "Restart Kernel and Run All": a student who has
answered only the first questions still sees every later check (each scores 0 and says why)
instead of a traceback that stops the notebook, and no locked cell needs an unlocked one to have
run first."""

from __future__ import annotations

import nbformat
import pytest
from grading_helpers import (
    PS3,  # the registry's ids
    release_path,
)
from nbclient import NotebookClient

RUN_TO_THE_END = [PS3]


@pytest.mark.parametrize("assignment", RUN_TO_THE_END)
def test_untouched_release_runs_to_the_end(assignment, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(release_path(assignment), 4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(release_path(assignment).parent)}})  # fmt: skip
    client.execute()  # raises CellExecutionError at the first cell that fails
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert not errors


def test_a_locked_cell_stands_on_its_own():
    """The digits-curve cell of ps3 defines what it uses (it used to need an ungraded cell)."""
    nb = nbformat.read(release_path(PS3), 4)
    curve = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "digits_curve"
    )
    setup = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    ns: dict = {}
    exec(compile(setup.source, "<setup>", "exec"), ns)
    ns["fit_digits"] = lambda x, y, seed=0: (_ for _ in ()).throw(NotImplementedError())
    exec(compile(curve.source, "<digits_curve>", "exec"), ns)  # no NameError, no traceback
