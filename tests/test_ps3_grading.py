"""ps3 checks in-process: the solution earns full marks on visible and hidden data, the untouched
release earns 0, and each wrong submission loses the expected points with the expected message."""

from __future__ import annotations

import contextlib
import io

import nbformat
import pytest
from fixtures.ps3_submissions import FIXTURES
from ps2_helpers import ROOT, apply_fixture, grade_id, graded_cells

from course.grading import ps3

SOURCE = ROOT / "solutions" / "ps3_training" / "ps3_training.ipynb"
RELEASE = ROOT / "assignments" / "ps3_training" / "ps3_training.ipynb"
NB = nbformat.read(SOURCE, 4)
CELLS = graded_cells(NB)  # grade_id → (visible call, hidden call without "_g.", points)
CHECKS = {k: getattr(ps3, k) for k in dir(ps3) if k.startswith("check_")}


def solution_namespace(nb) -> dict:
    """Run the setup and answer cells the way a kernel would (a failing cell is skipped)."""
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
            value = eval(call, {**ns, **CHECKS, "ps3": ps3, "_g": ps3})
        except NameError:  # the function was never defined: the kernel scores the cell 0
            value = 0.0
    assert err.getvalue() == "", f"{call} wrote to stderr: {err.getvalue()!r}"
    return value, out.getvalue()


def test_cells_and_points():
    assert {g: p for g, (_, _, p) in CELLS.items()} == {
        "build_mlp_test": 3, "network_gradcheck_test": 3, "momentum_sgd_test": 3,
        "train_epochs_test": 4, "fit_digits_test": 3,
    }  # fmt: skip
    written = [c for c in NB.cells if c.cell_type == "markdown"
               and c.metadata.get("nbgrader", {}).get("grade")]  # fmt: skip
    assert len(written) == 1 and written[0].metadata.nbgrader["points"] == 4
    assert "Rubric" in written[0].source


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
    for secret in ("BEGIN HIDDEN TESTS", "Rubric", "BEGIN SOLUTION", "hidden=True"):
        assert secret not in text
    ns = solution_namespace(release)
    for gid, (visible, hidden, _) in CELLS.items():
        for call in (visible, hidden):
            value, report = score(call, ns)
            assert value == 0.0, (gid, call, report)


@pytest.mark.parametrize("name", list(FIXTURES))
def test_wrong_submission_loses_the_expected_points(name):
    fixture = FIXTURES[name]
    ns = solution_namespace(apply_fixture(NB, fixture))
    for gid, (visible, hidden, points) in CELLS.items():
        if gid == "fit_digits_test" and gid not in fixture["scores"]:
            continue  # trains twice (~1 s); the fixtures that change the outcome list it
        want = fixture["scores"].get(gid, points)
        pair = want if isinstance(want, tuple) else (want, want)
        for call, expected in zip((visible, hidden), pair, strict=True):
            value, report = score(call, ns)
            assert value == expected, f"{name} {call}: got {value}, want {expected}\n{report}"
            for phrase in fixture.get("messages", {}).get(gid, []):
                assert phrase in report, f"{name} {call}: {phrase!r} missing from\n{report}"


def test_the_right_update_rule_is_the_library_sgd():
    """The rule the SGD check compares against agrees with course.optim.SGD (with momentum)."""
    import numpy as np

    from course.grading.ps3_training import _RULES, _rule_path, _tiny_net
    from course.optim import SGD

    rng = np.random.default_rng(0)
    grads = [[rng.standard_normal(a.shape) for a in _tiny_net().params.values()] for _ in range(3)]
    net = _tiny_net()
    opt = SGD(net, 0.2, 0.7)
    for gs in grads:
        for slot, g in zip(net.grads.values(), gs, strict=True):
            slot[...] = g
        opt.step()
    final = np.concatenate([a.ravel() for a in net.params.values()])
    assert np.allclose(_rule_path(_RULES["right"], 0.2, 0.7, grads)[-1], final)
