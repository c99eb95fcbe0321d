"""ps1 checks for the output layer: sigmoid, tanh, a stable softmax, cross-entropy and ŷ − y."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ... import functional as F
from .. import catalogue
from ..core import KnownMistake, Mistake, SubCheck, grade_item
from ..diagnose import as_array, close
from ..inplace import in_place_check
from .common import Fn, Wrong, _finite, _fmt, _inputs, _points, compare

# --- items 4 and 5: sigmoid and tanh, derivatives from the output ----------------------------------
_TAILS = np.array([-1000.0, -750.0, -40.0, 0.0, 40.0, 710.0, 1000.0])


def _activation(
    title: str,
    name: str,
    fn: Fn,
    ref: Callable,
    wrong_fwd: Callable,
    grad_name: str,
    grad_fn: Fn,
    grad_ref: Callable,
    wrong_grad: Callable,
    x: np.ndarray,
    y: np.ndarray,
    hidden: bool,
) -> float:

    def values() -> None:
        compare(fn(x.copy()), ref(x), name, hidden, wrong_fwd(x), _inputs(hidden, x))

    def tails() -> None:
        _finite(
            name,
            fn,
            _TAILS,
            ref(_TAILS),
            "e^1000 overflows; only ever exponentiate −|x| (split on the sign of x)",
            (x, ref(x)),
        )

    def integers() -> None:
        ints = np.arange(-3, 4)  # what np.arange gives: an integer array
        compare(fn(ints.copy()), ref(ints.astype(np.float64)), name, hidden, (),
                "the integer array x = np.arange(-3, 4)")  # fmt: skip

    def from_output() -> None:
        ys = y.copy()
        got = grad_fn(ys)
        compare(got, grad_ref(y), grad_name, hidden, wrong_grad(y), f"y = {_fmt(y)}" * (not hidden))

    return grade_item(
        title,
        [
            SubCheck(f"{name} values", 0.5, values),
            SubCheck(f"{name} of an integer array gives floats", 0.25, integers),
            SubCheck(f"{name} stays finite for |x| ~ 1000", 0.5, tails, hygiene=True),
            SubCheck(f"{grad_name}(y) from the output y", 0.75, from_output),
            in_place_check(lambda: [(fn, (x,)), (grad_fn, (y,))]),
        ],
        hidden=hidden,
    )


def check_sigmoid(
    sigmoid: Fn, sigmoid_grad_from_output: Fn, *, seed: int | None = None, hidden: bool = False
) -> float:
    """Item 4: σ(x) = 1 / (1 + e^(−x)) and σ′ = y(1 − y) from the output y = σ(x)."""
    x = _points(seed, [-3.0, -0.5, 0.0, 0.8, 4.0], lo=-6, hi=6)
    y = F.sigmoid(_points(None if seed is None else seed + 1, [-2.0, 0.0, 1.5], lo=-4, hi=4))
    wrong_fwd = lambda x: [("that is 1 / (1 + e^x): σ(x) = 1 / (1 + e^(−x))", F.sigmoid(-x))]  # noqa: E731
    return _activation(
        "Sigmoid and its derivative",
        "sigmoid",
        sigmoid,
        F.sigmoid,
        wrong_fwd,
        "sigmoid_grad_from_output",
        sigmoid_grad_from_output,
        F.sigmoid_grad_from_output,
        catalogue.sigmoid_grad,
        x,
        y,
        hidden,
    )


def _tanh_wrong_fwd(x: np.ndarray) -> Wrong:
    return [
        ("that is σ(x), not tanh(x) = 2σ(2x) − 1", F.sigmoid(x)),
        ("that is σ(2x); tanh(x) = 2σ(2x) − 1", F.sigmoid(2 * x)),
        ("that is 2σ(x) − 1 = tanh(x/2): the argument of σ must be 2x", 2 * F.sigmoid(x) - 1),
    ]


def check_tanh(
    tanh: Fn, tanh_grad_from_output: Fn, *, seed: int | None = None, hidden: bool = False
) -> float:
    """Item 5: tanh(x) and tanh′ = 1 − y² from the output y = tanh(x)."""
    x = _points(seed, [-2.0, -0.3, 0.0, 0.9, 3.0], lo=-4, hi=4)
    y = np.tanh(_points(None if seed is None else seed + 1, [-1.0, 0.0, 0.6], lo=-3, hi=3))
    return _activation(
        "Tanh and its derivative",
        "tanh",
        tanh,
        np.tanh,
        _tanh_wrong_fwd,
        "tanh_grad_from_output",
        tanh_grad_from_output,
        F.tanh_grad_from_output,
        catalogue.tanh_grad,
        x,
        y,
        hidden,
    )


# --- items 6 to 8: softmax, cross-entropy and the gradient ŷ − y ------------------------------------
def _logits(seed: int | None) -> np.ndarray:
    if seed is None:
        return np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    rng = np.random.default_rng(seed)
    return 2.0 * rng.standard_normal((int(rng.integers(4, 8)), int(rng.integers(3, 6))))


def _labels(z: np.ndarray, seed: int | None) -> np.ndarray:
    if seed is None:
        return np.array([1, 2])
    return np.random.default_rng(seed + 7).integers(0, z.shape[1], z.shape[0])


def check_softmax(softmax: Fn, *, seed: int | None = None, hidden: bool = False) -> float:
    """Item 6: row-wise softmax, stable for logits ~1e3 (each row's max subtracted)."""
    z = _logits(seed)

    def call(zz: np.ndarray) -> object:
        try:
            return softmax(zz.copy())
        except ValueError as exc:
            if "broadcast" in str(exc):
                raise Mistake(f"softmax raised ValueError: {catalogue.KEEPDIMS}") from None
            raise

    def values() -> None:
        got = call(z)
        axis = catalogue.softmax_axis(as_array(got, "softmax"))
        if axis and not close(as_array(got, "softmax"), F.softmax(z, axis=1)):
            raise KnownMistake(f"softmax: {axis}")
        compare(got, F.softmax(z, axis=1), "softmax", hidden, catalogue.softmax_rows(z),
                f"z = {_fmt(z)}" * (not hidden))  # fmt: skip

    def large() -> None:
        big = 1.5 * z + 1000.0  # every row near +1000: e^x overflows unless a max is subtracted
        _finite("softmax", call, big, F.softmax(big, axis=1),
                "e^1000 overflows: subtract the max first; it does not change the result",
                (z, F.softmax(z, axis=1)))  # fmt: skip

    def per_row() -> None:
        """Rows ~1000 apart: the batch's max underflows the other rows to 0/0."""
        mixed = np.stack([z[0], z[1] + 1000.0])
        batch = as_array(call(z[:2]), "softmax")
        got = as_array(call(mixed), "softmax")
        right = close(batch, F.softmax(z[:2], axis=1))  # else only finiteness is asked here
        if (
            got.shape == mixed.shape
            and bool(np.isfinite(got).all())
            and (not right or close(got, F.softmax(mixed, axis=1), atol=1e-12))
        ):
            return
        raise Mistake(
            "when one row's logits are ~1000 larger than another's, the other row "
            "comes out as nan or 0: subtract each row's own max "
            "(z.max(axis=1, keepdims=True)), not the max of the whole batch"
        )

    return grade_item(
        "Stable softmax",
        [
            SubCheck("softmax values, row by row", 1.5, values),
            SubCheck("finite for logits ~1e3 (max subtracted)", 0.5, large, hygiene=True),
            SubCheck("the max is taken per row", 0.5, per_row, hygiene=True),
            in_place_check(lambda: [(softmax, (z,))]),
        ],
        hidden=hidden,
    )


def check_cross_entropy(
    cross_entropy: Fn, *, seed: int | None = None, hidden: bool = False
) -> float:
    """Item 7: ℒ = −(1/N) Σₙ log p[n, yₙ] from probabilities p (N, K) and integer labels (N,)."""
    p = F.softmax(_logits(seed), axis=1)
    y = _labels(p, seed)
    n = p.shape[0]
    want = float(-np.log(p[np.arange(n), y]).mean())

    def value() -> None:
        got = as_array(cross_entropy(p.copy(), y.copy()), "cross_entropy")
        if got.size != 1:
            raise Mistake("cross_entropy should return one number, the mean over the batch")
        wrong = [
            (
                "that is the sum over the batch; the loss is the mean, so divide by N",
                np.asarray(want * n),
            ),
            ("the sign is flipped: ℒ = −log(probability of the true class) ≥ 0", np.asarray(-want)),
            (
                "that adds −log p over every class; only the true class's probability counts",
                np.asarray(-np.log(p).sum() / n),
            ),
            (
                "p[:, labels] picks whole columns (an N × N block): take each row's true class "
                "with p[np.arange(N), labels]",
                np.asarray(-np.log(p[:, y]).mean()),
            ),
            (
                "that is −log of the mean probability: the loss is the mean of −log p (the log "
                "goes inside the mean; check the parentheses)",
                np.asarray(-np.log(p[np.arange(n), y].mean())),
            ),
            (
                "softmax was applied to p, which already holds probabilities: take −log p of "
                "the true class directly",
                np.asarray(-np.log(F.softmax(p, axis=1)[np.arange(n), y]).mean()),
            ),
        ]
        compare(
            got.reshape(()),
            np.asarray(want),
            "cross_entropy",
            hidden,
            wrong,
            "the probabilities and labels above" * (not hidden),
        )

    def scalar() -> None:
        got = cross_entropy(p.copy(), y.copy())
        if np.ndim(got) != 0:
            raise Mistake("return a plain number (float(...)), not an array")

    return grade_item(
        "Cross-entropy",
        [
            SubCheck("mean −log p of the true class", 1.0, value),
            SubCheck("returns a single number", 0.5, scalar, hygiene=True),
            in_place_check(lambda: [(cross_entropy, (p, y))]),
        ],
        hidden=hidden,
    )


def check_softmax_ce_grad(grad_fn: Fn, *, seed: int | None = None, hidden: bool = False) -> float:
    """Item 8: ∂ℒ/∂z = (softmax(z) − onehot(y)) / N, i.e. ŷ − y per example."""
    z = _logits(seed)
    y = _labels(z, seed)
    n, k = z.shape
    onehot = np.eye(k)[y]
    p = F.softmax(z, axis=1)
    want = (p - onehot) / n
    wrong = catalogue.softmax_ce_grad(z, y)

    def values() -> None:
        try:
            got = grad_fn(z.copy(), y.copy())
        except IndexError:
            raise Mistake("softmax_ce_grad raised IndexError: subtract 1 at each row's own true "
                          "class, grad[np.arange(N), labels]") from None  # fmt: skip
        compare(
            got,
            want,
            "softmax_ce_grad",
            hidden,
            wrong,
            f"z = {_fmt(z)}, labels = {y.tolist()}" * (not hidden),
        )

    def large() -> None:
        # Only stability is judged here (finite, rows sum to 0 as ŷ − y does), so that a wrong
        # formula is not penalised twice.
        big = 400 * z + 1000.0
        got = as_array(grad_fn(big.copy(), y.copy()), "softmax_ce_grad")
        if got.shape != big.shape or not bool(np.isfinite(got).all()):
            raise Mistake("nan or inf for logits around 1000: compute ŷ with your stable softmax")
        if not close(got.sum(axis=1), np.zeros(n), atol=1e-9):
            raise Mistake("for logits around 1000 the rows do not sum to 0, as ŷ − y must")

    return grade_item(
        "Gradient of softmax-cross-entropy",
        [
            SubCheck("(ŷ − y) / N, shape (N, K)", 2.0, values),
            SubCheck("stable for logits ~1e3", 0.5, large, hygiene=True),
            in_place_check(lambda: [(grad_fn, (z, y))]),
        ],
        hidden=hidden,
    )
