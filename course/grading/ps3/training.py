"""ps3 checks for training: SGD with momentum, the minibatch loop, and the digits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ...data import make_blobs
from ..core import Mistake, SubCheck, grade_item
from ..diagnose import as_array, close
from ..student import fill, library
from . import digits
from .network import _params

TIME_BUDGET = 20.0  # seconds of training allowed for fit_digits (the grader's clock)
PASS_ACCURACY, FULL_ACCURACY = 0.90, 0.95
LEARNED_ACCURACY = 0.30  # the time point needs a model that learned something (chance: 10%)
PROBES = "course.grading.ps3.probes"


# --- item 3: SGD with momentum ----------------------------------------------------------------------
def _tiny_net(near: Any = None) -> Any:
    """Sequential(Linear(2, 3), Linear(3, 1)), seeded, on the student's side of ``near``."""
    seq = library(near, "course.modules", "Sequential")
    lin = library(near, "course.modules", "Linear")
    return seq(lin(2, 3, rng=7), lin(3, 1, rng=8))


def _flat(params: dict) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in params.values()])


# Update rules as (new velocity, step) from (v, g, lr, μ): the right one and the usual wrong ones.
_RULES: dict[str, Callable] = {
    "right": lambda v, g, lr, mu: (mu * v + g, lr * (mu * v + g)),
    "the momentum is ignored: keep a velocity per parameter from one step to the next": lambda v, g, lr, mu: (
        g,
        lr * g,
    ),
    "v ← μv + (1 − μ)g is another convention; this course uses v ← μv + g": lambda v, g, lr, mu: (
        mu * v + (1 - mu) * g,
        lr * (mu * v + (1 - mu) * g),
    ),
    "the learning rate is applied twice (v ← μv + ηg, then θ ← θ − ηv)": lambda v, g, lr, mu: (
        mu * v + lr * g,
        lr * (mu * v + lr * g),
    ),
    "the update goes uphill: θ ← θ − ηv, with a minus sign": lambda v, g, lr, mu: (
        mu * v + g,
        -lr * (mu * v + g),
    ),
}


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
    lr, mu = (0.1, 0.9) if seed is None else (rng.uniform(0.05, 0.3), rng.uniform(0.5, 0.95))
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
        got = student_path(momentum)
        for why, rule in _RULES.items():  # "right" comes first
            if all(
                close(a, b) for a, b in zip(got, _rule_path(rule, lr, momentum, grads), strict=True)
            ):
                if why == "right":
                    return
                raise Mistake(why)
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


# --- item 4: the minibatch training loop ------------------------------------------------------------
def check_train(
    train_epochs: Callable[..., Any], *, seed: int | None = None, hidden: bool = False
) -> float:
    """Item 4: ``train_epochs(model, loss_fn, optimizer, x, y, epochs, batch_size, rng)``."""
    rng = np.random.default_rng(300 if seed is None else seed)
    n, bs = (50, 16) if seed is None else (int(rng.integers(30, 60)), int(rng.integers(5, 12)))
    if n % bs == 0:
        n += 1  # keep a partial last batch
    epochs, d, k = 3, 4, 3
    x = np.column_stack([np.arange(n) / n, rng.standard_normal((n, d - 1))])
    y = rng.integers(0, k, n)
    cache: dict[str, Any] = {}

    def recorded() -> tuple[list, list[np.ndarray]]:
        if "log" not in cache:
            # Built on the student's side; the model logs its calls and the optimiser's there.
            model = library(train_epochs, PROBES, "Recorder")(n, d, k)
            train_epochs(
                model,
                library(train_epochs, "course.modules", "SoftmaxCrossEntropy")(),
                library(train_epochs, PROBES, "RecordingSGD")(model, 1e-3),
                x.copy(),
                y.copy(),
                epochs,
                bs,
                library(train_epochs, "numpy.random", "default_rng")(1),
            )
            log = model.log
            cache["log"] = [(str(what), ids) for what, ids in log] if isinstance(log, list) else []
        log = cache["log"]
        batches = [ids for what, ids in log if what == "forward"]
        if not batches:
            raise Mistake("the model's forward() was never called")
        return log, batches

    def epochs_of(batches: list[np.ndarray]) -> list[np.ndarray]:
        """The example order of each epoch (the batches split evenly across the epochs)."""
        if len(batches) % epochs:
            raise Mistake(
                f"{len(batches)} minibatches for {epochs} epochs: the same number "
                "of minibatches in every epoch, please"
            )
        per = len(batches) // epochs
        return [np.concatenate(batches[e * per : (e + 1) * per]) for e in range(epochs)]

    def coverage() -> None:
        _, batches = recorded()
        orders = epochs_of(batches)
        if all(len(o) == n - n % bs and len(np.unique(o)) == len(o) for o in orders):
            raise Mistake(
                "the last, smaller minibatch of each epoch is dropped: go all the way to N"
            )
        if any(not np.array_equal(np.sort(o), np.arange(n)) for o in orders):
            raise Mistake(
                "an epoch must use every example exactly once; some were repeated or "
                "skipped (use a permutation, not random indices drawn with replacement)"
            )
        sizes = [len(b) for b in batches[: len(batches) // epochs]]
        if sizes[:-1] != [bs] * (len(sizes) - 1):
            raise Mistake(
                "the minibatches should have batch_size rows (only the last may be smaller)"
            )

    def shuffles() -> None:
        _, batches = recorded()
        orders = epochs_of(batches)
        if all(np.array_equal(o, np.arange(n)) for o in orders):
            raise Mistake("the examples are never shuffled: draw rng.permutation(N) every epoch")
        if all(np.array_equal(o, orders[0]) for o in orders):
            raise Mistake(
                "the same order every epoch: shuffle inside the epoch loop, not once before it"
            )

    def step_order() -> None:
        log, _ = recorded()
        events = [what for what, _ in log]
        if "zero_grad" not in events:
            raise Mistake("optimizer.zero_grad() is never called: gradients pile up across steps")
        if events.count("step") != events.count("forward"):
            raise Mistake("call optimizer.step() once per minibatch")
        cycle: list[str] = []
        for e in events:
            if e != "step":
                cycle.append(e)
                continue
            last_zero = max((i for i, c in enumerate(cycle) if c == "zero_grad"), default=None)
            last_back = max((i for i, c in enumerate(cycle) if c == "backward"), default=None)
            if last_zero is None or last_back is None or last_zero > last_back:
                raise Mistake(
                    "each minibatch needs zero_grad() before backward() and step() after it; "
                    "here a step used stale or cleared gradients"
                )
            cycle = []

    def learns() -> None:
        xb, yb = make_blobs(40, 3, seed=0 if seed is None else seed)
        model = library(train_epochs, "course.modules", "Sequential")(
            library(train_epochs, "course.modules", "Linear")(2, 3, rng=0)
        )
        out = train_epochs(
            model,
            library(train_epochs, "course.modules", "SoftmaxCrossEntropy")(),
            library(train_epochs, PROBES, "SGD")(model, 0.1),
            xb,
            yb,
            5,
            16,
            library(train_epochs, "numpy.random", "default_rng")(0),
        )
        try:
            losses = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise Mistake("train_epochs should return a list of numbers, one per epoch") from None
        if losses.shape != (5,):
            raise Mistake(
                "train_epochs should return one number per epoch (the mean training loss)"
            )
        if not losses[-1] < 0.8 * losses[0]:
            raise Mistake("on an easy problem the epoch losses should fall; they do not")

    return grade_item(
        "train_epochs",
        [
            SubCheck("every example once per epoch, in minibatches", 1.0, coverage),
            SubCheck("a fresh shuffle every epoch", 1.0, shuffles),
            SubCheck("zero_grad, forward, backward, step per batch", 1.0, step_order),
            SubCheck("returns falling per-epoch losses", 1.0, learns),
        ],
        hidden=hidden,
    )


# --- item 5: the digits -----------------------------------------------------------------------------
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
