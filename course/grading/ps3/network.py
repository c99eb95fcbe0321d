"""ps3 checks for the network: build_mlp and a gradient check of the whole network with its loss.

Students may build on ``course.modules`` here (the layers were ps2's job), so these checks test
behaviour; only ``course.optim`` is off limits (:func:`call_student` enforces it). ``seed=None``
uses the visible checks' fixed sizes; a seed draws others (for hidden tests), and ``hidden=True``
keeps them out of the report.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ... import functional as F
from ...mistakes import UnsummedBiasGradLinear
from ...modules import Linear, Module, Sequential, SoftmaxCrossEntropy, Tanh
from ..core import Disqualified, Mistake, SubCheck, grade_item
from ..diagnose import as_array, close

_OPTIM_FILE = str(Path(__file__).resolve().parents[2] / "optim.py")


def call_student(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call student code; fail the item if it runs course.optim (the optimiser must be their own)."""
    seen: list[str] = []

    def hook(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename == _OPTIM_FILE:
            seen.append(frame.f_code.co_qualname)

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        out = fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    if seen:
        raise Disqualified(
            "your code called course.optim.SGD; write the update yourself, so this item scores 0"
        )
    return out


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

    def layers(model) -> tuple[list, list]:
        params = _params(model)
        w = [p for p in params.values() if np.ndim(p) == 2]
        b = [p for p in params.values() if np.ndim(p) == 1]
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
        return w, b

    def shapes() -> None:
        model = call_student(build_mlp, list(sizes), "relu", 0)
        out = as_array(call_student(model.forward, x.copy()), "model.forward(x)")
        if out.shape != (x.shape[0], sizes[-1]):
            raise Mistake(
                f"model.forward maps (N, {sizes[0]}) to {out.shape[1:]}; expected (N, sizes[-1])"
                if not hidden
                else "the output width is not sizes[-1]"
            )
        layers(model)

    def wiring(activation: str, act) -> None:
        model = call_student(build_mlp, list(sizes), activation, 1)
        w, b = layers(model)
        for p in b:
            p[...] = np.random.default_rng(5).normal(
                0, 0.5, p.shape
            )  # biases start at 0: test them
        got = as_array(call_student(model.forward, x.copy()), "model.forward(x)")
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
        w = [
            p for p in _params(call_student(build_mlp, deep, "relu", 3)).values() if np.ndim(p) == 2
        ]
        again = [
            p for p in _params(call_student(build_mlp, deep, "relu", 3)).values() if np.ndim(p) == 2
        ]
        other = [
            p for p in _params(call_student(build_mlp, deep, "relu", 4)).values() if np.ndim(p) == 2
        ]
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
        reveal=not hidden,
    )


# --- item 2: gradient check of the whole network ----------------------------------------------------
def _net(sizes: list[int], seed: int, first: type = Linear) -> Sequential:
    rng = np.random.default_rng(seed)
    mods: list[Module] = [first(sizes[0], sizes[1], rng=rng)]
    for i, o in zip(sizes[1:-1], sizes[2:], strict=True):
        mods += [Tanh(), Linear(i, o, rng=rng)]
    net = Sequential(*mods)
    for p in net.params.values():
        if p.ndim == 1:
            p[...] = rng.normal(0, 0.1, p.shape)
    return net


def check_network_gradcheck(
    network_gradcheck: Callable[..., Any], *, seed: int | None = None, hidden: bool = False
) -> float:
    """Item 2: ``network_gradcheck(model, loss_fn, x, labels)`` → {param name: relative error}."""
    rng = np.random.default_rng(100 if seed is None else seed)
    sizes = [4, 5, 3] if seed is None else [int(v) for v in rng.integers(3, 6, 3)]
    x = rng.standard_normal((5, sizes[0]))
    labels = rng.integers(0, sizes[-1], 5)

    def run(model) -> dict[str, float]:
        out = call_student(network_gradcheck, model, SoftmaxCrossEntropy(), x.copy(), labels.copy())
        if not isinstance(out, dict):
            raise Mistake(
                f"network_gradcheck should return a dict {{name: relative error}}; "
                f"got a {type(out).__name__}"
            )
        if set(out) != set(model.params):
            raise Mistake(
                "the dict should have one entry per parameter, keyed like model.params "
                "('0.weight', '0.bias', ...)"
            )
        return {k: float(v) for k, v in out.items()}

    def correct() -> None:
        errors = run(_net(sizes, 1))
        bad = [k for k, e in errors.items() if not 0 <= e < 1e-6]
        if bad:
            raise Mistake(
                f"a correct network gets errors ≥ 1e-6 for {bad}: compare ∂ℒ/∂θ from "
                "backward with central differences of the loss, and use rel_error"
            )

    def finds_bug() -> None:
        errors = run(_net(sizes, 2, first=UnsummedBiasGradLinear))
        if errors["0.bias"] < 1e-3:
            raise Mistake(
                "the check passes a network whose first bias gradient is wrong: the "
                "analytic side must come from backward, the numerical side from the loss"
            )
        fine = [k for k in errors if k != "0.bias" and not errors[k] < 1e-6]
        if fine:
            raise Mistake(f"only 0.bias is wrong in this network, yet {fine} fail too")

    def clean() -> None:
        model = _net(sizes, 3)
        before = {k: v.copy() for k, v in model.params.items()}
        first, second = run(model), run(model)
        if any(not np.array_equal(before[k], v) for k, v in model.params.items()):
            raise Mistake("the parameters changed: put every perturbed entry back")
        if any(second[k] > 1e-6 for k in second) and all(first[k] < 1e-6 for k in first):
            raise Mistake(
                "a second call gives large errors: call model.zero_grad() before "
                "backward, because backward adds into grads"
            )

    return grade_item(
        "network_gradcheck",
        [
            SubCheck("tiny errors for a correct network", 1.0, correct),
            SubCheck("flags a wrong bias gradient, and only it", 1.0, finds_bug),
            SubCheck("leaves the model as it was (twice in a row)", 1.0, clean),
        ],
        reveal=not hidden,
    )
