"""ps3 check for the minibatch training loop, ``train_epochs``.

The loop runs on a :class:`~course.grading.ps3.probes.Recorder` model with a recording loss and
optimiser, built on the student's side: the log says which examples each forward pass saw, which
labels the loss got, and the order of zero_grad / backward / step. A forward pass with no
backward after it is an evaluation pass (logging the epoch's loss, say), not a training batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...data import make_blobs
from ..core import Mistake, SubCheck, grade_item
from ..student import library
from .network import PROBES


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
    cache: dict[Any, Any] = {}

    def recorded(rng_seed: int = 1, again: bool = False) -> tuple[list, list[float], Any]:
        """(log, loss values, what train_epochs returned) of a run with default_rng(rng_seed);
        ``again`` is a second run with a new generator of the same seed."""
        if (rng_seed, again) not in cache:
            # Built on the student's side; the model logs its calls, the loss's and optimiser's.
            model = library(train_epochs, PROBES, "Recorder")(n, d, k)
            out = train_epochs(
                model,
                library(train_epochs, PROBES, "RecordingLoss")(model),
                library(train_epochs, PROBES, "RecordingSGD")(model, 1e-3),
                x.copy(),
                y.copy(),
                epochs,
                bs,
                library(train_epochs, "numpy.random", "default_rng")(rng_seed),
            )
            log, values = model.log, model.values
            log = [(str(what), ids) for what, ids in log] if isinstance(log, list) else []
            cache[rng_seed, again] = (log, list(values) if isinstance(values, list) else [], out)
        return cache[rng_seed, again]

    def training(rng_seed: int = 1, again: bool = False) -> list[tuple[np.ndarray, Any, float]]:
        """(example ids, the labels its loss call got, that loss's value) of each forward pass a
        backward pass followed: the training minibatches."""
        log, values, _ = recorded(rng_seed, again)
        out, pending, calls = [], None, 0
        for what, ids in log:
            if what == "forward":
                pending = [ids, None, float("nan")]
            elif what == "loss":
                if pending is not None and pending[1] is None and calls < len(values):
                    pending[1:] = [ids, float(values[calls])]
                calls += 1
            elif what == "backward" and pending is not None:
                out.append(tuple(pending))
                pending = None
        if not out:
            raise Mistake("no minibatch was trained on: forward(), then backward() and step()")
        return out

    def epochs_of(batches: list) -> list[np.ndarray]:
        """The example order of each epoch (the batches split evenly across the epochs)."""
        if len(batches) % epochs:
            raise Mistake(f"{len(batches)} minibatches for {epochs} epochs: the same number "
                          "of minibatches in every epoch, please")  # fmt: skip
        per = len(batches) // epochs
        return [np.concatenate([b[0] for b in batches[e * per : (e + 1) * per]])
                for e in range(epochs)]  # fmt: skip

    def coverage() -> None:
        batches = training()
        orders = epochs_of(batches)
        if all(len(o) == n - n % bs and len(np.unique(o)) == len(o) for o in orders):
            raise Mistake(
                "the last, smaller minibatch of each epoch is dropped: go all the way to N"
            )
        if any(not np.array_equal(np.sort(o), np.arange(n)) for o in orders):
            raise Mistake("an epoch must train on every example exactly once; some were repeated "
                          "or skipped (use a permutation, not indices drawn with replacement)")  # fmt: skip
        sizes = [len(b[0]) for b in batches[: len(batches) // epochs]]
        if sizes[:-1] != [bs] * (len(sizes) - 1):
            raise Mistake(
                "the minibatches should have batch_size rows (only the last may be smaller)"
            )

    def labels() -> None:
        for ids, got, _ in training():
            if got is None or len(got) != len(ids) or not np.array_equal(got, y[ids]):
                raise Mistake("the labels given to the loss are not those of the examples in the "
                              "minibatch: index x and y with the same permutation, x[idx], y[idx]")  # fmt: skip

    def shuffles() -> None:
        orders = epochs_of(training())
        if all(np.array_equal(o, np.arange(n)) for o in orders):
            raise Mistake("the examples are never shuffled: draw rng.permutation(N) every epoch")
        if all(np.array_equal(o, orders[0]) for o in orders):
            raise Mistake(
                "the same order every epoch: shuffle inside the epoch loop, not once before it"
            )

    def uses_rng() -> None:
        first, again, other = (
            epochs_of(training(s, a)) for s, a in ((1, False), (1, True), (2, False))
        )
        same = all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
        if not same or all(np.array_equal(a, b) for a, b in zip(first, other, strict=True)):
            raise Mistake("shuffle with the rng argument (rng.permutation(N)), so that the same "
                          "generator repeats a run and another one changes it")  # fmt: skip

    def step_order() -> None:
        events = [what for what, _ in recorded()[0] if what != "loss"]
        if "zero_grad" not in events:
            raise Mistake("optimizer.zero_grad() is never called: gradients pile up across steps")
        if events.count("step") != events.count("backward"):
            raise Mistake("call optimizer.step() once per minibatch, after backward()")
        stale = fresh = False  # the model's gradients start at zero
        for e in events:
            if e == "backward" and stale:
                raise Mistake("a backward() added to the gradients of the previous step: call "
                              "optimizer.zero_grad() between one step() and the next backward()")  # fmt: skip
            if e == "backward":
                fresh = True
            elif e == "step" and not fresh:
                raise Mistake("a step() used gradients cleared since the last backward(): "
                              "zero_grad(), forward, backward, then step()")  # fmt: skip
            elif e == "step":
                stale, fresh = True, False
            elif e == "zero_grad":
                stale = fresh = False

    def mean_loss() -> None:
        losses = _losses(recorded()[2], epochs)
        batches = training()
        per = len(batches) // epochs
        if not per or len(batches) % epochs:
            raise Mistake(f"{len(batches)} minibatches for {epochs} epochs: the same number "
                          "of minibatches in every epoch, please")  # fmt: skip
        for e in range(epochs):
            part = batches[e * per : (e + 1) * per]
            value, size = np.array([b[2] for b in part]), np.array([len(b[0]) for b in part])
            means = (value.mean(), (value * size).sum() / size.sum())  # either average is fine
            if any(abs(losses[e] - m) <= 1e-6 * abs(m) + 1e-12 for m in means):
                continue
            if abs(losses[e] - value[-1]) <= 1e-6 * abs(value[-1]) + 1e-12:
                raise Mistake("each epoch's number is its last minibatch's loss: return the mean "
                              "of the epoch's minibatch losses")  # fmt: skip
            raise Mistake("each epoch's number should be the mean of its minibatch losses")

    def learns() -> None:
        xb, yb = make_blobs(40, 3, seed=0 if seed is None else seed)
        model = library(train_epochs, "course.modules", "Sequential")(
            library(train_epochs, "course.modules", "Linear")(2, 3, rng=0)
        )
        out = train_epochs(
            model,
            library(train_epochs, "course.modules", "SoftmaxCrossEntropy")(),
            library(train_epochs, PROBES, "SGD")(model, 0.1),
            xb, yb, 5, 16,
            library(train_epochs, "numpy.random", "default_rng")(0),
        )  # fmt: skip
        losses = _losses(out, 5)
        if not losses[-1] < 0.8 * losses[0]:
            raise Mistake("on an easy problem the epoch losses should fall; they do not")

    return grade_item(
        "train_epochs",
        [
            SubCheck("every example once per epoch, in minibatches", 1.0, coverage),
            SubCheck("each minibatch's labels go with its examples", 0.5, labels),
            SubCheck("a fresh shuffle every epoch", 0.5, shuffles),
            SubCheck("the shuffle comes from the rng it is given", 0.25, uses_rng),
            SubCheck("zero_grad, forward, backward, step per batch", 0.75, step_order),
            SubCheck("returns each epoch's mean minibatch loss", 0.5, mean_loss),
            SubCheck("the losses fall on an easy problem", 0.5, learns),
        ],
        hidden=hidden,
    )


def _losses(out: object, epochs: int) -> np.ndarray:
    """What train_epochs returned, as one float per epoch."""
    try:
        losses = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise Mistake("train_epochs should return a list of numbers, one per epoch") from None
    if losses.shape != (epochs,):
        raise Mistake("train_epochs should return one number per epoch (the mean training loss)")
    return losses
