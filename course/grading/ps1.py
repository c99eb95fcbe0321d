"""Autograded checks for ps1_chain_rule: one ``check_*`` per notebook item, each returning points.

Visible calls (``seed=None``) use fixed inputs that students may see in the report; hidden calls pass
a seed and get inputs drawn from it, and their messages never quote those inputs. Every check looks
for the classic wrong answers (a dropped inner derivative, σ′ taken from the input, a missing max or
1/N, ...) and names the one it finds.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from .. import functional as F
from .core import Mistake, SubCheck, grade_item

Fn = Callable[..., object]


# --- plumbing shared by the ps1 and ps3 checks -----------------------------------------------------
def call(fn: Fn, *args: object, what: str, hidden: bool) -> object:
    """Run student code with numpy's warnings silenced (stderr would zero the cell) and turn a crash
    into a Mistake. Hidden calls do not echo the exception text, which could quote hidden shapes."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return fn(*args)
        except Mistake:
            raise
        except NotImplementedError:
            raise Mistake(
                f"{what} is not implemented yet (it raises NotImplementedError)."
            ) from None
        except Exception as exc:  # noqa: BLE001 - any crash in student code is a graded failure
            detail = "" if hidden else f": {str(exc)[:200]}"
            raise Mistake(f"{what} raised {type(exc).__name__}{detail}") from None


def as_array(value: object, what: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Mistake(
            f"{what} should return numbers; it returned a {type(value).__name__}"
        ) from None


def close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def compare(
    got: object,
    want: np.ndarray,
    what: str,
    hidden: bool,
    wrong: dict[str, np.ndarray] | None = None,
    inputs: str = "",
    rtol: float = 1e-6,
) -> None:
    """Raise a Mistake unless ``got`` equals ``want``; if it equals one of the ``wrong`` answers, say
    which mistake that is. ``inputs`` describes visible inputs for the message."""
    arr = as_array(got, what)
    if arr.shape != want.shape and arr.size == want.size and want.ndim <= 1:
        arr = arr.reshape(want.shape)  # a scalar returned as shape (1,) is fine
    if arr.shape != want.shape:
        where = "" if hidden else f" for {inputs}" if inputs else ""
        raise Mistake(
            f"{what} returned shape {arr.shape}{where}; expected {want.shape}"
            if not hidden
            else f"{what} returned an array of the wrong shape (it should match its input)"
        )
    if not np.all(np.isfinite(arr)):
        raise Mistake(f"{what} returned nan or inf" + ("" if hidden else f" for {inputs}"))
    if close(arr, want, rtol):
        return
    for message, candidate in (wrong or {}).items():
        if (
            candidate.shape == want.shape
            and close(arr, candidate, rtol)
            and not close(candidate, want)
        ):
            raise Mistake(message)
    scale = float(np.max(np.abs(want))) or 1.0
    err = float(np.max(np.abs(arr - want))) / scale
    if hidden:
        raise Mistake(f"{what} gives wrong values on the hidden inputs (relative error {err:.1e})")
    raise Mistake(f"{what} is off for {inputs}: expected {_fmt(want)}, got {_fmt(arr)}")


def _fmt(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=5, separator=", ", threshold=12)


def _points(seed: int | None, visible: list[float], n: int = 9, lo: float = -2.0, hi: float = 2.0):
    """Fixed visible points, or ``n`` points drawn from ``seed`` for a hidden run."""
    if seed is None:
        return np.array(visible)
    return np.random.default_rng(seed).uniform(lo, hi, n)


def _desc(seed: int | None, x: np.ndarray) -> str:
    return "the hidden points" if seed is not None else f"x = {_fmt(x)}"


def _elementwise_checks(name: str, fn: Fn, want: Callable, x: np.ndarray, seed, wrong_at) -> list:
    """Two sub-checks: one scalar point, then a whole array (vectorised numpy code)."""
    hidden = seed is not None

    def scalar() -> None:
        x0 = float(x[0])
        compare(
            call(fn, x0, what=name, hidden=hidden),
            np.asarray(want(np.asarray(x0))),
            name,
            hidden,
            wrong_at(np.asarray(x0)),
            inputs=f"x = {x0:g}" if not hidden else "",
        )

    def array() -> None:
        xs = x.copy()
        got = call(fn, xs, what=name, hidden=hidden)
        if not np.array_equal(xs, x):
            raise Mistake(f"{name} changed its input array in place; compute a new array instead")
        compare(got, want(x), f"{name} on an array", hidden, wrong_at(x), inputs=_desc(seed, x))

    return [
        SubCheck(f"{name} at one point", 1.0, scalar),
        SubCheck(f"{name} elementwise on an array", 1.0, array),
    ]


# --- 1. chain rule along one path: y = exp(sin(2x)) ------------------------------------------------
def chain_reference(x: np.ndarray) -> np.ndarray:
    """dy/dx of y = e^v, v = sin u, u = 2x: e^v · cos u · 2 (outer derivative first)."""
    return np.exp(np.sin(2 * x)) * np.cos(2 * x) * 2


def _chain_wrong(x: np.ndarray) -> dict[str, np.ndarray]:
    ev = np.exp(np.sin(2 * x))
    return {
        "You dropped the innermost edge du/dx = 2: every edge on the path contributes a factor.": ev
        * np.cos(2 * x),
        "You dropped dv/du = cos u: the middle edge of the path is missing.": ev * 2,
        "You kept only the outer derivative e^v; multiply by the local derivative of each edge.": ev,
        "You dropped dy/dv = e^v, the outermost edge of the path.": np.cos(2 * x) * 2,
        "cos is evaluated at the wrong point: dv/du = cos u must be taken at u = 2x, not at x.": ev
        * np.cos(x)
        * 2,
    }


def check_chain(dy_dx: Fn, seed: int | None = None) -> float:
    """Item 1: ``dy_dx(x)`` for y = exp(sin(2x))."""
    x = _points(seed, [0.3, -1.2, 0.0, 0.7, 2.5])
    return grade_item(
        "Chain rule along one path",
        _elementwise_checks("dy_dx", dy_dx, chain_reference, x, seed, _chain_wrong),
    )


# --- 2. sum over paths: a = x², b = sin x, y = a·b + e^b -------------------------------------------
def dag_reference(x: np.ndarray) -> np.ndarray:
    """dy/dx = ∂y/∂a · da/dx + ∂y/∂b · db/dx = b · 2x + (a + e^b) · cos x."""
    a, b = x**2, np.sin(x)
    return b * 2 * x + (a + np.exp(b)) * np.cos(x)


def _dag_wrong(x: np.ndarray) -> dict[str, np.ndarray]:
    a, b = x**2, np.sin(x)
    via_a, via_b = b * 2 * x, (a + np.exp(b)) * np.cos(x)
    return {
        "Only the path through b = sin x is counted; x also reaches y through a = x². "
        "Sum the contributions of all paths.": via_b,
        "Only the path through a = x² is counted; x also reaches y through b = sin x. "
        "Sum the contributions of all paths.": via_a,
        "The two paths are multiplied; their contributions must be added.": via_a * via_b,
        "∂y/∂b misses the e^b term: y = a·b + e^b depends on b twice.": via_a + a * np.cos(x),
        "∂y/∂b misses the a term: y = a·b + e^b gives ∂y/∂b = a + e^b.": via_a
        + np.exp(b) * np.cos(x),
    }


def check_dag(dy_dx: Fn, seed: int | None = None) -> float:
    """Item 2: ``dag_dy_dx(x)`` for the two-path graph."""
    x = _points(seed, [0.5, -1.0, 1.7, 0.0, -2.2])
    checks = _elementwise_checks("dag_dy_dx", dy_dx, dag_reference, x, seed, _dag_wrong)
    return grade_item("Chain rule summed over paths", checks)


# --- 3. central difference -------------------------------------------------------------------------
def check_central_difference(central_difference: Fn, seed: int | None = None) -> float:
    """Item 3: ``central_difference(f, x, h)`` ≈ (f(x + h) − f(x − h)) / 2h."""
    hidden = seed is not None
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, 6) if hidden else np.array([1.0, -0.5, 2.0])
    c = float(rng.uniform(1.5, 3.0)) if hidden else 2.0

    def cube(t):  # f(x) = c x³: the central difference with step h is exactly 3c x² + c h²
        return c * np.asarray(t, dtype=np.float64) ** 3

    def exact_formula() -> None:
        h = 0.1
        got = call(central_difference, cube, x.copy(), h, what="central_difference", hidden=hidden)
        want = 3 * c * x**2 + c * h**2
        forward = (cube(x + h) - cube(x)) / h
        compare(
            got,
            want,
            "central_difference",
            hidden,
            {
                "That is the one-sided difference (f(x + h) − f(x)) / h; use f(x + h) and f(x − h).": forward,
                "That is (f(x) − f(x − h)) / h, one-sided; use f(x + h) and f(x − h).": (
                    cube(x) - cube(x - h)
                )
                / h,
                "The step between x − h and x + h is 2h: divide by 2h, not h.": 2 * want,
                "Divide by 2h once: the result is half as big as it should be.": want / 2,
                "The step h you were given is ignored: use the argument h, not a fixed value.": 3
                * c
                * x**2
                + c * 1e-10,
            },
            inputs=f"f(x) = {c:g}·x³, x = {_fmt(x)}, h = {h}",
        )

    def accurate() -> None:
        got = call(
            central_difference, np.sin, x.copy(), 1e-5, what="central_difference", hidden=hidden
        )
        arr = as_array(got, "central_difference")
        if arr.shape != x.shape or not np.allclose(arr, np.cos(x), rtol=1e-7, atol=1e-9):
            raise Mistake(
                "With f = sin and h = 1e-5 the result should match cos x to about 1e-9; "
                "it does not (is it the centred formula, and elementwise?)"
            )

    def scalar() -> None:
        got = call(central_difference, np.exp, 0.5, 1e-5, what="central_difference", hidden=hidden)
        compare(
            np.asarray(got),
            np.asarray(np.exp(0.5)),
            "central_difference",
            hidden,
            inputs="f = exp, x = 0.5",
            rtol=1e-7,
        )

    return grade_item(
        "Central-difference derivative",
        [
            SubCheck("the centred formula, with the given h", 1.0, exact_formula),
            SubCheck("accurate to ~1e-9 on sin, elementwise", 0.5, accurate),
            SubCheck("works for a plain float x", 0.5, scalar),
        ],
    )


# --- 4. sigmoid and tanh, derivatives from the output ----------------------------------------------
def _stability(name: str, fn: Fn, ref: Callable, hidden: bool) -> SubCheck:
    def run() -> None:
        x = np.array([-1000.0, -750.0, -40.0, 0.0, 40.0, 710.0, 1000.0])
        got = as_array(call(fn, x.copy(), what=name, hidden=hidden), name)
        if got.shape != x.shape or not np.all(np.isfinite(got)):
            raise Mistake(
                f"{name} returns nan or inf for inputs of size ~1000: e^1000 overflows. "
                "Only ever exponentiate −|x| (split on the sign of x)."
            )
        if not np.allclose(got, ref(x), atol=1e-12):
            raise Mistake(
                f"{name} gives wrong values for inputs of size ~1000 (it should be 0, −1 "
                "or 1 there, up to rounding)"
            )

    return SubCheck(f"{name} stays finite for |x| ~ 1000", 0.5, run)


def _grad_from_output(
    name: str, fn: Fn, want: Callable, wrong: Callable, y: np.ndarray, hidden: bool
) -> SubCheck:
    def run() -> None:
        ys = y.copy()
        got = call(fn, ys, what=name, hidden=hidden)
        compare(got, want(y), name, hidden, wrong(y), inputs=f"y = {_fmt(y)}")

    return SubCheck(f"{name}(y) uses the output y", 1.0, run)


def check_sigmoid(sigmoid: Fn, sigmoid_grad_from_output: Fn, seed: int | None = None) -> float:
    """Item 4: σ(x) and σ′ written in terms of the output y = σ(x)."""
    hidden = seed is not None
    x = _points(seed, [-3.0, -0.5, 0.0, 0.8, 4.0], lo=-6, hi=6)
    y = F.sigmoid(_points(None if not hidden else seed + 1, [-2.0, 0.0, 1.5], lo=-4, hi=4))

    def values() -> None:
        got = call(sigmoid, x.copy(), what="sigmoid", hidden=hidden)
        compare(
            got,
            F.sigmoid(x),
            "sigmoid",
            hidden,
            {
                "That is 1 / (1 + e^x): the exponent needs a minus sign, σ(x) = 1 / (1 + e^(−x)).": F.sigmoid(
                    -x
                )
            },
            inputs=_desc(seed, x),
        )

    def wrong(yy):
        return {
            "You applied σ to y again: y is already σ(x), so σ′ = y(1 − y) with no further σ.": F.sigmoid(
                yy
            )
            * (1 - F.sigmoid(yy)),
            "1 − y² is tanh′; the sigmoid's derivative is y(1 − y).": 1 - yy**2,
            "Missing a factor: σ′ = y(1 − y), not 1 − y.": 1 - yy,
        }

    return grade_item(
        "Sigmoid and its derivative",
        [
            SubCheck("sigmoid values", 1.0, values),
            _stability("sigmoid", sigmoid, F.sigmoid, hidden),
            _grad_from_output(
                "sigmoid_grad_from_output",
                sigmoid_grad_from_output,
                F.sigmoid_grad_from_output,
                wrong,
                y,
                hidden,
            ),
        ],
    )


def check_tanh(tanh: Fn, tanh_grad_from_output: Fn, seed: int | None = None) -> float:
    """Item 5: tanh(x) and tanh′ = 1 − y² in terms of the output."""
    hidden = seed is not None
    x = _points(seed, [-2.0, -0.3, 0.0, 0.9, 3.0], lo=-4, hi=4)
    y = np.tanh(_points(None if not hidden else seed + 1, [-1.0, 0.0, 0.6], lo=-3, hi=3))

    def values() -> None:
        got = call(tanh, x.copy(), what="tanh", hidden=hidden)
        compare(
            got,
            np.tanh(x),
            "tanh",
            hidden,
            {
                "That is σ(x), not tanh(x) = 2σ(2x) − 1.": F.sigmoid(x),
                "That is σ(2x): tanh(x) = 2σ(2x) − 1.": F.sigmoid(2 * x),
                "That is 2σ(x) − 1 = tanh(x/2): the argument of σ must be 2x.": 2 * F.sigmoid(x)
                - 1,
            },
            inputs=_desc(seed, x),
        )

    def wrong(yy):
        return {
            "You applied tanh to y again: y is already tanh(x), so tanh′ = 1 − y².": 1
            - np.tanh(yy) ** 2,
            "y(1 − y) is the sigmoid's derivative; tanh′ = 1 − y².": yy * (1 - yy),
            "Square y: tanh′ = 1 − y², not 1 − y.": 1 - yy,
            "Sign error: tanh′ = 1 − y², which is at most 1.": 1 + yy**2,
        }

    return grade_item(
        "Tanh and its derivative",
        [
            SubCheck("tanh values", 1.0, values),
            _stability("tanh", tanh, np.tanh, hidden),
            _grad_from_output(
                "tanh_grad_from_output",
                tanh_grad_from_output,
                F.tanh_grad_from_output,
                wrong,
                y,
                hidden,
            ),
        ],
    )


# --- 5. softmax and cross-entropy ------------------------------------------------------------------
def _logits(seed: int | None, scale: float = 2.0) -> np.ndarray:
    if seed is None:
        return np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    rng = np.random.default_rng(seed)
    return scale * rng.standard_normal((int(rng.integers(4, 8)), int(rng.integers(3, 6))))


def _labels(z: np.ndarray, seed: int | None) -> np.ndarray:
    if seed is None:
        return np.arange(z.shape[0]) % z.shape[1]
    return np.random.default_rng(seed + 7).integers(0, z.shape[1], z.shape[0])


def check_softmax(softmax: Fn, seed: int | None = None) -> float:
    """Item 6: row-wise softmax, stable for large logits."""
    hidden = seed is not None
    z = _logits(seed)
    desc = "the hidden logits" if hidden else f"z = {_fmt(z)}"

    def values() -> None:
        zz = z.copy()
        got = call(softmax, zz, what="softmax", hidden=hidden)
        if not np.array_equal(zz, z):
            raise Mistake(
                "softmax changed its input in place (z -= ... ?); write z - z.max(...) "
                "so the caller's logits stay as they were"
            )
        compare(
            got,
            F.softmax(z, axis=1),
            "softmax",
            hidden,
            {
                "Each column sums to 1: normalise along each row (axis=1), one example per row.": F.softmax(
                    z, axis=0
                ),
                "The whole batch sums to 1: normalise each row separately (axis=1, keepdims=True).": np.exp(
                    z - z.max()
                )
                / np.exp(z - z.max()).sum(),
            },
            inputs=desc,
        )

    def large() -> None:
        big = z * 400 + 1000.0  # logits around 1e3
        got = as_array(call(softmax, big.copy(), what="softmax", hidden=hidden), "softmax")
        if got.shape != big.shape or not np.all(np.isfinite(got)):
            raise Mistake(
                "softmax gives nan or inf for logits around 1000: e^1000 overflows. "
                "Subtract each row's max first; it does not change the result."
            )
        if not np.allclose(got, F.softmax(big, axis=1), atol=1e-12):
            raise Mistake("softmax is finite but wrong for logits around 1000")

    def per_row() -> None:
        mixed = np.stack([z[0], z[1] + 1000.0])  # rows on very different scales
        got = as_array(call(softmax, mixed.copy(), what="softmax", hidden=hidden), "softmax")
        if got.shape != mixed.shape or not np.allclose(got, F.softmax(mixed, axis=1), atol=1e-12):
            raise Mistake(
                "When one row's logits are ~1000 larger than another's, the smaller row "
                "comes out as nan or 0: subtract each row's own max (keepdims=True), not "
                "the max of the whole batch."
            )

    return grade_item(
        "Stable softmax",
        [
            SubCheck("softmax values, row by row", 1.5, values),
            SubCheck("finite for logits ~1e3 (max subtracted)", 1.0, large),
            SubCheck("the max is taken per row", 0.5, per_row),
        ],
    )


def check_cross_entropy(cross_entropy: Fn, seed: int | None = None) -> float:
    """Item 7: ℒ = −(1/N) Σₙ log p[n, yₙ] from probabilities and integer labels."""
    hidden = seed is not None
    p = F.softmax(_logits(seed), axis=1)
    y = _labels(p, seed)
    n = p.shape[0]
    rows = np.arange(n)
    want = -np.log(p[rows, y]).mean()

    def value() -> None:
        got = call(cross_entropy, p.copy(), y.copy(), what="cross_entropy", hidden=hidden)
        arr = as_array(got, "cross_entropy")
        if arr.size != 1:
            raise Mistake(
                f"cross_entropy should return one number (the batch mean); it returned "
                f"shape {arr.shape}"
            )
        compare(
            arr.reshape(()),
            np.asarray(want),
            "cross_entropy",
            hidden,
            {
                "That is the sum over the batch; the loss is the mean: divide by N.": np.asarray(
                    want * n
                ),
                "The sign is flipped: ℒ = −log p of the true class, which is ≥ 0.": np.asarray(
                    -want
                ),
                "That sums −log p over every class; only the true class's probability counts.": np.asarray(
                    -np.log(p).sum() / n
                ),
            },
            inputs="the probabilities and labels above" if not hidden else "",
        )

    def returns_float() -> None:
        got = call(cross_entropy, p.copy(), y.copy(), what="cross_entropy", hidden=hidden)
        if np.ndim(got) != 0:
            raise Mistake("Return a plain number (float(...)), not an array")

    return grade_item(
        "Cross-entropy",
        [
            SubCheck("mean negative log-likelihood of the true class", 1.5, value),
            SubCheck("returns a scalar", 0.5, returns_float),
        ],
    )


# --- 6. gradient of softmax-cross-entropy with respect to the logits --------------------------------
def check_softmax_ce_grad(grad_fn: Fn, seed: int | None = None) -> float:
    """Item 8: ∂ℒ/∂z = (softmax(z) − onehot(y)) / N."""
    hidden = seed is not None
    z = _logits(seed)
    y = _labels(z, seed)
    n, k = z.shape
    onehot = np.eye(k)[y]
    p = F.softmax(z, axis=1)
    want = (p - onehot) / n
    p_true = p[np.arange(n), y][:, None]
    wrong = {
        "Missing 1/N: the loss averages over the batch, so its gradient is (ŷ − y) / N.": p
        - onehot,
        "The sign is flipped: ∂ℒ/∂z = ŷ − y (it is positive for the wrong classes).": -want,
        "Component i must be −(1[i = ℓ] − ŷᵢ) with ŷ of class i itself, not ŷ_ℓ of the true class.": (
            p_true - onehot
        )
        / n,
        "The logits were used without the softmax: the gradient is softmax(z) − y, not z − y.": (
            z - onehot
        )
        / n,
        "One-hot labels are missing: only ŷ / N is there, subtract 1 in each row's true column.": p
        / n,
    }

    def shape() -> None:
        got = as_array(
            call(grad_fn, z.copy(), y.copy(), what="softmax_ce_grad", hidden=hidden),
            "softmax_ce_grad",
        )
        if got.shape != z.shape:
            raise Mistake(
                "The gradient must have the shape of the logits, (N, K)"
                + ("" if hidden else f" = {z.shape}; got {got.shape}")
            )

    def values() -> None:
        got = call(grad_fn, z.copy(), y.copy(), what="softmax_ce_grad", hidden=hidden)
        compare(got, want, "softmax_ce_grad", hidden, wrong, inputs=f"z = {_fmt(z)}, labels = {y}")

    def large() -> None:
        big = z * 400 + 1000.0
        got = as_array(
            call(grad_fn, big.copy(), y.copy(), what="softmax_ce_grad", hidden=hidden),
            "softmax_ce_grad",
        )
        ref = (F.softmax(big, axis=1) - onehot) / n
        if got.shape != ref.shape or not np.all(np.isfinite(got)):
            raise Mistake("nan or inf for logits around 1000: compute ŷ with your stable softmax")
        if not np.allclose(got, ref, atol=1e-12):
            raise Mistake("finite but wrong for logits around 1000")

    return grade_item(
        "Gradient of softmax-cross-entropy",
        [
            SubCheck("shape (N, K)", 0.5, shape),
            SubCheck("(ŷ − y) / N", 2.0, values),
            SubCheck("stable for logits ~1e3", 0.5, large),
        ],
    )
