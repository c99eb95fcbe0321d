"""ps2 checks in-process: the solution earns full marks on visible and hidden data, every fixture
loses exactly the expected points with the expected explanation, and hidden runs leak nothing.
Also the notebook itself: prompts that leave the gradients to derive, a hand-graded derivation with
a hidden rubric whose formulas autodiff confirms, and a release that runs to the end."""

from __future__ import annotations

import copy

import autograd.numpy as anp
import nbformat
import numpy as np
import pytest
from autograd import grad
from grading_helpers import (
    PS2,  # the registry's ids
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

from course.gradcheck import numerical_gradient, rel_error
from course.grading import ps2

FIXTURES = load_fixtures("ps2")
NB = nbformat.read(source_path(PS2), 4)
CELLS = graded_cells(NB)


def test_points_metadata_matches_the_checks():
    assert {g: p for g, (_, _, p) in CELLS.items()} == {
        "linear_test": ps2.POINTS["Linear"], "relu_test": ps2.POINTS["ReLU"],
        "sigmoid_test": ps2.POINTS["Sigmoid"], "tanh_test": ps2.POINTS["Tanh"],
        "softmax_test": ps2.POINTS["Softmax"], "softmax_ce_test": ps2.POINTS["SoftmaxCrossEntropy"],
        "euclidean_test": ps2.POINTS["EuclideanLoss"], "prelu_test": ps2.POINTS["PReLU"],
    }  # fmt: skip
    written = written_items(NB)  # graded by hand in formgrader, counted as the written score
    assert [w.metadata.nbgrader["grade_id"] for w in written] == ["derivation"]
    assert written[0].metadata.nbgrader["points"] == 7
    assert "Rubric (7 points)" in written[0].source and "Model answer" in written[0].source


def test_solution_scores_full_marks_visible_and_hidden():
    assert_full_marks(NB, ps2)


@pytest.mark.parametrize("name", [n for n, f in FIXTURES.items() if not f.get("trusted_only")])
def test_fixture_loses_the_expected_points(name):
    assert_fixture_points(NB, CELLS, ps2, name, FIXTURES[name])


def test_untouched_release_scores_zero_everywhere():
    secrets = ("BEGIN HIDDEN TESTS", "Rubric", "Model answer", "BEGIN SOLUTION", "hidden=True")
    assert_release_scores_zero(nbformat.read(release_path(PS2), 4), CELLS, ps2, secrets)


# The gradient formulas the prompts used to hand out (issue 12): now the student derives them.
GIVEN_AWAY = [r"g\,W", r"g^\top x", r"\sum_n g_n", "y(1-y)", "1-y^2", r"\hat y \odot",
              r"\operatorname{diag}(\hat y)", r"(\hat y - y)/N", r"\mathbb 1[x_{nd}\le 0]",
              r"\partial a}{\partial x} = \begin"]  # fmt: skip
SHAPES = ["`(N, in)`", "`(out, in)`", "`(out,)`", "`(N, out)`", "`(N, K)`", "`(D,)`"]


def test_prompts_leave_the_gradients_to_derive_but_keep_the_shapes():
    prompts = "\n".join(c.source for c in nbformat.read(release_path(PS2), 4).cells
                         if c.cell_type == "markdown")  # fmt: skip
    assert [f for f in GIVEN_AWAY if f in prompts] == []
    assert [s for s in SHAPES if s not in prompts] == []
    assert "eight of them" in prompts and "PReLU" in prompts.split("##")[0]
    assert "np.exp(x) / (1 + np.exp(x))" in prompts  # the form that really breaks at |x| ≈ 1e3


def test_the_rubrics_formulas_agree_with_autodiff_and_finite_differences():
    """dX = g W, dW = gᵀx, db = Σₙ gₙ and Jᵀg = ŷ ⊙ (g − ⟨g, ŷ⟩) per row, as the model answer
    derives them; and in a square layer a wrong order (g Wᵀ) has the right shape but not the
    right values, as the dimension-analysis part says."""
    rng = np.random.default_rng(12)
    x, w, b = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4)
    g = rng.normal(size=(5, 4))

    def lin_loss(x, w, b):  # ℒ = ⟨g, x Wᵀ + b⟩, so ∂ℒ/∂y = g
        return anp.sum(g * (anp.dot(x, w.T) + b))

    args, mine = (x, w, b), (g @ w, g.T @ x, g.sum(axis=0))
    for i, arg in enumerate(args):
        auto = grad(lin_loss, i)(*args)
        fd = numerical_gradient(lambda t, i=i: lin_loss(*args[:i], t, *args[i + 1 :]), arg)
        assert mine[i].shape == arg.shape and rel_error(mine[i], auto) < 1e-12
        assert rel_error(mine[i], fd) < 1e-7
    square = rng.normal(size=(3, 3))
    auto = grad(lambda t: anp.sum(g[:, :3] * anp.dot(t, square.T)))(x)
    assert (g[:, :3] @ square.T).shape == auto.shape and rel_error(g[:, :3] @ square.T, auto) > 0.1

    z, gz = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))

    def sm_loss(z):
        e = anp.exp(z - anp.max(z, axis=1, keepdims=True))
        return anp.sum(gz * e / anp.sum(e, axis=1, keepdims=True))

    y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    jvp = y * (gz - (gz * y).sum(axis=1, keepdims=True))
    assert rel_error(jvp, grad(sm_loss)(z)) < 1e-12
    assert rel_error(jvp, numerical_gradient(sm_loss, z)) < 1e-7
    jac = np.diag(y[0]) - np.outer(y[0], y[0])  # the Jacobian of one row, as a matrix
    assert rel_error(jac.T @ gz[0], jvp[0]) < 1e-12
    assert rel_error(gz * y * (1 - y), jvp) > 0.1  # the diagonal alone is not enough


def test_training_loops_zero_before_the_forward_pass():
    """zero_grad, forward, backward, step: never zero_grad inside the backward loop, which would
    drop the first contribution of a layer used twice."""
    loops = [c.source for c in NB.cells if c.cell_type == "code" and "zero_grad()" in c.source]
    assert loops
    for src in loops:
        body = src[src.index("for step") :]
        assert body.index("zero_grad()") < body.index(".forward(") < body.index(".backward(")


def _run(nb: nbformat.NotebookNode) -> list[str]:
    """Execute the notebook top to bottom in a fresh kernel (as "Restart Kernel and Run All");
    return each code cell's printed text. Any error raises CellExecutionError."""
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(release_path(PS2).parent)}}
                   ).execute()  # fmt: skip
    return [
        "".join(o.get("text", "") for o in c.outputs) for c in nb.cells if c.cell_type == "code"
    ]


@pytest.mark.slow
def test_untouched_release_runs_to_the_end_and_the_solution_trains(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    printed = _run(nbformat.read(release_path(PS2), 4))
    assert sum("then run this cell again" in p for p in printed) == 3  # the three ungraded cells
    assert printed[-1].startswith("Finish Linear, Tanh and SoftmaxCrossEntropy first")
    reports = [p.splitlines()[0] for p in printed if p.split("\n")[0].endswith(" points")]
    assert len(reports) == len(CELLS) and all(": 0 / " in r for r in reports), reports
    losses = [float(t.split("loss ")[1]) for t in _run(copy.deepcopy(NB))[-1].splitlines()]
    assert len(losses) == 6 and losses[-1] < 0.75 * losses[0]


def test_hidden_reports_never_quote_hidden_shapes_or_values():
    """A wrong-shape answer and a crash: visible runs may show shapes, hidden runs must not."""
    ns = answer_namespace(apply_fixture(NB, FIXTURES["transposed_weight_grad"]))
    _, hidden, _ = CELLS["linear_test"]
    _, report = score(hidden, ns, ps2)
    assert "(5, 3)" not in report and "(3, 5)" not in report and "2718" not in report

    class Shaped(ns["Linear"]):
        def backward(self, grad_out):
            return np.ones((3, 3)) @ np.ones((4, 4))  # numpy's message quotes sizes

    _, report = score("_g.check_linear(Shaped, seed=5, n=7, d_in=5, d_out=3, hidden=True)",
                      {**ns, "Shaped": Shaped}, ps2)  # fmt: skip
    assert "ValueError" in report and "size" not in report and "(3," not in report
    _, visible = score("check_linear(Shaped)", {**ns, "Shaped": Shaped}, ps2)
    assert "size 4 is different from 3" in visible


def _failed(report: str) -> list[str]:
    """The names of the sub-checks marked ✗ in a report."""
    return [line.split("✗")[1].rsplit(" 0 /", 1)[0].strip() for line in report.splitlines()
            if "✗" in line]  # fmt: skip


def test_one_linear_bug_costs_only_its_own_sub_check():
    """An averaged bias gradient loses the bias sub-check alone; `=` for `+=` (or zeroing the
    gradients in forward) loses the accumulation sub-check alone, with its own explanation."""
    ns = answer_namespace(NB)
    base = ns["Linear"]

    class Averages(base):
        def backward(self, grad_out):
            self.grads["weight"] += grad_out.T @ self._cache
            self.grads["bias"] += grad_out.mean(axis=0)
            return grad_out @ self.params["weight"]

    class Overwrites(base):
        def backward(self, grad_out):
            self.grads["weight"] = grad_out.T @ self._cache
            self.grads["bias"] = grad_out.sum(axis=0)
            return grad_out @ self.params["weight"]

    class ZeroesInForward(base):
        def forward(self, x):
            self.zero_grad()
            return super().forward(x)

    for call in ("check_linear(C)", "check_linear(C, seed=5, n=7, d_in=5, d_out=3, hidden=True)"):
        value, report = score(call, {"C": Averages}, ps2)
        assert value == 8.5 and _failed(report) == ["backward: bias gradient"], report
        assert "averaged over the batch instead of summed" in report
        for cls in (Overwrites, ZeroesInForward):
            value, report = score(call, {"C": cls}, ps2)
            assert value == 9.0, report
            assert _failed(report) == ["parameter gradients accumulate (+=)"], report
            assert "not overwritten or reset" in report, report


def test_linear_mutation_is_named():
    class Mutates(answer_namespace(NB)["Linear"]):
        def forward(self, x):
            x -= 0.0  # in place: the caller's array object is written to
            x *= 1.0 + 1e-3
            return super().forward(x / (1.0 + 1e-3))

    value, report = score("check_linear(Mutates)", {"Mutates": Mutates}, ps2)
    assert value == 9.5 and "modified in place" in report


def test_edge_cases_still_catch_what_they_are_about():
    """N = 1 fails a squeezed shape, large inputs fail a σ′ that is right on ordinary data but NaN
    at saturation, and a loss that ignores grad_out loses that sub-check alone."""
    ns = answer_namespace(NB)

    class Squeezes(ns["Linear"]):
        def forward(self, x):
            return super().forward(x).squeeze()

    class NaiveGrad(ns["Sigmoid"]):
        def backward(self, grad_out):
            e = np.exp(-self._x)  # σ′ = e^(−x) / (1 + e^(−x))²: inf / inf at x ≈ −1e3
            return grad_out * e / (1.0 + e) ** 2

        def forward(self, x):
            self._x = x
            return super().forward(x)

    class Ignores(ns["SoftmaxCrossEntropy"]):
        def backward(self, grad_out=1.0):
            return super().backward(1.0)

    value, report = score("check_linear(C)", {"C": Squeezes}, ps2)
    assert _failed(report) == ["a batch of one example (N = 1)"], report
    assert "on a batch of one example has the wrong shape" in report and value == 9.5
    value, report = score("check_sigmoid(C)", {"C": NaiveGrad}, ps2)
    assert _failed(report) == ["large inputs (|x| ≈ 1e3): finite and right"], report
    assert "backward(grad_out) on large inputs contains inf or NaN" in report and value == 4.0
    value, report = score("check_softmax_cross_entropy(C)", {"C": Ignores}, ps2)
    assert _failed(report) == ["backward(grad_out) scales by grad_out"], report
    assert "grad_out was ignored" in report and value == 7.5


def test_extreme_inputs_catch_naive_sigmoid_and_tanh():
    ns = answer_namespace(NB)

    class NaiveSigmoid(ns["Sigmoid"]):
        def forward(self, x):
            self._cache = np.exp(x) / (1.0 + np.exp(x))  # inf / inf = nan for x ≈ 1e3
            return self._cache

    class NaiveTanh(ns["Tanh"]):
        def forward(self, x):
            e, f = np.exp(x), np.exp(-x)
            self._cache = (e - f) / (e + f)
            return self._cache

    for cls, call in ((NaiveSigmoid, "check_sigmoid"), (NaiveTanh, "check_tanh")):
        value, report = score(f"{call}(C)", {"C": cls}, ps2)
        assert value == 4.0 and "inf or NaN" in report, report
