"""ps1 checks in-process: the solution earns full marks on visible and hidden data, the untouched
release earns 0, and each wrong submission loses the expected points with the expected message
(``trusted_only`` fixtures, which only the sandbox can grade, are in test_trusted_ps1.py)."""

from __future__ import annotations

import nbformat
import pytest
from grading_helpers import (
    PS1,  # the registry's ids
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
from nbclient import NotebookClient

from course.grading import ps1

FIXTURES = load_fixtures("ps1")
NB = nbformat.read(source_path(PS1), 4)
CELLS = graded_cells(NB)  # grade_id → (visible call, hidden call without "_g.", points)


def test_cells_and_points():
    assert {g: p for g, (_, _, p) in CELLS.items()} == {
        "chain_check": 2, "dag_check": 2, "backward_check": 3, "central_check": 2, "sigmoid_check": 2.5,
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
    assert_release_scores_zero(nbformat.read(release_path(PS1), 4), CELLS, ps1, secrets)


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


def test_untouched_release_runs_to_the_end(monkeypatch):
    """ "Restart Kernel and Run All" on the release as handed out: no cell raises (the ungraded
    cells that use unfinished answers say so instead), and every check cell shows its 0 points
    and the NotImplementedError it met, so a student who stops halfway still sees every check."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    path = release_path(PS1)
    nb = nbformat.read(path, 4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
    text = {i: "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")
            for i, c in enumerate(nb.cells) if c.cell_type == "code"}  # fmt: skip
    checks = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")
              and c.cell_type == "code"]  # fmt: skip
    assert len(checks) == len(CELLS)
    for i in checks:
        assert ": 0 / " in text[i] and "NotImplementedError" in text[i], text[i]
        assert nb.cells[i].outputs[-1]["data"]["text/plain"] == "0.0"
    friendly = [t for i, t in text.items() if "then run this cell again" in t]
    assert len(friendly) == 3, text  # question 1-2's comparison, backward's demo, the gradient


@pytest.mark.parametrize("point", [(0.4, 0.8, -0.6), (-1.1, 0.3, 0.9)])
def test_backward_graphs_agree_with_autograd_and_central_differences(point):
    """The graphs question 3 grades on: the reference Value.backward gives the leaves the
    gradients of an independent autodiff (autograd) and of central differences."""
    import autograd
    import autograd.numpy as anp

    from course.grading.ps1 import build
    from course.scalar import topological_order

    x, w, _ = point
    cases = [
        (build.chain_graph, lambda t: anp.exp(anp.tanh(3 * t[0])), [x]),
        (
            build.fanout_graph,
            lambda t: t[0] * t[1] * anp.tanh(t[0] * t[1]) + anp.exp(anp.tanh(t[0] * t[1])),
            [x, w],
        ),  # fmt: skip
        (build.order_graph, lambda t: anp.exp(anp.tanh(t[0] ** 2)) * t[0] ** 2, [x]),
    ]
    for recipe, f, leaves in cases:
        root = recipe(*leaves)
        root.backward()
        got = [v.grad for v in topological_order(root) if v.label in ("x", "w")]
        want = autograd.grad(f)(anp.array(leaves))
        eps, t = 1e-6, anp.array(leaves)
        numeric = [(f(t + eps * e) - f(t - eps * e)) / (2 * eps) for e in anp.eye(len(leaves))]
        assert abs(root.data - f(t)) < 1e-12
        assert anp.allclose(got, want, rtol=1e-12, atol=1e-12), (recipe.__name__, got, want)
        assert anp.allclose(got, numeric, rtol=1e-7, atol=1e-9), (recipe.__name__, got, numeric)
