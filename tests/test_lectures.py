"""Every lecture runs top to bottom in a fresh kernel, and is committed without outputs."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

LECTURES = Path(__file__).resolve().parents[1] / "lectures"
EXPECTED = [
    "01_modules_and_graphs",
    "02_chain_rule",
    "03_backprop_mlp",
    "04_activations_saturation",
    "05_softmax_cross_entropy",
    "06_your_own_module",
    "07_training",
    "08_more_modules",
]
# The whole set must stay well under 3 minutes on 2 cores; one notebook gets a generous share.
PER_NOTEBOOK_TIMEOUT = 120


def test_all_lectures_exist_and_readme_maps_them():
    found = sorted(p.stem for p in LECTURES.glob("*.ipynb"))
    assert found == EXPECTED, f"lectures/ holds {found}; expected {EXPECTED}"
    readme = (LECTURES / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"{name}.ipynb" in readme, f"lectures/README.md does not link {name}.ipynb"


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_without_outputs(name):
    nb = nbformat.read(LECTURES / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{name}: cells {dirty} have outputs or execution counts; clear them"


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_lecture_runs_top_to_bottom(name, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    nb = nbformat.read(LECTURES / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        nb,
        timeout=PER_NOTEBOOK_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(LECTURES)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:  # show the failing cell's traceback, not nbclient's wrapper
        pytest.fail(f"{name} failed:\n{exc}", pytrace=False)
    elapsed = time.perf_counter() - start
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"{name}: error outputs {errors}"
    # A loose guard, not a benchmark: it catches a lecture that grew a long training run.
    assert elapsed < PER_NOTEBOOK_TIMEOUT, f"{name} took {elapsed:.0f}s"
