"""ps3 check for ``build_mlp``: the layer shapes, the wiring of the activations, the seeding.

Students may build on ``course.modules`` here (the layers were ps2's job), so the check tests
behaviour: what the model computes, not which classes it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ... import functional as F
from ..core import Mistake, SubCheck, grade_item
from ..diagnose import as_array, close
from ..student import fill
from .network import _params


# --- item 1: build_mlp ------------------------------------------------------------------------------
def _sizes(seed: int | None) -> list[int]:
    if seed is None:
        return [5, 7, 6, 3]  # two activations: a module shared between them shows
    rng = np.random.default_rng(seed)
    return [int(v) for v in rng.integers(2, 9, int(rng.integers(3, 5)))]


def _manual_forward(weights: list, biases: list, x: np.ndarray, act, last_act=None) -> np.ndarray:
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        x = x @ w.T + b
        if i < len(weights) - 1:
            x = act(x)
    return last_act(x) if last_act else x


def _backward_too(model: Any, w: list, b: list, x: np.ndarray, activation: str) -> None:
    """model.backward(g) returns ∂ℒ/∂x of the same network, computed here by hand."""
    g = np.random.default_rng(6).standard_normal((x.shape[0], w[-1].shape[0]))
    hs, zs = [x], []
    for i, (wi, bi) in enumerate(zip(w, b, strict=True)):
        zs.append(hs[-1] @ wi.T + bi)
        hs.append(
            zs[-1] if i == len(w) - 1 else (F.relu if activation == "relu" else np.tanh)(zs[-1])
        )
    d = g
    for i in reversed(range(len(w))):
        if i < len(w) - 1:
            d = d * ((zs[i] > 0) if activation == "relu" else 1 - np.tanh(zs[i]) ** 2)
        d = d @ w[i]
    try:
        got = as_array(model.backward(g.copy()), "model.backward(g)")
    except Exception:  # noqa: BLE001 (a cache overwritten by another layer breaks the shapes)
        got = None
    if got is None or got.shape != d.shape or not close(got, d):
        raise Mistake(
            "the forward pass is right but backward is not: the same activation module "
            "shared by every depth keeps only its last input; give each layer its own instance"
        )


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
        wrong[
            "an activation comes before the first Linear: the raw input x must go straight "
            "into the first Linear"
        ] = _manual_forward(w, b, act(x), act)
        if activation == "tanh":
            wrong["the activation is ReLU; build_mlp(..., activation='tanh') needs Tanh"] = (
                _manual_forward(w, b, x, F.relu)
            )
        if close(got, want):
            if activation == "relu":  # once is enough: the tanh sub-check asks for Tanh only
                _backward_too(model, w, b, x, activation)
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
