"""ps3 through the real sandbox: the student's own check and the autograder agree, and the check
design holds (issue 9).

For the solution, the untouched release and every fixture of wrong answers, each graded item's
call, visible and hidden, earns the same score with the same report in-process (the student's
kernel, where the checks get the real objects) and trusted (the grader's process, where they get
stand-ins for objects in the bubblewrap sandbox and build what they hand over on the student's
side). One sandbox per notebook: its cells run once, then every test call is scored against it.
The digits check computes its data (held-out test rows included) on the grader's side in both
runs, so the hidden run agrees too; the sandbox's copy of the digits lacks the held-out rows.

``trusted_only`` fixtures use what only the student's kernel has (course.optim); they are checked
against their expected scores and messages, through the sandbox only.

Then the attacks on the check design, each through ``trusted_run`` (a fresh sandbox, the test
cell's visible and hidden call): a network_gradcheck that returns a constant, one that answers by
parameter name, one that reads the planted penalties; a fit_digits that looks the labels up in
the sandbox's course.data; one that fakes the clock. All score 0.
"""

from __future__ import annotations

import gzip
import io
import re

import nbformat
import numpy as np
import pytest
from grading_helpers import (
    PS3,  # the registry's ids
    answer_namespace,
    apply_fixture,
    assert_kernel_and_autograder_agree,
    grade_id,
    graded_cells,
    load_fixtures,
    release_path,
    score,
    source_path,
)

from autograder.engine.runner import (
    code_cells,
    is_test_cell,
    library_for,
    run_cell,
    trusted_run,
)
from autograder.engine.session import Session
from course.data import digits_raw, load_digits
from course.grading import ps3
from course.grading.ps3 import digits, network

ASSIGNMENT = PS3
FIXTURES = load_fixtures("ps3")
NB = nbformat.read(source_path(ASSIGNMENT), 4)
CELLS = graded_cells(NB)  # grade_id → (visible call, hidden call, points)

# Right answers that cross the channel differently from a call in the same process: 0-d arrays
# for errors, NumPy ufuncs writing in place, an array of losses, a model without its losses.
CHANNEL = [
    [
        "name: rel_error(analytic[name], numerical_gradient(loss, p, eps))",
        "name: np.asarray(rel_error(analytic[name], numerical_gradient(loss, p, eps)))",
    ],
    ["p -= self.lr * v", "np.subtract(p, self.lr * v, out=p)"],
    [
        "losses.append(loss_fn(model(x[idx]), y[idx]))",
        "losses.append(loss_fn.forward(model.forward(x.take(idx, axis=0)), y[idx]))",
    ],
    ["history.append(float(np.mean(losses)))", "history.append(np.mean(losses))"],
    ["    return history\n", "    return np.array(history)\n"],
    ["    return model, losses\n", "    return model\n"],
]
# A mistake that fails inside the grader's own probe objects (a 1-D row reaches the model):
# the message and where it happened must read the same on both sides.
ONE_ROW = [["idx = order[start : start + batch_size]", "idx = order[start]"]]

NOTEBOOKS = {
    "solution": (lambda: NB, {}),
    "release": (lambda: nbformat.read(release_path(ASSIGNMENT), 4), {}),
    **{f"fixture {n}": (lambda f=f: apply_fixture(NB, f), f) for n, f in FIXTURES.items()},
    "channel": (lambda: apply_fixture(NB, {"replace": CHANNEL}), {}),
    "one row per batch": (lambda: apply_fixture(NB, {"replace": ONE_ROW}), {}),
}


def test_every_item_and_fixture_is_covered():
    assert len(CELLS) == 5 and all("hidden=True" in h for _, h, _ in CELLS.values())
    assert {f"fixture {n}" for n in FIXTURES} <= set(NOTEBOOKS)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_student_check_and_autograder_agree(name):
    build, fixture = NOTEBOOKS[name]
    assert_kernel_and_autograder_agree(build(), fixture, ASSIGNMENT, CELLS, ps3)


# --- the attacks on the check design --------------------------------------------------------------
def with_answer(cell_id: str, source: str) -> nbformat.NotebookNode:
    """The solution with one answer cell replaced."""
    nb = nbformat.read(source_path(ASSIGNMENT), 4)
    cell = next(c for c in nb.cells if grade_id(c) == cell_id)
    cell.source = source
    return nb


def graded(nb: nbformat.NotebookNode, test_id: str) -> tuple[float, str]:
    """(score, report) of one test cell, visible and hidden call, the way autograde runs it."""
    sources = [c.source for _, c in code_cells(nb) if not is_test_cell(c)]
    cell = next(c for c in nb.cells if grade_id(c) == test_id)
    report, value = trusted_run(ASSIGNMENT, sources, cell.source, cell.metadata.nbgrader.points)
    return value, report


def item_scores(report: str) -> list[str]:
    """The "N / M points" of each call in a report (visible first)."""
    return re.findall(r"^\S.*: (\S+) / \S+ points$", report, re.M)


CONSTANT = """
def network_gradcheck(model, loss_fn, x, labels, eps=1e-6):
    return {name: VALUE for name in model.params}
"""
BY_NAME = """
def network_gradcheck(model, loss_fn, x, labels, eps=1e-6):
    guess = {"0.bias": 0.05, "2.weight": 0.3}  # large errors for some names, tiny for the rest
    return {name: guess.get(name, 1e-10) for name in model.params}
"""
# Finds the planted penalties (it reads the layers' private state) but guesses their size.
BY_PLANT = """
def network_gradcheck(model, loss_fn, x, labels, eps=1e-6):
    out = {}
    for i, layer in enumerate(model.layers):
        extra = getattr(layer, "_extra", {})
        for key in layer.params:
            out[f"{i}.{key}"] = 0.05 if extra.get(key) else 1e-10
    return out
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "source",
    [CONSTANT.replace("VALUE", v) for v in ("0.0", "1e-10", "0.5")] + [BY_NAME, BY_PLANT],
    ids=["constant 0", "constant 1e-10", "constant 0.5", "by parameter name", "by planted state"],
)
def test_a_gradient_check_that_computes_nothing_scores_zero(source):
    value, report = graded(with_answer("network_gradcheck", source), "network_gradcheck_test")
    assert value == 0.0 and item_scores(report) == ["0", "0"], report


def test_the_gradient_check_asks_for_the_true_errors_whatever_the_seed():
    """Wrong gradients are where the seed puts them, with errors of the sizes it draws; every
    other parameter is right. No single guess is within a factor 3 of both wrong ones."""
    seen = []
    for seed in (None, 32, 1, 2, 3):
        for case in network._cases(seed).values():
            truth = network.true_errors(case)
            assert {k for k, t in truth.items() if t >= network.TINY} == set(case.extra)
            assert all(t < 1e-8 for k, t in truth.items() if k not in case.extra)
            wrong = sorted(truth[k] for k in case.extra)
            assert all(2e-4 < t < 0.5 for t in wrong)
            if wrong:
                assert wrong[1] / wrong[0] > network.FACTOR**2
                seen.append((sorted(case.extra), round(wrong[1], 6)))
    assert len({errors for _, errors in seen}) == len(seen)  # the sizes change with the seed
    assert len({tuple(names) for names, _ in seen}) > 3  # and so do the wrong parameters


# A fit_digits that answers the test labels by looking them up: it reproduces course.data's
# seeded splits of the digits (the visible one is load_digits()) and memorises every test row.
LOOKUP = """
from course.data import digits_raw, train_test_split


class _Lookup:
    params, grads = {}, {}

    def __init__(self, table):
        self.table = table

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        out = np.zeros((len(x), 10))
        for i, row in enumerate(np.asarray(x)):
            out[i, self.table.get(np.round(row, 6).tobytes(), 0)] = 1.0
        return out


def fit_digits(x_train, y_train, seed=0):
    pixels, labels = digits_raw()
    table = {}
    for s in range(10):
        split = train_test_split(pixels, labels, 0.25, s, True, n_classes=10)
        for xs, ys in ((split.x_train, split.y_train), (split.x_test, split.y_test)):
            table.update({np.round(r, 6).tobytes(): int(y) for r, y in zip(xs, ys)})
    return _Lookup(table), [1.0]
"""


@pytest.mark.slow
def test_a_fit_digits_that_looks_the_labels_up_scores_zero():
    nb = with_answer("fit_digits", LOOKUP)
    # In the student's own kernel the whole data set is there, and the lookup works...
    ns = answer_namespace(nb)
    visible, _, _ = CELLS["fit_digits_test"]
    assert score(visible, ns, ps3)[0] == 3.0
    # ... in the sandbox the held-out rows are missing, and it earns nothing.
    value, report = graded(nb, "fit_digits_test")
    assert value == 0.0 and item_scores(report) == ["0", "0"], report


def test_the_sandbox_digits_lack_exactly_the_held_out_rows():
    x, y = digits_raw()
    held = digits.held_out(len(y))
    table = np.loadtxt(io.StringIO(gzip.decompress(digits.sandbox_file()).decode()), delimiter=",")
    kept = np.setdiff1d(np.arange(len(y)), held)
    assert np.array_equal(table[:, :-1], x[kept]) and np.array_equal(table[:, -1], y[kept])
    # The visible check is load_digits() exactly; every test row, visible or hidden, is held out.
    visible, split = digits.split(None), load_digits()
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(visible, name), getattr(split, name))

    def rows(pixels: np.ndarray) -> list[bytes]:
        return [r.tobytes() for r in np.rint(pixels).astype(np.int64)]

    raw = set(rows(x[held]))
    for seed in (None, 7, 11):
        s = digits.split(seed)
        pixels = s.x_test * s.std + s.mean
        if seed is not None:  # the hidden check's secret order of the pixels, undone
            pixels = pixels[:, np.argsort(digits.secret(seed)[0])]
        test = rows(pixels)
        assert set(test) <= raw and len(test) == len(s.y_test)
        assert len(s.y_train) + len(s.y_test) <= len(y)


@pytest.mark.slow
def test_the_notebook_loads_the_reduced_digits_in_the_sandbox():
    """The notebook's own load_digits() cells still run there, on the rows that are left."""
    with Session(library_for(ASSIGNMENT)) as session:
        outputs = run_cell(
            session,
            "from course.data import load_digits\n"
            "d = load_digits()\nprint(len(d.y_train) + len(d.y_test), d.x_train.shape[1])",
            60.0,
        )
    assert [o.get("text") for o in outputs] == ["1348 64\n"], outputs


# Trains for longer than the budget, then makes every clock of its process report a short time.
FAKE_CLOCK = """
import time as _time

_REAL = {name: getattr(_time, name) for name in ("perf_counter", "time", "monotonic")}


def fit_digits(x_train, y_train, seed=0):
    started = {name: clock() for name, clock in _REAL.items()}
    model = build_mlp([64, 64, 10], "relu", seed)
    optimizer = MomentumSGD(model, lr=0.05, momentum=0.9)
    losses = train_epochs(model, SoftmaxCrossEntropy(), optimizer, x_train, y_train,
                          epochs=10, batch_size=32, rng=np.random.default_rng(seed))
    _time.sleep(2.5)
    for name in _REAL:
        setattr(_time, name, lambda t=started[name]: t + 0.01)
    return model, losses
"""


@pytest.mark.slow
def test_the_training_time_is_the_graders_clock(monkeypatch):
    monkeypatch.setattr(ps3.training, "TIME_BUDGET", 2.0)  # the grader's budget, in this process
    value, report = graded(with_answer("fit_digits", FAKE_CLOCK), "fit_digits_test")
    assert value == 2.0 and item_scores(report) == ["2", "2"], report
    assert len(re.findall(r"training took \d+ s; the budget is 2 s", report)) == 2, report
