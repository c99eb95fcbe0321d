"""The shared catalogue of wrong answers: each mistake once, named once, for every problem set.

Each function takes what a check already has (inputs, outputs, upstream gradient) and returns
``(explanation, the value a student with that mistake gets)`` pairs for ``diagnose.check_values``.
ps1 asks for the same derivatives as ps2 in another form (a function of the output, no grad_out),
so arguments a check does not have are ``None`` and their mistakes are left out.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import functional as F

Wrong = list[tuple[str, np.ndarray]]
NO_G = "multiply the local derivative by grad_out (the chain rule)"


def _times(g: np.ndarray | None, local: np.ndarray) -> np.ndarray:
    return local if g is None else g * local


def sigmoid_grad(y: np.ndarray, x: np.ndarray | None = None, g: np.ndarray | None = None) -> Wrong:
    """σ′ = y(1 − y) from the output y = σ(x): the usual wrong forms of it."""
    s = F.sigmoid(y)
    out = [
        ("σ was applied to y again, but y is already σ(x): σ′ = y(1 − y), not σ(y)(1 − σ(y))",
         _times(g, s * (1 - s))),
        ("1 − y² is tanh′; the sigmoid's derivative is σ′ = y(1 − y)", _times(g, 1 - y * y)),
        ("a factor is missing: σ′ = y(1 − y), not 1 − y", _times(g, 1 - y)),
        ("a factor is missing: σ′ = y(1 − y), not y", _times(g, y)),
    ]  # fmt: skip
    if x is not None:
        out.append(("y(1 − y) was computed from the input x; it needs the output y = σ(x)",
                    _times(g, x * (1 - x))))  # fmt: skip
    if g is not None:
        out.append((f"that is σ′ alone: {NO_G}", y * (1 - y)))
    return out


def tanh_grad(y: np.ndarray, x: np.ndarray | None = None, g: np.ndarray | None = None) -> Wrong:
    """tanh′ = 1 − y² from the output y = tanh(x): the usual wrong forms of it."""
    out = [
        ("tanh was applied to y again, but y is already tanh(x): tanh′ = 1 − y², "
         "not 1 − tanh(y)²", _times(g, 1 - np.tanh(y) ** 2)),
        ("y(1 − y) is the sigmoid's derivative; tanh′ = 1 − y²", _times(g, y * (1 - y))),
        ("y must be squared: tanh′ = 1 − y², not 1 − y", _times(g, 1 - y)),
        ("sign error: tanh′ = 1 − y², not 1 + y² (it is at most 1)", _times(g, 1 + y * y)),
    ]  # fmt: skip
    if x is not None:
        out.append(("1 − y² was computed from the input x; it needs the output y = tanh(x)",
                    _times(g, 1 - x * x)))  # fmt: skip
    if g is not None:
        out.append((f"that is tanh′ alone: {NO_G}", 1 - y * y))
    return out


def relu_grad(x: np.ndarray, g: np.ndarray) -> Wrong:
    """∂ℒ/∂x = g ⊙ 𝟙[x > 0]: the usual wrong forms of it."""
    return [
        ("the 0/1 mask 𝟙[x > 0] must come from the input x, not from grad_out", g * (g > 0)),
        (f"that is the mask alone: {NO_G}", (x > 0) * 1.0),
        ("multiply grad_out by the 0/1 mask 𝟙[x > 0], not by x itself", g * F.relu(x)),
    ]


def softmax_rows(z: np.ndarray) -> Wrong:
    """softmax over each row: normalised over the wrong axis, or not at all."""
    cols = np.exp(z - z.max(axis=0, keepdims=True))
    whole = np.exp(z - z.max())
    return [
        ("each column sums to 1: normalise along each row (axis=1), one example per row",
         cols / cols.sum(axis=0, keepdims=True)),
        ("the whole batch sums to 1: normalise each row on its own (axis=1, keepdims=True)",
         whole / whole.sum()),
        ("the outputs are not normalised: divide by the row sum",
         np.exp(z - z.max(axis=1, keepdims=True))),
    ]  # fmt: skip


def softmax_axis(got: np.ndarray) -> str | None:
    """Whatever the max trick did: an output whose columns, or whole batch, sum to 1 where its
    rows do not was normalised over the wrong axis."""
    if got.ndim != 2 or got.shape[0] < 2 or not bool(np.isfinite(got).all()):
        return None
    rows = bool((abs(got.sum(axis=1) - 1) < 1e-6).all())
    if not rows and bool((abs(got.sum(axis=0) - 1) < 1e-6).all()):
        return softmax_rows(got)[0][0]
    if not rows and abs(got.sum() - 1) < 1e-6:
        return softmax_rows(got)[1][0]
    return None


# Momentum SGD as (new velocity, step) from (v, g, lr, μ): the course's rule and the usual wrong
# ones. The CS231n form (v ← μv − ηg, θ ← θ + v) is the course's rule with v scaled by −η: right.
Rule = Callable[[np.ndarray, np.ndarray, float, float], tuple[np.ndarray, np.ndarray]]
MOMENTUM: dict[str, Rule] = {
    "right": lambda v, g, lr, mu: (mu * v + g, lr * (mu * v + g)),
    "the momentum is ignored: keep a velocity per parameter from one step to the next":
        lambda v, g, lr, mu: (g, lr * g),
    "v ← μv + (1 − μ)g is another convention (an average of gradients); this course uses "
    "v ← μv + g": lambda v, g, lr, mu: (mu * v + (1 - mu) * g, lr * (mu * v + (1 - mu) * g)),
    "the learning rate is applied twice (v ← μv + ηg, then θ ← θ − ηv)":
        lambda v, g, lr, mu: (mu * v + lr * g, lr * (mu * v + lr * g)),
    "the update goes uphill: θ ← θ − ηv, with a minus sign":
        lambda v, g, lr, mu: (mu * v + g, -lr * (mu * v + g)),
    "the step used the previous velocity: update v ← μv + g before the step θ ← θ − ηv "
    "(the order matters)":
        lambda v, g, lr, mu: (mu * v + g, lr * v),
    "that is Nesterov's step θ ← θ − η(g + μv); this course's momentum steps θ ← θ − ηv":
        lambda v, g, lr, mu: (mu * v + g, lr * (g + mu * (mu * v + g))),
}  # fmt: skip


def softmax_ce_grad(z: np.ndarray, labels: np.ndarray, g: float = 1.0) -> Wrong:
    """∂ℒ/∂z = g (softmax(z) − onehot) / N: the usual wrong forms of it."""
    n, k = z.shape
    p, onehot = F.softmax(z, axis=1), np.eye(k)[labels]
    cols = p.copy()
    cols[:, labels] -= 1.0  # what `grad[:, labels] -= 1` does
    rows = []  # what `grad[labels] -= 1` does, where the labels are row numbers (else it raises)
    if labels.max(initial=0) < n:
        rows = [p.copy()]
        rows[0][labels] -= 1.0
    return [
        ("missing 1/N: the loss averages over the batch, so ∂ℒ/∂z = (ŷ − y) / N",
         g * (p - onehot)),
        ("divided by N·K (a mean over every entry): the loss averages over the N examples, so "
         "∂ℒ/∂z = (ŷ − y) / N", g * (p - onehot) / (n * k)),
        ("divided by N twice: ∂ℒ/∂z = (ŷ − y) / N", g * (p - onehot) / n**2),
        ("component i is −(1[i = ℓ] − ŷᵢ), with ŷᵢ of class i itself, not ŷ_ℓ of the true class "
         "(the slide error)", g * (p[np.arange(n), labels][:, None] - onehot) / n),
        ("the softmax is missing: the gradient is softmax(z) − y, not z − y", g * (z - onehot) / n),
        ("the one-hot labels are missing: subtract 1 in each row's true-class column", g * p / n),
        ("grad[:, labels] subtracts 1 in the columns of every label in every row; subtract it at "
         "each row's own true class, grad[np.arange(N), labels]", g * cols / n),
        ("the sign is flipped: ∂ℒ/∂z = (ŷ − y) / N", -g * (p - onehot) / n),
    ] + [("grad[labels] picks whole rows by label value: subtract 1 at each row's own true "
          "class, grad[np.arange(N), labels]", g * r / n) for r in rows]  # fmt: skip


KEEPDIMS = (
    "a row's max or sum has shape (N,) and does not broadcast against (N, K): keep it a column "
    "with keepdims=True (or [:, None])"
)
