"""ps1 checks in-process: the solution earns full marks on visible and hidden data, the untouched
release earns 0, and each wrong submission loses the expected points with the expected message."""

from __future__ import annotations

import contextlib
import io

import nbformat
import pytest
from fixtures.ps1_submissions import FIXTURES
from ps2_helpers import ROOT, apply_fixture, grade_id, graded_cells

from course.grading import ps1

SOURCE = ROOT / "solutions" / "ps1_chain_rule" / "ps1_chain_rule.ipynb"
RELEASE = ROOT / "assignments" / "ps1_chain_rule" / "ps1_chain_rule.ipynb"
NB = nbformat.read(SOURCE, 4)
CELLS = graded_cells(NB)  # grade_id → (visible call, hidden call without "_g.", points)
CHECKS = {k: getattr(ps1, k) for k in dir(ps1) if k.startswith("check_")}


def solution_namespace(nb) -> dict:
    """Run the notebook's answer cells (and the setup) the way a kernel would; a failing cell is
    skipped, as a student's broken cell would be."""
    ns: dict = {"__name__": "__main__"}
    for c in nb.cells:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if c.cell_type == "code" and grade_id(c) and not meta.get("grade"):
            with contextlib.suppress(Exception):
                exec(compile(c.source, f"<cell {grade_id(c)}>", "exec"), ns)
    return ns


def score(call: str, ns: dict) -> tuple[float, str]:
    """Evaluate a check call; return (points, report). Nothing may reach stderr (nbgrader: 0)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            value = eval(call, {**ns, **CHECKS, "ps1": ps1, "_g": ps1})
        except NameError:  # the function was never defined: the kernel scores the cell 0
            value = 0.0
    assert err.getvalue() == "", f"{call} wrote to stderr: {err.getvalue()!r}"
    return value, out.getvalue()


def test_cells_and_points():
    assert {g: p for g, (_, _, p) in CELLS.items()} == {
        "chain_check": 2, "dag_check": 2, "central_check": 2, "sigmoid_check": 2.5,
        "tanh_check": 2.5, "softmax_check": 3, "ce_check": 2, "grad_check": 3,
    }  # fmt: skip
    written = [c for c in NB.cells if c.cell_type == "markdown"
               and c.metadata.get("nbgrader", {}).get("grade")]  # fmt: skip
    assert len(written) == 1 and written[0].metadata.nbgrader["points"] == 5
    # the rubric (stripped from the release) names the slide error it must not accept
    assert "Rubric" in written[0].source and "slide error" in written[0].source


def test_solution_scores_full_marks_visible_and_hidden():
    ns = solution_namespace(NB)
    for gid, (visible, hidden, points) in CELLS.items():
        for call in (visible, hidden):
            value, report = score(call, ns)
            assert type(value) is float and value == points, (gid, call, report)
            assert "✗" not in report


def test_untouched_release_scores_zero_and_hides_solutions():
    release = nbformat.read(RELEASE, 4)
    text = "\n".join(c.source for c in release.cells)
    for secret in ("BEGIN HIDDEN TESTS", "Rubric", "BEGIN SOLUTION", "seed=1"):
        assert secret not in text
    ns = solution_namespace(release)
    for gid, (visible, hidden, _) in CELLS.items():
        for call in (visible, hidden):
            value, report = score(call, ns)
            assert value == 0.0, (gid, call, report)
            assert "NotImplementedError" in report


@pytest.mark.parametrize("name", list(FIXTURES))
def test_wrong_submission_loses_the_expected_points(name):
    fixture = FIXTURES[name]
    ns = solution_namespace(apply_fixture(NB, fixture))
    for gid, (visible, hidden, points) in CELLS.items():
        want = fixture["scores"].get(gid, points)
        for call in (visible, hidden):
            value, report = score(call, ns)
            assert value == want, f"{name} {call}: got {value}, want {want}\n{report}"
            for phrase in fixture.get("messages", {}).get(gid, []):
                assert phrase in report, f"{name} {call}: {phrase!r} missing from\n{report}"


def test_hidden_reports_do_not_quote_their_inputs():
    fixture = FIXTURES["chain: innermost factor 2 dropped"]
    ns = solution_namespace(apply_fixture(NB, fixture))
    _, visible_report = score(CELLS["chain_check"][0], ns)
    ns_ok = solution_namespace(
        apply_fixture(
            NB,
            {
                "replace": [
                    ("return np.exp(v) * np.cos(u) * 2", "return np.exp(v) * np.cos(u) * 2.5")
                ]
            },
        )
    )
    _, hidden_report = score(CELLS["chain_check"][1], ns_ok)
    _, shown = score(CELLS["chain_check"][0], ns_ok)
    assert "expected [" in shown and "x = [" in shown  # visible runs quote the values
    assert "expected" not in hidden_report and "x = " not in hidden_report
    assert "innermost edge" in visible_report
