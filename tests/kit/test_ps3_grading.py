"""ps3 checks in-process: the solution earns full marks on visible and hidden data, the untouched
release earns 0, and each wrong submission loses the expected points with the expected message."""

from __future__ import annotations

import nbformat
import pytest
from grading_helpers import (
    PS3,  # the registry's ids
    assert_fixture_points,
    assert_full_marks,
    assert_release_scores_zero,
    graded_cells,
    load_fixtures,
    release_path,
    source_path,
    written_items,
)

from course.grading import ps3

FIXTURES = load_fixtures("ps3")
NB = nbformat.read(source_path(PS3), 4)
CELLS = graded_cells(NB)  # grade_id → (visible call, hidden call without "_g.", points)


def test_cells_and_points():
    assert {g: p for g, (_, _, p) in CELLS.items()} == {
        "build_mlp_test": 3, "network_gradcheck_test": 3, "momentum_sgd_test": 3,
        "train_epochs_test": 4, "fit_digits_test": 3,
    }  # fmt: skip
    written = written_items(NB)
    assert len(written) == 1 and written[0].metadata.nbgrader["points"] == 4
    assert "Rubric" in written[0].source


def test_solution_scores_full_marks_visible_and_hidden():
    assert_full_marks(NB, ps3)


def test_untouched_release_scores_zero_and_hides_solutions():
    secrets = ("BEGIN HIDDEN TESTS", "Rubric", "BEGIN SOLUTION", "hidden=True")
    assert_release_scores_zero(nbformat.read(release_path(PS3), 4), CELLS, ps3, secrets)


@pytest.mark.parametrize("name", [n for n, f in FIXTURES.items() if not f.get("trusted_only")])
def test_wrong_submission_loses_the_expected_points(name):
    # fit_digits_test trains twice (~0.3 s); only the fixtures that change its outcome run it
    assert_fixture_points(NB, CELLS, ps3, name, FIXTURES[name], slow=("fit_digits_test",))


def test_the_right_update_rule_is_the_library_sgd():
    """The rule the SGD check compares against agrees with course.optim.SGD (with momentum)."""
    import numpy as np

    from course.grading.catalogue import MOMENTUM
    from course.grading.ps3.training import _rule_path, _tiny_net
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
    assert np.allclose(_rule_path(MOMENTUM["right"], 0.2, 0.7, grads)[-1], final)
