"""ps1 checks in-process: the solution earns full marks on visible and hidden data, the untouched
release earns 0, and each wrong submission loses the expected points with the expected message
(``trusted_only`` fixtures, which only the sandbox can grade, are in test_trusted_ps1.py)."""

from __future__ import annotations

import nbformat
import pytest
from grading_helpers import (
    answer_namespace,
    apply_fixture,
    assert_fixture_points,
    assert_full_marks,
    assert_release_scores_zero,
    graded_cells,
    load_fixtures,
    release_path,
    score,
    source_path,
    written_items,
)

from course.grading import ps1

FIXTURES = load_fixtures("ps1")
NB = nbformat.read(source_path("ps1_chain_rule"), 4)
CELLS = graded_cells(NB)  # grade_id → (visible call, hidden call without "_g.", points)


def test_cells_and_points():
    assert {g: p for g, (_, _, p) in CELLS.items()} == {
        "chain_check": 2, "dag_check": 2, "central_check": 2, "sigmoid_check": 2.5,
        "tanh_check": 2.5, "softmax_check": 3, "ce_check": 2, "grad_check": 3,
    }  # fmt: skip
    written = written_items(NB)
    assert len(written) == 1 and written[0].metadata.nbgrader["points"] == 5
    # the rubric (stripped from the release) names the slide error it must not accept
    assert "Rubric" in written[0].source and "slide error" in written[0].source


def test_solution_scores_full_marks_visible_and_hidden():
    assert_full_marks(NB, ps1)


def test_untouched_release_scores_zero_and_hides_solutions():
    secrets = ("BEGIN HIDDEN TESTS", "Rubric", "BEGIN SOLUTION", "seed=1")
    assert_release_scores_zero(
        nbformat.read(release_path("ps1_chain_rule"), 4), CELLS, ps1, secrets
    )


@pytest.mark.parametrize("name", [n for n, f in FIXTURES.items() if not f.get("trusted_only")])
def test_wrong_submission_loses_the_expected_points(name):
    assert_fixture_points(NB, CELLS, ps1, name, FIXTURES[name])


def test_hidden_reports_do_not_quote_their_inputs():
    fixture = FIXTURES["chain: innermost factor 2 dropped"]
    ns = answer_namespace(apply_fixture(NB, fixture))
    _, visible_report = score(CELLS["chain_check"][0], ns, ps1)
    ns_ok = answer_namespace(
        apply_fixture(
            NB,
            {
                "replace": [
                    ("return np.exp(v) * np.cos(u) * 2", "return np.exp(v) * np.cos(u) * 2.5")
                ]
            },
        )
    )
    _, hidden_report = score(CELLS["chain_check"][1], ns_ok, ps1)
    _, shown = score(CELLS["chain_check"][0], ns_ok, ps1)
    assert "expected [" in shown and "x = [" in shown  # visible runs quote the values
    assert "expected" not in hidden_report and "x = " not in hidden_report
    assert "innermost edge" in visible_report
