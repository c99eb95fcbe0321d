"""ps3 checks for training: SGD with momentum, the minibatch loop, and the digits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import catalogue
from ..core import KnownMistake, Mistake, SubCheck, grade_item
from ..diagnose import as_array, audit, close
from ..student import fill, library
from . import digits
from .network import _params

TIME_BUDGET = 20.0  # seconds of training allowed for fit_digits (the grader's clock)
PASS_ACCURACY, FULL_ACCURACY = 0.90, 0.95
LEARNED_ACCURACY = 0.30  # the time point needs a model that learned something (chance: 10%)


# --- item 3: SGD with momentum ----------------------------------------------------------------------
def _tiny_net(near: Any = None) -> Any:
    """Sequential(Linear(2, 3), Linear(3, 1)), seeded, on the student's side of ``near``."""
    seq = library(near, "course.modules", "Sequential")
    lin = library(near, "course.modules", "Linear")
    return seq(lin(2, 3, rng=7), lin(3, 1, rng=8))


def _flat(params: dict) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in params.values()])


def _rule_path(rule: Callable, lr: float, mu: float, grads: list) -> list[np.ndarray]:
    net = _tiny_net()
    arrays = list(net.params.values())
    vel = [np.zeros_like(a) for a in arrays]
    path = []
    for gs in grads:
        for a, v, g in zip(arrays, vel, gs, strict=True):
            v[...], step = rule(v, g, lr, mu)
            a -= step
        path.append(np.concatenate([a.ravel() for a in arrays]))
    return path


def check_sgd(
    MomentumSGD: Callable[..., Any], *, seed: int | None = None, hidden: bool = False
) -> float:
    """Item 3: ``MomentumSGD(model, lr, momentum)``: v ← μv + g, θ ← θ − ηv, in place, per parameter."""
    rng = np.random.default_rng(200 if seed is None else seed)
    # lr ≠ 1 − μ, so that "lr applied twice" and the (1 − μ) convention differ on visible data
    lr, mu = (0.05, 0.8) if seed is None else (rng.uniform(0.05, 0.3), rng.uniform(0.5, 0.95))
    lr, mu = float(lr), float(mu)
    shapes = [a.shape for a in _tiny_net().params.values()]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(4)]

    def student_path(momentum: float) -> list[np.ndarray]:
        net = _tiny_net(MomentumSGD)  # on the student's side: their optimiser updates it there
        names = list(net.params)
        opt = MomentumSGD(net, lr, momentum)
        path = []
        for gs in grads:
            for name, g in zip(names, gs, strict=True):
                fill(net, "grads", name, g)
            opt.step()
            path.append(_flat(net.params))  # what the model sees now
        return path

    def same(momentum: float) -> None:
        paths = {why: np.concatenate(_rule_path(rule, lr, momentum, grads))
                 for why, rule in catalogue.MOMENTUM.items()}  # fmt: skip
        if momentum:  # at μ = 0 "momentum ignored" is the right plain step
            audit(f"momentum {momentum:g}", paths["right"],
                  [(w, p) for w, p in paths.items() if w != "right"])  # fmt: skip
        got = student_path(momentum)
        for why, rule in catalogue.MOMENTUM.items():  # "right" comes first
            if all(
                close(a, b) for a, b in zip(got, _rule_path(rule, lr, momentum, grads), strict=True)
            ):
                if why == "right":
                    return
                raise KnownMistake(why)
        start = _flat(_tiny_net().params)
        if all(close(p, start) for p in got):
            raise Mistake(
                "the parameters never change: `p = p - ...` makes a new array the model "
                "never sees; update in place with `p -= ...`"
            )
        raise Mistake("the parameters do not follow v ← μv + g, θ ← θ − ηv")

    def zero() -> None:
        net = _tiny_net(MomentumSGD)
        for name, a in net.grads.items():
            fill(net, "grads", name, np.ones_like(a))
        MomentumSGD(net, lr, mu).zero_grad()
        if any(bool((np.asarray(a) != 0).any()) for a in net.grads.values()):
            raise Mistake("zero_grad() should set every gradient to 0, in place (g[...] = 0)")

    return grade_item(
        "MomentumSGD",
        [
            SubCheck("plain step θ ← θ − ηg (momentum 0)", 1.0, lambda: same(0.0)),
            SubCheck("momentum: v ← μv + g, θ ← θ − ηv", 1.5, lambda: same(mu)),
            SubCheck("zero_grad clears every gradient", 0.5, zero),
        ],
        hidden=hidden,
    )


# --- item 5: the digits -----------------------------------------------------------------------------
def _is_model(obj: Any) -> bool:
    try:
        _params(obj)
    except Mistake:
        return False
    return True


def check_digits(
    fit_digits: Callable[..., Any], *, seed: int | None = None, hidden: bool = False
) -> float:
    """Item 5: ``fit_digits(x_train, y_train)`` → (model, losses); test accuracy and training time.

    The test rows are held out (see :mod:`.digits`): in the autograder the sandbox has no copy of
    their labels, the model's scores for them come back as data and are marked here, and the
    training time is this process's clock around the call.
    """
    split = digits.split(seed)
    cache: dict[str, Any] = {}

    def once(key: str, make: Callable[[], Any]) -> Any:
        """``make()`` the first time; later calls repeat its value or its exception (a training
        that fails or runs out of time costs that time once, not once per sub-check)."""
        if key not in cache:
            try:
                cache[key] = (True, make())
            except Exception as exc:
                cache[key] = (False, exc)
        ok, value = cache[key]
        if not ok:
            raise value
        return value

    def train() -> tuple[Any, float]:
        start = time.perf_counter()
        out = fit_digits(split.x_train.copy(), split.y_train.copy())
        seconds = time.perf_counter() - start
        if isinstance(out, tuple) and len(out) == 2 and _is_model(out[1]) and not _is_model(out[0]):
            cache["swapped"] = True  # (losses, model): the model is judged, the order costs
            return out[1], seconds
        return (out[0] if isinstance(out, tuple) else out), seconds  # (model, losses) is fine

    def measure() -> float:
        model, _ = once("fit", train)
        _params(model, "what fit_digits returns")
        scores = as_array(model.forward(split.x_test.copy()), "model.forward(x_test)")
        if scores.shape != (len(split.y_test), split.n_classes):
            raise Mistake("model.forward(x) should give one score per class, shape (N, 10)")
        return float((scores.argmax(axis=1) == split.y_test).mean())

    def at_least(level: float) -> Callable[[], None]:
        def run() -> None:
            acc = once("accuracy", measure)
            if not acc >= level:
                raise Mistake(f"test accuracy {acc:.2%} < {level:.0%}")

        return run

    def fast() -> None:
        _, seconds = once("fit", train)
        if cache.get("swapped"):
            raise Mistake("fit_digits returned (losses, model): return (model, losses), the "
                          "model first")  # fmt: skip
        if seconds > TIME_BUDGET:
            raise Mistake(f"training took {seconds:.0f} s; the budget is {TIME_BUDGET:.0f} s")
        acc = once("accuracy", measure)
        if not acc >= LEARNED_ACCURACY:
            raise Mistake(
                f"test accuracy {acc:.2%} < {LEARNED_ACCURACY:.0%}: the time counts only for a "
                "model that learned something"
            )

    return grade_item(
        "Training on the digits",
        [
            SubCheck(f"test accuracy ≥ {PASS_ACCURACY:.0%}", 1.0, at_least(PASS_ACCURACY)),
            SubCheck(f"test accuracy ≥ {FULL_ACCURACY:.0%}", 1.0, at_least(FULL_ACCURACY)),
            SubCheck(f"trained to ≥ {LEARNED_ACCURACY:.0%} within {TIME_BUDGET:.0f} s", 1.0, fast),
        ],
        hidden=hidden,
        timeout=2 * TIME_BUDGET,
    )
