"""ps3 check for the network: a gradient check of the whole network with its loss.

Students may build on ``course.modules`` here (the layers were ps2's job), so these checks test
behaviour. ``seed=None`` uses the visible checks' fixed sizes; a seed draws others (for hidden
tests), and ``hidden=True`` keeps them out of the report.

In the autograder the student's functions are stand-ins for objects in the sandbox: everything
the checks hand them (models, losses) is built there with :func:`~course.grading.student.library`
and filled with :func:`~course.grading.student.fill`; what comes back is plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...gradcheck import numerical_gradient, rel_error
from ..core import KnownMistake, Mistake, NotTested, SubCheck, grade_item
from ..student import fill, library


def _params(model: Any, what: str = "the model") -> dict[str, np.ndarray]:
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or not callable(getattr(model, "forward", None)):
        raise Mistake(f"{what} should be a Module with forward() and a params dict")
    return params


# --- item 2: gradient check of the whole network ----------------------------------------------------
PROBES = "course.grading.ps3.probes"
# A relative error below this says "right": central differences (eps 1e-6 or 1e-5) stay under
# 2.5e-9 on these networks, one-sided ones over 2.4e-8 (measured over 60 seeds × 4 networks).
TINY = 1e-8
FACTOR = 3.0  # a wrong gradient's reported error must be within this factor of the true one


@dataclass(frozen=True)
class _Case:
    """A network (Linear, Tanh, ..., Linear), its weights, the errors planted in some gradients
    (parameter name → (amount, flat index of the one wrong entry), see :class:`.probes.Linear`),
    and a batch."""

    sizes: tuple[int, ...]
    weights: dict[str, np.ndarray]
    extra: dict[str, tuple[float, int]]
    x: np.ndarray
    labels: np.ndarray


def _build(near: Any, case: _Case) -> Any:
    """The case's network on the student's side of ``near`` (here, for ``near=None``)."""
    linear = library(near, PROBES, "Linear")
    tanh = library(near, "course.modules", "Tanh")
    mods: list = []
    for i, (fan_in, fan_out) in enumerate(zip(case.sizes[:-1], case.sizes[1:], strict=True)):
        if i:
            mods.append(tanh())
        at = len(mods)
        (w, w_at), (b, b_at) = (case.extra.get(f"{at}.{p}", (0.0, 0)) for p in ("weight", "bias"))
        mods.append(linear(fan_in, fan_out, w, b, w_at, b_at))
    net = library(near, "course.modules", "Sequential")(*mods)
    for name, value in case.weights.items():
        fill(net, "params", name, value)
    return net


def _loss(near: Any) -> Any:
    return library(near, "course.modules", "SoftmaxCrossEntropy")()


def _gradients(model: Any, loss: Any, case: _Case) -> dict[str, np.ndarray]:
    model.zero_grad()
    loss(model(case.x), case.labels)
    model.backward(loss.backward())
    return {name: g.copy() for name, g in model.grads.items()}


def _largest_difference(analytic: np.ndarray, numerical: np.ndarray) -> float:
    """max |analytic − numerical|: the absolute measure students reach for instead of rel_error."""
    return float(np.abs(analytic - numerical).max())


def true_errors(
    case: _Case, eps: float = 1e-6, measure: Callable[..., float] = rel_error
) -> dict[str, float]:
    """What a correct ``network_gradcheck`` returns for ``case``, computed here, on this process's
    own copy of the network the student's function is given (with another ``measure``, what a
    check using that measure returns)."""
    model, loss = _build(None, case), _loss(None)
    analytic = _gradients(model, loss, case)

    def f(_perturbed: np.ndarray) -> float:
        return loss(model(case.x), case.labels)

    return {
        name: measure(analytic[name], numerical_gradient(f, p, eps))
        for name, p in model.params.items()
    }


def _case(rng: np.random.Generator, sizes: list[int], n: int, targets: list[float]) -> _Case:
    """Random weights and batch; one planted error per target, in one entry of the later half of
    a parameter (a check that samples a few entries misses it), sized so that the true relative
    error is about that target (the exact values come from :func:`true_errors`)."""
    weights: dict[str, np.ndarray] = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        weights[f"{2 * i}.weight"] = rng.normal(0, np.sqrt(2 / fan_in), (fan_out, fan_in))
        weights[f"{2 * i}.bias"] = rng.normal(0, 0.5, fan_out)
    x = rng.standard_normal((n, sizes[0]))
    labels = rng.integers(0, sizes[-1], n)
    plain = _Case(tuple(sizes), weights, {}, x, labels)
    grads = _gradients(_build(None, plain), _loss(None), plain)
    names = [str(k) for k in rng.permutation(list(weights))[: len(targets)]]
    extra = {}
    for name, target in zip(names, targets, strict=True):
        # rel_error(g + δ e_k, g) ≈ δ / 2‖g‖ while it is small
        size = grads[name].size
        at = int(rng.integers(size // 2, size)) if size > 1 else 0
        extra[name] = (float(2 * target * np.linalg.norm(grads[name]) / (1 - target)), at)
    return _Case(tuple(sizes), weights, extra, x, labels)


def _cases(seed: int | None) -> dict[str, _Case]:
    """The networks of the three sub-checks. Their sizes and batches, which parameters have a
    wrong gradient and how large its error is all come from the seed; a network with wrong
    gradients has two, with errors at least 16× apart, so that no single guess is within
    :data:`FACTOR` of both."""
    rng = np.random.default_rng(100 if seed is None else seed)

    def sizes(k: int) -> list[int]:
        return [4, 5, 3] if seed is None else [int(v) for v in rng.integers(3, 6, k)]

    def batch() -> int:
        return 5 if seed is None else int(rng.integers(4, 9))

    def wrong() -> list[float]:
        return [float(10 ** rng.uniform(-3.5, -2.5)), float(10 ** rng.uniform(-1.3, -0.5))]

    return {
        "wrong": _case(rng, sizes(3), batch(), wrong()),
        "right": _case(rng, sizes(3), batch(), []),
        "deeper": _case(rng, sizes(4), batch(), wrong()),
        "twice": _case(rng, sizes(3), batch(), wrong()),
    }


def _which(names: list[str], hidden: bool) -> str:
    return "" if hidden else f" ({', '.join(names)})"


class WrongMeasure(KnownMistake):
    """A check that finds the wrong gradients but sizes their errors with another measure."""


def _flags(
    got: dict[str, float], truth: dict[str, float], hidden: bool, absolute: dict[str, float]
) -> None:
    """Where the gradient is wrong, the student's error is within :data:`FACTOR` of the truth
    (``absolute``: what the largest absolute difference gives, a mistake of its own)."""
    _not_moved(got)
    wrong = [k for k, t in truth.items() if t >= TINY]
    missed = [k for k in wrong if not got[k] >= TINY]
    if missed:
        raise Mistake(
            f"the check misses a wrong gradient{_which(missed, hidden)}: compare every entry of "
            "each parameter (one wrong entry is enough to be wrong), the analytic side from "
            "backward, the numerical side from central differences of the loss"
        )
    off = [k for k in wrong if not truth[k] / FACTOR <= got[k] <= truth[k] * FACTOR]
    if off and all(absolute[k] / FACTOR <= got[k] <= absolute[k] * FACTOR for k in wrong):
        raise WrongMeasure(
            "the errors are the largest absolute difference |analytic − numerical|: use the "
            "relative error rel_error(analytic, numerical), which compares across parameters "
            "of any size"
        )
    if off:
        raise Mistake(
            f"a wrong gradient is flagged, but its error is not the relative error "
            f"rel_error(analytic, numerical) "
            f"(off by more than a factor {FACTOR:g}{_which(off, hidden)})"
        )


def _not_moved(got: dict[str, float]) -> None:
    """Errors of exactly 1 everywhere: the numerical gradient was 0, the loss never moved."""
    if got and all(abs(v - 1.0) < 1e-9 for v in got.values()):
        raise Mistake("every error is 1: the numerical gradient is 0 because the loss never "
                      "moved; perturb the model's own parameter array in place (p[i] += eps), "
                      "not a copy of it")  # fmt: skip


def _quiet(got: dict[str, float], truth: dict[str, float], hidden: bool) -> None:
    """Where the gradient is right, the student's error is below :data:`TINY`, as central
    differences give (a one-sided difference leaves ~1e-7: its truncation error)."""
    alarms = [k for k, t in truth.items() if t < TINY and not 0 <= got[k] < TINY]
    if not alarms:
        return
    worst = max((got[k] for k in alarms), default=0.0)
    if 0 < worst < 1e-3:
        raise Mistake(
            f"errors from 1e-8 up to about 1e-3 where the gradient is right{_which(alarms, hidden)}: "
            "that is the truncation error of a one-sided difference (f(θ + ε) − f(θ)) / ε, or of "
            "a step larger than the eps given; use central differences with eps"
        )
    raise Mistake(
        f"large errors where the gradient is right{_which(alarms, hidden)}: compare ∂ℒ/∂θ from "
        "backward with central differences of the loss, and use rel_error"
    )


def check_network_gradcheck(
    network_gradcheck: Callable[..., Any], *, seed: int | None = None, hidden: bool = False
) -> float:
    """Item 2: ``network_gradcheck(model, loss_fn, x, labels)`` → {param name: relative error}.

    Each network hides penalties in some gradients, of sizes drawn from the seed; the grader
    builds the same network itself, computes the true relative errors, and asks for those: tiny
    where the gradient is right, within a factor of the truth where it is wrong. A constant, or
    an answer that depends only on the parameter names, cannot match them.
    """
    cases = _cases(seed)

    def run(model: Any, case: _Case) -> dict[str, float]:
        out = network_gradcheck(model, _loss(network_gradcheck), case.x.copy(), case.labels.copy())
        names = list(case.weights)  # model.params' order: '0.weight', '0.bias', '2.weight', ...
        if isinstance(out, list | tuple) and len(out) == len(names):
            memo["by_index"] = True  # the right numbers in model.params' order: one charge
            out = dict(zip(names, out, strict=True))
        if not isinstance(out, dict):
            raise Mistake(
                f"network_gradcheck should return a dict {{name: relative error}}; "
                f"got a {type(out).__name__}"
            )
        if set(out) == set(range(len(names))) or set(out) == {str(i) for i in range(len(names))}:
            memo["by_index"] = True  # right errors under the wrong keys: that costs one sub-check
            out = {names[int(k)]: v for k, v in out.items()}
        if set(out) != set(case.weights):
            raise Mistake(
                "the dict should have one entry per parameter, keyed like model.params "
                "('0.weight', '0.bias', ...)"
            )
        try:
            return {k: float(v) for k, v in out.items()}
        except (TypeError, ValueError):
            raise Mistake("each relative error should be a number") from None

    memo: dict[str, Any] = {}

    def result(name: str) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """(the student's errors, the true errors, the largest absolute differences) for a fresh
        copy of network ``name``."""
        if name not in memo:
            case = cases[name]
            got = run(_build(network_gradcheck, case), case)
            memo[name] = (got, true_errors(case), true_errors(case, measure=_largest_difference))
        return memo[name]

    def flags() -> None:
        for name in ("wrong", "deeper"):
            got, truth, absolute = result(name)
            _flags(got, truth, hidden, absolute)
        if memo.get("by_index"):
            raise KnownMistake("the errors come by position (a list, or keys 0, 1, 2, ...): "
                               "return a dict keyed by parameter name, like model.params "
                               "('0.weight', '0.bias', ...)")  # fmt: skip

    def real() -> None:
        """Quiet errors, or an untouched model, count only for a check that finds the wrong
        gradients (with any measure): a constant, or a guess from the names, earns nothing."""
        try:
            flags()
        except WrongMeasure:
            pass
        except KnownMistake:
            if not memo.get("by_index"):
                raise
        except Mistake as exc:
            raise NotTested(exc, "its errors are not those of a gradient check") from None

    def quiet() -> None:
        real()
        for name in ("wrong", "right", "deeper"):
            got, truth, _ = result(name)
            _quiet(got, truth, hidden)

    def clean() -> None:
        real()
        case = cases["twice"]
        model = _build(network_gradcheck, case)
        before = {k: np.array(v, copy=True) for k, v in model.params.items()}
        first, second = run(model, case), run(model, case)
        if any(not np.array_equal(before[k], v) for k, v in model.params.items()):
            raise Mistake("the parameters changed: put every perturbed entry back")
        if any(not abs(first[k] - second[k]) <= 0.1 * abs(first[k]) + TINY for k in first):
            raise Mistake(
                "a second call on the same model gives other errors: call model.zero_grad() "
                "before backward, because backward adds into grads"
            )

    return grade_item(
        "network_gradcheck",
        [
            SubCheck(
                "flags each wrong gradient with its true error",
                1.0,
                flags,
            ),
            SubCheck(
                "below 1e-8 where the gradient is right",
                1.0,
                quiet,
            ),
            SubCheck("leaves the model as it was (twice in a row)", 1.0, clean),
        ],
        hidden=hidden,
    )
