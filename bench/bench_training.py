"""Training speed: one epoch of the reference numpy MLP against the same network in PyTorch (CPU).

Both train 784-256-128-10 with ReLU, softmax cross-entropy and SGD (lr 0.01, momentum 0.9) in
float64, batch 128, on the same synthetic data in the same shuffled order, from the same initial
weights (so their parameters must agree after an epoch; the script checks it). BLAS threads
(numpy's OpenBLAS) and torch's intra-op threads are pinned to the same count, --threads (default 1).

The numpy loop calls ``model.backward(..., input_grad=False)``: like PyTorch, where the data does
not require a gradient, it forms no ∂ℒ/∂x for the network's input. Before timing, the script checks
that this leaves every parameter gradient as it was.

It also replays the matrix products of an epoch on their own (same shapes, same order) to find
the fraction of the epoch spent in them, and what the skipped product would have cost.

Run: .venv/bin/python bench/bench_training.py [--quick] [--repeats R] [--threads T] [--profile]
"""

from __future__ import annotations

import statistics
import sys

import _timing  # first: pins the BLAS thread count before numpy loads
import numpy as np
from _timing import (
    base_parser,
    fmt_seconds,
    paired_ratio,
    profile_summary,
    ratio_line,
    time_interleaved,
)

from course.data import minibatches
from course.modules import Linear, ReLU, Sequential, SoftmaxCrossEntropy
from course.optim import SGD

SIZES = (784, 256, 128, 10)
BATCH, LR, MOMENTUM = 128, 0.01, 0.9
TARGET = 1.0
MATMUL_SHARE = 0.7  # the rest (Python, checks, elementwise work) must stay small


def reference_mlp(seed: int = 0) -> Sequential:
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True)):
        layers += [Linear(a, b, rng=seed + i), ReLU()]
    return Sequential(*layers[:-1])  # no ReLU after the logits


def numpy_epoch(model: Sequential, loss_fn, opt: SGD, x, y, epoch: int) -> None:
    for idx in minibatches(len(x), BATCH, epoch):
        opt.zero_grad()
        loss_fn(model(x[idx]), y[idx])
        # Like PyTorch, where the data does not require a gradient: no ∂ℒ/∂x for the input.
        model.backward(loss_fn.backward(), input_grad=False)
        opt.step()


def check_input_grad_skip(x: np.ndarray, y: np.ndarray) -> str | None:
    """None if ``backward(..., input_grad=False)`` returns no input gradient and the same parameter
    gradients as the full backward; otherwise what went wrong (tests/library/test_input_grad.py checks
    that it also skips the product g·W₁)."""
    grads = []
    for input_grad in (True, False):
        model, loss_fn = reference_mlp(), SoftmaxCrossEntropy()
        loss_fn(model(x[:BATCH]), y[:BATCH])
        dx = model.backward(loss_fn.backward(), input_grad=input_grad)
        if (dx is None) == input_grad:
            return f"backward(input_grad={input_grad}) returned {type(dx).__name__}"
        grads.append(model.grads)
    for name, g in grads[0].items():
        if not np.array_equal(g, grads[1][name]):
            return f"{name}: input_grad=False changed the gradient"
    return None


def torch_setup(model: Sequential, x: np.ndarray, y: np.ndarray):
    """The same network in PyTorch, starting from the reference model's current weights."""
    import torch

    torch.set_num_threads(_timing.THREADS)
    linears = [m for m in model.layers if isinstance(m, Linear)]
    layers: list[torch.nn.Module] = []
    for lin in linears:
        t = torch.nn.Linear(lin.in_features, lin.out_features, dtype=torch.float64)
        with torch.no_grad():  # same (out, in) layout as the reference
            t.weight.copy_(torch.from_numpy(lin.params["weight"]))
            t.bias.copy_(torch.from_numpy(lin.params["bias"]))
        layers += [t, torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    return net, opt, torch.from_numpy(x), torch.from_numpy(y)


def torch_epoch(net, opt, xt, yt, epoch: int) -> None:
    import torch
    import torch.nn.functional as F

    for idx in minibatches(len(xt), BATCH, epoch):
        i = torch.from_numpy(idx)
        opt.zero_grad()
        F.cross_entropy(net(xt[i]), yt[i]).backward()
        opt.step()


def max_param_diff(model: Sequential, net) -> float:
    ours = [p for m in model.layers for p in m.params.values()]
    theirs = [p.detach().numpy() for p in net.parameters()]
    return max(float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs, strict=True))


# --- where the time goes: the matrix products on their own --------------------------------------
def matmul_replay(n: int, lib: str, which: str):
    """A function doing an epoch's matrix products (same shapes, same order) and nothing else:
    per batch and layer y = x Wᵀ, then ∂W = gᵀ x and ∂x = g W. ``which`` is "all" (every input
    gradient), "skip_dx0" (what both the reference with input_grad=False and PyTorch do: no
    gradient for the network's input) or
    "dx0_only" (just that gradient, g W₁)."""
    rng = np.random.default_rng(0)
    sizes = [min(BATCH, n - s) for s in range(0, n, BATCH)]
    ws = [rng.standard_normal((b, a)) for a, b in zip(SIZES[:-1], SIZES[1:], strict=True)]
    xs = {m: [rng.standard_normal((m, a)) for a in SIZES[:-1]] for m in set(sizes)}
    gs = {m: [rng.standard_normal((m, b)) for b in SIZES[1:]] for m in set(sizes)}
    if lib == "torch":
        import torch

        as_t = torch.from_numpy
        ws = [as_t(w) for w in ws]
        xs = {m: [as_t(a) for a in v] for m, v in xs.items()}
        gs = {m: [as_t(a) for a in v] for m, v in gs.items()}
    rest = which != "dx0_only"

    def run() -> None:
        for m in sizes:
            x, g = xs[m], gs[m]
            for i, w in enumerate(ws):
                if rest:
                    x[i] @ w.T
            for i in reversed(range(len(ws))):
                if rest:
                    g[i].T @ x[i]
                if (i > 0 and rest) or (i == 0 and which != "skip_dx0"):
                    g[i] @ ws[i]

    return run


def dx0_flop_share() -> float:
    """Multiply-adds of g W₁ over all 9 products of a full backward (per example, so exact)."""
    pairs = list(zip(SIZES[:-1], SIZES[1:], strict=True))
    return pairs[0][0] * pairs[0][1] / sum(3 * a * b for a, b in pairs)


def main() -> int:
    args = base_parser(__doc__.splitlines()[0]).parse_args()
    n, repeats = (1024, args.repeats or 2) if args.quick else (10_000, args.repeats or 15)
    try:
        import torch
    except ImportError:
        print("torch is not installed: `make bench` installs it (pip install torch==2.13.0)")
        return 2

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, SIZES[0]))
    y = rng.integers(0, SIZES[-1], size=n)
    model, loss_fn = reference_mlp(), SoftmaxCrossEntropy()
    opt = SGD(model, lr=LR, momentum=MOMENTUM)
    net, topt, xt, yt = torch_setup(model, x, y)
    print(
        f"training benchmark: {n} samples, batch {BATCH}, float64, SGD(lr={LR}, momentum={MOMENTUM});"
        f" numpy BLAS threads = torch threads = {_timing.THREADS} (torch reports "
        f"{torch.get_num_threads()}); {repeats} repeats, numpy and torch epochs interleaved"
    )

    problem = check_input_grad_skip(x, y)
    if problem:
        print(f"input_grad=False is broken: {problem}")
        return 1
    # Same start, same batches, same maths: the parameters must agree after one epoch.
    numpy_epoch(model, loss_fn, opt, x, y, epoch=0)
    torch_epoch(net, topt, xt, yt, epoch=0)
    diff = max_param_diff(model, net)
    print(f"same network? max |θ_numpy − θ_torch| after one epoch = {diff:.1e}")
    if not diff < 1e-8:
        print("the two implementations disagree: the comparison is void")
        return 1

    epoch = [1]  # both see the same sequence of shuffles

    def np_run() -> None:
        numpy_epoch(model, loss_fn, opt, x, y, epoch[0])

    def torch_run() -> None:
        torch_epoch(net, topt, xt, yt, epoch[0])
        epoch[0] += 1

    # One round = both epochs and the three replays, back to back; every figure is a median over
    # rounds of a ratio within a round (see _timing.paired_ratio).
    t = time_interleaved(
        {
            "numpy": np_run,
            "torch": torch_run,
            "numpy 8": matmul_replay(n, "numpy", "skip_dx0"),
            "numpy dx0": matmul_replay(n, "numpy", "dx0_only"),
            "torch 8": matmul_replay(n, "torch", "skip_dx0"),
        },
        repeats,
    )
    ratio = paired_ratio(t["numpy"], t["torch"])
    frac = paired_ratio(t["numpy 8"], t["numpy"])
    print(f"\none epoch, reference numpy MLP: {t['numpy']}")
    print(f"one epoch, PyTorch (CPU):       {t['torch']}")
    print("\nmatrix products replayed alone (same shapes and order as one epoch, medians):")
    print(f"  the 8 products per batch both do: numpy {t['numpy 8']}, torch {t['torch 8']}; "
          f"numpy / torch = {paired_ratio(t['numpy 8'], t['torch 8']):.2f} (the BLAS libraries: "
          f"numpy's OpenBLAS, torch's MKL)")  # fmt: skip
    print(f"  share of the epoch: numpy {frac:.0%}, torch "
          f"{paired_ratio(t['torch 8'], t['torch']):.0%}")  # fmt: skip
    dx0 = paired_ratio(t["numpy dx0"], t["numpy"])
    print(f"  the first layer's input gradient g·W₁, skipped (input_grad=False): it would add "
          f"{dx0:.0%} to the epoch ({dx0_flop_share():.0%} of the multiply-adds)")  # fmt: skip
    rest = [e - m for e, m in zip(t["numpy"].times, t["numpy 8"].times, strict=True)]
    rest_th = [e - m for e, m in zip(t["torch"].times, t["torch 8"].times, strict=True)]
    print(f"  everything but the products (medians): numpy {fmt_seconds(statistics.median(rest))}, "
          f"torch {fmt_seconds(statistics.median(rest_th))}")  # fmt: skip
    print()
    print(ratio_line("training_epoch_numpy_vs_torch", ratio,
                     "numpy epoch / torch epoch, median over rounds", f"<= {TARGET}",
                     ratio <= TARGET))  # fmt: skip
    print(ratio_line("training_matmul_fraction", frac,
                     "share of the numpy epoch spent in matrix products", f">= {MATMUL_SHARE}",
                     frac >= MATMUL_SHARE))  # fmt: skip
    if args.profile or ratio > TARGET:
        print("\ncProfile of one numpy epoch (sorted by own time):")
        print(profile_summary(lambda: numpy_epoch(model, loss_fn, opt, x, y, 0), top=14))
    return 0


if __name__ == "__main__":
    sys.exit(main())
