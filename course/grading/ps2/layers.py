"""ps2 checks for Linear and the elementwise activations (ReLU, Sigmoid, Tanh).

Each ``check_*`` takes the student's class, builds fresh instances per sub-check, compares with
the reference modules and returns the points from :func:`grade_item`. ``seed`` and the sizes are
arguments so that hidden tests can use data the visible checks never show.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ... import functional as F
from ...modules import Linear as RefLinear
from ...modules import ReLU as RefReLU
from ...modules import Sigmoid as RefSigmoid
from ...modules import Tanh as RefTanh
from .. import catalogue
from ..core import Mistake, NotTested, SubCheck, grade_item
from ..diagnose import as_array, check_values, close
from .edges import Result, attempt, edge_cases
from .harness import build, extreme, grad_of, load_params, no_mutation, normal, own

_SHAPES = {"weight": "(out_features, in_features)", "bias": "(out_features,)"}
_NOT_AVERAGE = "the loss already averages over the batch, so a layer must not scale by N"


def check_linear(
    Linear, *, seed: int = 0, n: int = 4, d_in: int = 3, d_out: int = 2, hidden: bool = False
) -> float:
    """Linear: y = x Wᵀ + b; ∂ℒ/∂x = gW, ∂ℒ/∂W += gᵀx, ∂ℒ/∂b += Σₙ gₙ. Needs d_in ≠ d_out, n > 1."""

    def case(rows: int, offset: int = 0, big: bool = False):
        rng = np.random.default_rng([seed, rows, offset])
        x = extreme(rng, (rows, d_in)) if big else normal(rng, (rows, d_in))
        w, b, g = normal(rng, (d_out, d_in)), normal(rng, (d_out,)), normal(rng, (rows, d_out))
        m = build(Linear, d_in, d_out)
        load_params(m, {"weight": w, "bias": b}, _SHAPES)
        ref = RefLinear(d_in, d_out)
        ref.params["weight"][...], ref.params["bias"][...] = w, b
        return m, ref, x, g

    def forward(rows: int = n) -> None:
        m, ref, x, _ = case(rows)
        y = own(m.forward, x)
        wrong = [("the bias is missing", ref.forward(x) - ref.params["bias"])]
        check_values(y, ref.forward(x), "forward(x)", hidden=hidden,
                     expected_shape="(N, out_features)", wrong=wrong)  # fmt: skip

    def backward(what: str) -> None:
        """One gradient, judged on its own: after a raise in backward(), the parameter
        gradients it had already added are still judged; what it never produced is not tested."""
        m, ref, x, g = case(n)
        own(m.forward, x)
        dx = run_backward(m, g)
        ref.forward(x)
        want = ref.backward(g)
        if what == "input":
            if isinstance(dx, BaseException):
                _raised_before(dx, m, ref, "returning the input gradient")
            check_values(dx, want, "backward(grad_out) (the input gradient)", hidden=hidden,
                         expected_shape="(N, in_features), like x",
                         wrong=[("it must be grad_out @ W, not the upstream gradient itself", g)])  # fmt: skip
            return
        got, gw, gb = grad_of(m, what), ref.grads["weight"], ref.grads["bias"]
        if isinstance(dx, BaseException) and not close(got, ref.grads[what]):
            if isinstance(dx, Mistake) and f"['{what}']" in str(dx):
                raise dx  # the raise is this gradient's own bug, named
            if not got.any():
                raise NotTested(dx, "backward() raised before adding this gradient")
        if what == "weight":
            check_values(got, gw, "self.grads['weight']", hidden=hidden,
                         expected_shape="(out_features, in_features), like W",
                         wrong=[(f"divided by N: {_NOT_AVERAGE}", gw / n),
                                (f"multiplied by N: {_NOT_AVERAGE}", gw * n)])  # fmt: skip
        else:
            check_values(got, gb, "self.grads['bias']", hidden=hidden,
                         expected_shape="(out_features,), like b",
                         wrong=[("not summed over the batch: ∂ℒ/∂b = Σₙ gₙ (sum over rows)", g),
                                ("averaged over the batch instead of summed: ∂ℒ/∂b = Σₙ gₙ",
                                 g.mean(axis=0)),
                                ("only the first example counted: sum over all rows", g[0])])  # fmt: skip

    def run_backward(m, g: np.ndarray) -> object:
        """m.backward(g), or what it raised (a numpy error named as the bug it shows)."""
        dx = attempt(lambda: own(m.backward, g))
        return _shape_hint(dx, len(g), d_in, d_out) or dx if isinstance(dx, ValueError) else dx

    def results(rows: int = n, big: bool = False) -> list[Result]:
        m, ref, x, g = case(rows, big=big)
        y = attempt(lambda: own(m.forward, x))
        dx = y if isinstance(y, BaseException) else attempt(lambda: own(m.backward, g))
        ref.forward(x)
        out = [Result("forward(x)", y, ref.forward(x), "(N, out_features)"),
               Result("the input gradient", dx, ref.backward(g), "(N, in_features), like x")]  # fmt: skip
        for key in ("weight", "bias"):
            got = dx if isinstance(dx, BaseException) else attempt(lambda k=key: grad_of(m, k))
            out.append(Result(f"self.grads['{key}']", got, ref.grads[key], _SHAPES[key]))
        return out

    def accumulates() -> None:
        """Two backward() calls add up to the two calls made separately (on the same module)."""
        data = (case(n)[2:], case(n, offset=1)[2:])

        raised: list[BaseException] = []

        def grads(pairs) -> dict[str, np.ndarray]:
            m = case(n)[0]  # a fresh module with the same parameters
            for xi, gi in pairs:
                own(m.forward, xi)
                out = run_backward(m, gi)  # judged on what it added, even if it raised
                raised.extend([out] if isinstance(out, BaseException) else [])
            return {key: grad_of(m, key) for key in _SHAPES}

        both, first, last = grads(data), grads(data[:1]), grads(data[1:])
        for key in _SHAPES:
            got, want = both[key], first[key] + last[key]
            if close(got, want) and (first[key] != 0).any():
                continue
            if not (first[key] != 0).any() and raised:
                raise NotTested(raised[0], "backward() raised before adding the gradients")
            if not (first[key] != 0).any():
                raise Mistake(f"backward() leaves self.grads['{key}'] at zero: it must add "
                              f"the gradient into it (self.grads['{key}'] += ...)")  # fmt: skip
            if close(got, last[key]):
                raise Mistake(
                    f"after two backward() calls self.grads['{key}'] holds only the last one: "
                    f"gradients must be added (self.grads['{key}'] += ...), not overwritten or "
                    "reset, so that a parameter used twice gets the sum over both uses"
                )
            raise Mistake(
                f"self.grads['{key}'] after two backward() calls is not the sum of what each "
                "call adds on its own: add into it (+=) and do not change it anywhere else"
            )

    def unchanged() -> None:
        m, _, x, g = case(n)
        no_mutation(m, (x,), g)

    return grade_item(
        "Linear",
        [
            SubCheck("forward: output shape and values", 2, forward),
            SubCheck("backward: input gradient", 2, lambda: backward("input")),
            SubCheck("backward: weight gradient", 2, lambda: backward("weight")),
            SubCheck("backward: bias gradient", 1.5, lambda: backward("bias")),
            SubCheck("parameter gradients accumulate (+=)", 1, accumulates),
            *edge_cases(
                results, unchanged, "large inputs (|x| ≈ 1e3): finite and right", 0.5, hidden=hidden
            ),  # fmt: skip
        ],
        hidden=hidden,
    )


def _shape_hint(exc: ValueError, rows: int, d_in: int, d_out: int) -> Mistake | None:
    """``grads['weight'] += x.T @ g`` or ``grads['bias'] += g`` fail inside numpy; name the bug."""
    text = str(exc).replace(" ", "")
    if "broadcast" not in text:
        return None
    if f"({d_in},{d_out})" in text:
        return Mistake(
            "backward() added a transposed weight gradient into self.grads['weight']: "
            "∂ℒ/∂W = gᵀx has the shape of W, (out_features, in_features); xᵀg is its transpose"
        )
    if rows > 1 and f"({rows},{d_out})" in text and f"({d_out},)" in text:
        return Mistake(
            "backward() added grad_out itself into self.grads['bias']: the bias gradient is "
            "summed over the batch, ∂ℒ/∂b = Σₙ gₙ, with shape (out_features,)"
        )
    return None


def _raised_before(exc: BaseException, m, ref, what: str) -> None:
    """backward() raised before ``what``: if every parameter gradient it added is right, the raise
    is in the line that computes ``what`` (its own failure); else it was not reached."""
    grads_right = all(close(grad_of(m, k), ref.grads[k]) for k in ref.grads)
    if grads_right and not isinstance(exc, Mistake):
        raise exc
    raise NotTested(exc, f"backward() raised before {what}")


# --- elementwise activations -----------------------------------------------------------------
def _activation(
    title: str,
    cls,
    ref_cls,
    wrong_forward: Callable[[np.ndarray], list[tuple[str, np.ndarray]]],
    wrong_backward: Callable[[np.ndarray, np.ndarray, np.ndarray], list[tuple[str, np.ndarray]]],
    overflow: str,
    *,
    seed: int,
    n: int,
    d: int,
    hidden: bool,
    from_output: Callable[[np.ndarray], np.ndarray] | None = None,
    extra: tuple[SubCheck, ...] = (),
    big_points: float = 1.0,
) -> float:
    """Forward, backward, N = 1, |x| ≈ 1e3 and no mutation for a parameter-free elementwise module.
    ``from_output(y)`` is the local derivative as a function of the output: a backward that is
    right for the student's own (wrong) forward output keeps its points."""

    def data(rows: int, big: bool = False):
        rng = np.random.default_rng([seed, rows, int(big)])
        x = extreme(rng, (rows, d)) if big else normal(rng, (rows, d), 1.5)
        return x, normal(rng, (rows, d))

    def forward() -> None:
        x, _ = data(n)
        y = own(build(cls).forward, x)
        check_values(y, ref_cls().forward(x), "forward(x)", hidden=hidden,
                     expected_shape="(N, D), like x", wrong=wrong_forward(x))  # fmt: skip

    def backward() -> None:
        x, g = data(n)
        m, ref = build(cls), ref_cls()
        mine = attempt(lambda: own(m.forward, x))
        if isinstance(mine, BaseException):
            raise NotTested(mine, "forward() raised, so backward() cannot run")
        dx = own(m.backward, g)
        y = ref.forward(x)
        if from_output is not None and _own_output_fits(mine, y, dx, g * from_output(mine)):
            return  # the right derivative of the student's own forward: graded there
        check_values(dx, ref.backward(g), "backward(grad_out)", hidden=hidden,
                     expected_shape="(N, D), like x", wrong=wrong_backward(x, y, g))  # fmt: skip

    def results(rows: int = n, big: bool = False) -> list[Result]:
        x, g = data(rows, big)
        m, ref = build(cls), ref_cls()
        y = attempt(lambda: own(m.forward, x))
        dx = y if isinstance(y, BaseException) else attempt(lambda: own(m.backward, g))
        return [Result("forward(x)", y, ref.forward(x), "(N, D), like x", overflow),
                Result("backward(grad_out)", dx, ref.backward(g), "(N, D), like x", overflow)]  # fmt: skip

    def unchanged() -> None:
        x, g = data(n)
        no_mutation(build(cls), (x,), g)

    return grade_item(
        title,
        [
            SubCheck("forward: output shape and values", 1.5, forward),
            SubCheck("backward: input gradient", 1.5, backward),
            *extra,
            *edge_cases(results, unchanged, "large inputs (|x| ≈ 1e3): finite and right",
                        big_points, hidden=hidden),  # fmt: skip
        ],
        hidden=hidden,
    )


def _own_output_fits(mine: object, y: np.ndarray, dx: object, want: np.ndarray) -> bool:
    """The forward output is wrong (but an array of the right shape) and ``dx`` is exactly the
    backward that output calls for."""
    if not isinstance(mine, np.ndarray) or mine.shape != y.shape or close(mine, y):
        return False
    return isinstance(dx, np.ndarray) and dx.shape == y.shape and close(dx, want)


def check_relu(ReLU, *, seed: int = 0, n: int = 4, d: int = 3, hidden: bool = False) -> float:
    """ReLU: y = max(0, x); ∂ℒ/∂x = g ⊙ 𝟙[x > 0] (0 at x = 0 exactly, the course's choice)."""

    def at_zero() -> None:
        x = np.array([[0.0, 1.0, -1.0, 0.0]])
        g = np.array([[1.5, -2.0, 0.5, -1.0]])
        m = build(ReLU)
        mine = attempt(lambda: own(m.forward, x))
        if isinstance(mine, BaseException):
            raise NotTested(mine, "forward() raised")
        dx = as_array(own(m.backward, g), "backward(grad_out)")
        if dx.shape != x.shape or not close(dx[:, [1, 2]], np.array([[-2.0, 0.0]])):
            raise Mistake("not tested: backward(grad_out) is wrong away from 0 as well "
                          "(see “backward: input gradient”)")  # fmt: skip
        if not close(dx, np.array([[0.0, -2.0, 0.0, 0.0]])):
            raise Mistake("at x = 0 exactly the gradient must be 0: the mask is 𝟙[x > 0] "
                          "(strict), the subgradient this course uses")  # fmt: skip

    return _activation(
        "ReLU", ReLU, RefReLU,
        lambda x: [("that is the identity: negative inputs must give 0", x)],
        lambda x, y, g: catalogue.relu_grad(x, g),
        "use np.maximum(x, 0) or a mask, never an exponential",
        seed=seed, n=n, d=d, hidden=hidden,
        extra=(SubCheck("gradient 0 at x = 0 exactly", 0.5, at_zero),), big_points=0.5,
    )  # fmt: skip


def check_sigmoid(Sigmoid, *, seed: int = 0, n: int = 4, d: int = 3, hidden: bool = False) -> float:
    """Sigmoid: y = σ(x); ∂ℒ/∂x = g ⊙ y(1 − y) with y the cached *output*."""
    return _activation(
        "Sigmoid", Sigmoid, RefSigmoid,
        lambda x: [("that is σ(−x): check the sign in the exponent", F.sigmoid(-x))],
        lambda x, y, g: catalogue.sigmoid_grad(y, x, g),
        "e^(−x) overflows for large negative x; use e^(−|x|) (two cases by sign)",
        seed=seed, n=n, d=d, hidden=hidden, from_output=lambda y: y * (1 - y),
    )  # fmt: skip


def check_tanh(Tanh, *, seed: int = 0, n: int = 4, d: int = 3, hidden: bool = False) -> float:
    """Tanh: y = tanh(x); ∂ℒ/∂x = g ⊙ (1 − y²) with y the cached *output*."""
    return _activation(
        "Tanh", Tanh, RefTanh,
        lambda x: [("that is σ(x), not tanh(x) = 2σ(2x) − 1", F.sigmoid(x)),
                   ("that is 2σ(x) − 1 = tanh(x/2): the argument of σ must be 2x",
                    2 * F.sigmoid(x) - 1)],
        lambda x, y, g: catalogue.tanh_grad(y, x, g),
        "e^x overflows for |x| ≈ 1e3; use np.tanh",
        seed=seed, n=n, d=d, hidden=hidden, from_output=lambda y: 1 - y * y,
    )  # fmt: skip
