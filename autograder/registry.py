"""The problem sets: the one place an assignment id is spelt out in code.

Each entry says what a problem set is (id, title, when it is released and due in the term plan),
which module holds its checks, and what its sandbox offers (the parts of ``course`` its notebook
may import). Its items (grade ids and points) are read from its source notebook in
``solutions/<id>/``, where nbgrader keeps them. Adding a problem set is one entry here plus its
folder of checks (``course/grading/<short>/``) and notebooks (``solutions/<id>/``); see
``docs/authoring.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .cellmeta import grade_id, is_answer, is_graded, points
from .engine.library import COMMON

ROOT = Path(__file__).resolve().parents[1]

# The reference modules, for a problem set that builds on them rather than writing them.
REFERENCE = ("functional.py", "modules/__init__.py", "modules/activations.py",
             "modules/container.py", "modules/linear.py", "modules/losses.py",
             "modules/prelu.py", "modules/elu.py", "modules/rbf.py")  # fmt: skip
SCALAR = ("scalar.py", "scalar_engine.py", "scalar_graph.py", "scalar_draw.py")


def _ps3_digits() -> bytes:
    from course.grading.ps3.digits import sandbox_file  # the digits without the held-out rows

    return sandbox_file()


@dataclass(frozen=True)
class Item:
    """One graded cell of a problem set: its grade id, its points, and whether a person grades
    it (a written answer) or the checks do (a test cell)."""

    grade_id: str
    points: float
    written: bool


@dataclass(frozen=True)
class ProblemSet:
    """One problem set. ``checks`` is the module of its ``check_*`` functions; ``files`` are
    the parts of ``course/`` its sandbox gets; ``interface`` is what a stub ``course.modules``
    offers when the reference modules are not in ``files``; ``generated`` maps a path under
    ``course/`` to a function returning its bytes (data with the held-out rows removed).
    ``asks`` names what the problem set asks students to write that the library holds a working
    reference of, as ``"<path under course/>:<qualified name>"`` (a class, a function or one
    method): until ``due_week`` the student pack carries those only as stubs."""

    id: str
    title: str
    checks: str
    released_week: int
    due_week: int
    files: tuple[str, ...] = COMMON
    interface: tuple[str, ...] = ("Module", "Loss")
    generated: Mapping[str, Callable[[], bytes]] = field(default_factory=dict)
    asks: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        """``ps1`` for ``ps1_chain_rule``: the name of its folder of checks."""
        return self.checks.rsplit(".", 1)[-1]

    def source(self, root: Path = ROOT) -> Path:
        """The instructor's notebook (solutions and hidden tests)."""
        return Path(root) / "solutions" / self.id / f"{self.id}.ipynb"

    def items(self, root: Path = ROOT) -> list[Item]:
        """The graded cells of the source notebook, in order."""
        nb = nbformat.read(self.source(root), 4)
        return [
            Item(grade_id(c), points(c), written=c.cell_type == "markdown" or is_answer(c))
            for c in nb.cells
            if is_graded(c)
        ]


# The term plan's lectures: the week each lecture notebook (``lectures/<name>.ipynb``) is taught.
# A student pack for week N holds the lectures of weeks <= N whose code runs without anything an
# open problem set asks for (``autograder/pack.py`` holds the others back and says until when).
LECTURE_WEEKS: Mapping[str, int] = {
    "01_modules_and_graphs": 1, "02_chain_rule": 1, "03_backprop_mlp": 1,
    "04_activations_saturation": 2, "05_softmax_cross_entropy": 2, "06_your_own_module": 2,
    "07_training": 3, "08_initialisation_and_momentum": 3, "09_more_modules": 3,
}  # fmt: skip

# What each problem set asks for, mapped to the library's reference (``asks``): the answer cells
# between ### BEGIN SOLUTION and ### END SOLUTION of solutions/<id>/<id>.ipynb. Answers with no
# drop-in in the library are not listed: ps1's dy_dx, dag_dy_dx and central_difference
# (course.gradcheck.numerical_gradient is a tool ps1 itself hands out, for arrays), ps3's
# build_mlp (course.widgets.deep_mlp.build_mlp is depth x width, another contract),
# network_gradcheck (course.gradcheck.gradcheck checks one module against a random upstream
# gradient; ps2 hands it out), train_epochs and fit_digits.
PS1_ASKS = (
    "scalar_engine.py:Value.backward",  # backward(root): the reverse topological walk
    "functional.py:sigmoid", "functional.py:sigmoid_grad_from_output",
    "functional.py:tanh", "functional.py:tanh_grad_from_output", "functional.py:softmax",
    "modules/losses.py:CrossEntropy",  # cross_entropy(p, labels): mean -log p[label]
    "modules/losses.py:SoftmaxCrossEntropy",  # softmax_ce_grad(z, labels): (softmax - onehot)/N
)  # fmt: skip
PS2_ASKS = (
    "modules/linear.py:Linear", "modules/activations.py:ReLU", "modules/activations.py:Sigmoid",
    "modules/activations.py:Tanh", "modules/activations.py:Softmax",
    "functional.py:softmax_backward",  # Softmax.backward's line, as a function
    "modules/losses.py:SoftmaxCrossEntropy", "modules/losses.py:EuclideanLoss",
    "modules/prelu.py:PReLU",
)  # fmt: skip
PS3_ASKS = ("optim.py:SGD",)  # MomentumSGD: v <- mu v + g, p <- p - lr v

PROBLEM_SETS: tuple[ProblemSet, ...] = (
    # ps1 writes sigmoid, softmax, ... as functions: no course.functional, no reference modules;
    # course.scalar holds the graph nodes its backward (question 3) walks.
    ProblemSet(
        "ps1_chain_rule", "The chain rule on graphs", "course.grading.ps1",
        released_week=1, due_week=2, files=(*COMMON, *SCALAR), asks=PS1_ASKS,
    ),
    # ps2 writes the modules: only the Module and Loss base classes.
    ProblemSet(
        "ps2_modules", "Modules with forward and backward", "course.grading.ps2",
        released_week=2, due_week=3, asks=PS2_ASKS,
    ),
    # ps3 builds on the reference modules and the digits; it writes its own optimiser. The checks
    # build their probes (planted networks, recorders) in the sandbox; the digits there lack the
    # rows the grader tests fit_digits on, so no label of those is within the student's reach.
    ProblemSet(
        "ps3_training", "Training a network", "course.grading.ps3",
        released_week=3, due_week=4,
        files=(*COMMON, *REFERENCE, "data.py", "data_files/DIGITS_LICENSE.md",
               "grading/ps3/probes.py"),
        generated={"data_files/digits.csv.gz": _ps3_digits}, asks=PS3_ASKS,
    ),
)  # fmt: skip


def ids() -> list[str]:
    """Every assignment id, in the order students meet them."""
    return [ps.id for ps in PROBLEM_SETS]


def get(assignment: str) -> ProblemSet:
    """The problem set ``assignment``; a clear error for an id the course does not have."""
    for ps in PROBLEM_SETS:
        if ps.id == assignment:
            return ps
    raise KeyError(f"no problem set {assignment!r} in autograder/registry.py; known: {ids()}")


def term_weeks() -> list[int]:
    """Every week of the term plan: from the first week to the last due week."""
    last = max([ps.due_week for ps in PROBLEM_SETS] + list(LECTURE_WEEKS.values()))
    return list(range(1, last + 1))
