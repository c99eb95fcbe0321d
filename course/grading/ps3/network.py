"""ps3 checks for the network: build_mlp and a gradient check of the whole network with its loss.

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

from ... import functional as F
from ...gradcheck import numerical_gradient, rel_error
from ..core import Mistake, SubCheck, grade_item
from ..diagnose import as_array, close
from ..student import fill, library


def _params(model: Any, what: str = "the model") -> dict[str, np.ndarray]:
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or not callable(getattr(model, "forward", None)):
        raise Mistake(f"{what} should be a Module with forward() and a params dict")
    return params


# --- item 1: build_mlp ------------------------------------------------------------------------------
def _sizes(seed: int | None) -> list[int]:
    if seed is None:
        return [5, 7, 3]
    rng = np.random.default_rng(seed)
    return [int(v) for v in rng.integers(2, 9, int(rng.integers(3, 5)))]


def _manual_forward(weights: list, biases: list, x: np.ndarray, act, last_act=None) -> np.ndarray:
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        x = x @ w.T + b
        if i < len(weights) - 1:
            x = act(x)
    return last_act(x) if last_act else x


def check_build_mlp(
    build_mlp: Callable[..., Any], *, seed: int | None = None, hidden: bool = False
) -> float:
    """Item 1: ``build_mlp(sizes, activation, seed)`` = Linear, g, Linear, g, ..., Linear."""
    sizes = _sizes(seed)
    rng = np.random.default_rng(None if seed is None else seed + 1)
    x = rng.standard_normal((6, sizes[0]))
    shapes_text = "the sizes asked for" if hidden else f"sizes {sizes}"

    def layers(model) -> tuple[list, list, list]:
        params = _params(model)
        w = [p for p in params.values() if np.ndim(p) == 2]
        b = [p for p in params.values() if np.ndim(p) == 1]
        bias_names = [k for k, p in params.items() if np.ndim(p) == 1]
        want = [(o, i) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
        got = [tuple(p.shape) for p in w]
        if got == [s[::-1] for s in want] and got != want:
            raise Mistake(
                "the weights are transposed: a Linear(in, out) holds W of shape (out, in)"
            )
        if len(got) != len(want):
            raise Mistake(
                f"{len(got)} weight matrices for {shapes_text}; expected one Linear per "
                f"pair of consecutive sizes ({len(want)})"
            )
        if got != want or [p.shape for p in b] != [(o,) for o, _ in want]:
            raise Mistake(f"the layer shapes do not follow {shapes_text} in order")
        return w, b, bias_names

    def shapes() -> None:
        model = build_mlp(list(sizes), "relu", 0)
        out = as_array(model.forward(x.copy()), "model.forward(x)")
        if out.shape != (x.shape[0], sizes[-1]):
            raise Mistake(
                f"model.forward maps (N, {sizes[0]}) to {out.shape[1:]}; expected (N, sizes[-1])"
                if not hidden
                else "the output width is not sizes[-1]"
            )
        layers(model)

    def wiring(activation: str, act) -> None:
        model = build_mlp(list(sizes), activation, 1)
        w, b, names = layers(model)
        for i, (name, p) in enumerate(zip(names, b, strict=True)):
            b[i] = np.random.default_rng(5).normal(0, 0.5, p.shape)  # biases start at 0: test them
            fill(model, "params", name, b[i])
        got = as_array(model.forward(x.copy()), "model.forward(x)")
        want = _manual_forward(w, b, x, act)
        wrong = {
            "an activation follows the last Linear; the logits must be left as they are "
            "(SoftmaxCrossEntropy applies the softmax)": _manual_forward(w, b, x, act, act),
            "no activation between the Linear layers: the network is linear": _manual_forward(
                w, b, x, lambda t: t
            ),
        }
        if activation == "tanh":
            wrong["the activation is ReLU; build_mlp(..., activation='tanh') needs Tanh"] = (
                _manual_forward(w, b, x, F.relu)
            )
        if close(got, want):
            return
        for why, value in wrong.items():
            if close(got, value):
                raise Mistake(why)
        raise Mistake(
            f"with activation='{activation}' the output is not Linear, {activation}, "
            "..., Linear applied to x"
        )

    def seeding() -> None:
        deep = [6, 6, 6, 6]

        def weights(seed: int) -> list:
            return [p for p in _params(build_mlp(deep, "relu", seed)).values() if np.ndim(p) == 2]

        w, again, other = weights(3), weights(3), weights(4)
        if not all(np.array_equal(a, b) for a, b in zip(w, again, strict=True)):
            raise Mistake("the same seed gave different weights: pass the seed on to the layers")
        if all(np.array_equal(a, b) for a, b in zip(w, other, strict=True)):
            raise Mistake("different seeds gave the same weights: the seed is ignored")
        if np.array_equal(w[0], w[1]):
            raise Mistake(
                "two layers of the same shape got identical weights: make one "
                "rng = np.random.default_rng(seed) and pass that rng to every Linear"
            )

    return grade_item(
        "build_mlp",
        [
            SubCheck("one Linear per pair of sizes, right shapes", 1.0, shapes),
            SubCheck(
                "Linear, ReLU, ..., Linear (no activation last)",
                1.0,
                lambda: wiring("relu", F.relu),
            ),
            SubCheck("activation='tanh' gives Tanh", 0.5, lambda: wiring("tanh", np.tanh)),
            SubCheck("seeded: reproducible, layers differ", 0.5, seeding),
        ],
        hidden=hidden,
    )


# --- item 2: gradient check of the whole network ----------------------------------------------------
PROBES = "course.grading.ps3.probes"
TINY = 1e-6  # a relative error below this says "right"
FACTOR = 3.0  # a wrong gradient's reported error must be within this factor of the true one


@dataclass(frozen=True)
class _Case:
    """A network (Linear, Tanh, ..., Linear), its weights, the penalties planted in some gradients
    (parameter name → extra factor, see :class:`.probes.Linear`), and a batch."""

    sizes: tuple[int, ...]
    weights: dict[str, np.ndarray]
    extra: dict[str, float]
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
        extra = (case.extra.get(f"{at}.weight", 0.0), case.extra.get(f"{at}.bias", 0.0))
        mods.append(linear(fan_in, fan_out, *extra))
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


def true_errors(case: _Case, eps: float = 1e-6) -> dict[str, float]:
    """What a correct ``network_gradcheck`` returns for ``case``, computed here, on this process's
    own copy of the network the student's function is given."""
    model, loss = _build(None, case), _loss(None)
    analytic = _gradients(model, loss, case)

    def f(_perturbed: np.ndarray) -> float:
        return loss(model(case.x), case.labels)

    return {
        name: rel_error(analytic[name], numerical_gradient(f, p, eps))
        for name, p in model.params.items()
    }


def _case(rng: np.random.Generator, sizes: list[int], n: int, targets: list[float]) -> _Case:
    """Random weights and batch; one planted penalty per target, each sized so that the true
    relative error is about that target (the exact values come from :func:`true_errors`)."""
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
        # rel_error(g + λθ, g) ≈ λ‖θ‖ / 2‖g‖ while it is small
        g, p = np.linalg.norm(grads[name]), np.linalg.norm(weights[name])
        extra[name] = float(2 * target * g / (p * (1 - target)))
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


def _compare(got: dict[str, float], truth: dict[str, float], hidden: bool) -> None:
    """The student's errors against the true ones: tiny where the gradient is right, within
    :data:`FACTOR` of the truth where it is wrong."""

    def which(names: list[str]) -> str:
        return "" if hidden else f" ({', '.join(names)})"

    wrong = [k for k, t in truth.items() if t >= TINY]
    missed = [k for k in wrong if not got[k] >= TINY]
    if missed:
        raise Mistake(
            f"the check misses a wrong gradient{which(missed)}: the analytic side must come "
            "from backward, the numerical side from central differences of the loss"
        )
    alarms = [k for k, t in truth.items() if t < TINY and not 0 <= got[k] < TINY]
    if alarms:
        raise Mistake(
            f"errors ≥ 1e-6 where the gradient is right{which(alarms)}: compare ∂ℒ/∂θ from "
            "backward with central differences of the loss, and use rel_error"
        )
    off = [k for k in wrong if not truth[k] / FACTOR <= got[k] <= truth[k] * FACTOR]
    if off:
        raise Mistake(
            f"a wrong gradient is flagged, but its error is not rel_error(analytic, numerical) "
            f"(off by more than a factor {FACTOR:g}{which(off)})"
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
        if not isinstance(out, dict):
            raise Mistake(
                f"network_gradcheck should return a dict {{name: relative error}}; "
                f"got a {type(out).__name__}"
            )
        if set(out) != set(case.weights):
            raise Mistake(
                "the dict should have one entry per parameter, keyed like model.params "
                "('0.weight', '0.bias', ...)"
            )
        try:
            return {k: float(v) for k, v in out.items()}
        except (TypeError, ValueError):
            raise Mistake("each relative error should be a number") from None

    def matches(*names: str) -> Callable[[], None]:
        def go() -> None:
            for name in names:
                case = cases[name]
                _compare(run(_build(network_gradcheck, case), case), true_errors(case), hidden)

        return go

    def clean() -> None:
        case = cases["twice"]
        truth = true_errors(case)
        model = _build(network_gradcheck, case)
        before = {k: np.array(v, copy=True) for k, v in model.params.items()}
        first, second = run(model, case), run(model, case)
        if any(not np.array_equal(before[k], v) for k, v in model.params.items()):
            raise Mistake("the parameters changed: put every perturbed entry back")
        _compare(first, truth, hidden)
        try:
            _compare(second, truth, hidden)
        except Mistake:
            raise Mistake(
                "a second call on the same model gives other errors: call model.zero_grad() "
                "before backward, because backward adds into grads"
            ) from None

    return grade_item(
        "network_gradcheck",
        [
            SubCheck("true errors: wrong gradients in a network", 1.0, matches("wrong")),
            SubCheck("true errors: a right network, a deeper one", 1.0, matches("right", "deeper")),
            SubCheck("leaves the model as it was (twice in a row)", 1.0, clean),
        ],
        hidden=hidden,
    )
