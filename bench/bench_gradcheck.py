"""Gradient-check cost: course.gradcheck.gradcheck against element-by-element central differences.

gradcheck checks every tensor of more than 64 entries along 4 random directions (2 forward passes
each), so its forward-pass count depends on how many tensors a module has, not on their sizes.
The baseline perturbs every parameter coordinate in turn with course.gradcheck.numerical_gradient:
2 forward passes per coordinate. Its cost per coordinate is one pair of forward passes whichever
coordinate it is, so it is timed on a random contiguous run of coordinates in every tensor and
extrapolated linearly to all of them (the output says so).

Second part: on small instances of the classic bugs (course.mistakes) and of the reference
modules, the directional gradcheck and the elementwise baseline must give the same verdicts.

Run: .venv/bin/python bench/bench_gradcheck.py [--quick] [--repeats R] [--profile]
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import _timing  # first: pins the BLAS thread count before numpy loads
import numpy as np
from _timing import Timing, base_parser, fmt_seconds, profile_summary, ratio_line

from course import mistakes
from course.gradcheck import gradcheck, numerical_gradient, rel_error
from course.modules import Linear, Loss, Module, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh

TOL = 1e-6  # gradcheck's default tolerance; the baseline uses the same one
EPS = 1e-6
BATCH = 32  # rows of x for the cost measurements


# --- the baseline: every coordinate, one at a time --------------------------------------------
@dataclass
class TensorCheck:
    name: str
    size: int
    n_checked: int
    error: float
    seconds: float
    n_forward: int

    @property
    def seconds_all(self) -> float:
        """Linear extrapolation to every coordinate of the tensor."""
        return self.seconds * self.size / self.n_checked


def elementwise_check(
    module: Module,
    x: np.ndarray,
    target: np.ndarray | None = None,
    *,
    coords: int | None = None,
    include_input: bool = True,
    seed: int = 0,
) -> list[TensorCheck]:
    """Compare backward with numerical_gradient coordinate by coordinate, on the same scalar
    f = Σ forward(x) ⊙ g (or grad_out · loss) that gradcheck uses.

    ``coords`` = None checks every coordinate; otherwise a random contiguous run of at most
    ``coords`` coordinates per tensor (a view, so numerical_gradient perturbs the real tensor).
    """
    rng = np.random.default_rng(seed)
    x = np.array(x, dtype=np.float64)
    is_loss = isinstance(module, Loss)
    count = [0]

    def run() -> np.ndarray | float:
        count[0] += 1
        return module.forward(x, target) if is_loss else module.forward(x)

    out = run()
    upstream = float(rng.uniform(0.5, 2.0)) if is_loss else rng.standard_normal(np.shape(out))
    module.zero_grad()
    run()
    analytic = {"input": module.backward(upstream)} | {k: v.copy() for k, v in module.grads.items()}

    def scalar(_perturbed: np.ndarray) -> float:
        return float(np.sum(np.asarray(run()) * upstream))

    tensors = ({"input": x} if include_input else {}) | ({} if is_loss else dict(module.params))
    rows = []
    for name, t in tensors.items():
        flat, ana = t.reshape(-1), analytic[name].reshape(-1)
        m = t.size if coords is None else min(coords, t.size)
        start = int(rng.integers(0, t.size - m + 1))
        chunk = flat[start : start + m]  # contiguous view into t
        count[0] = 0
        t0 = time.perf_counter()
        num = numerical_gradient(scalar, chunk, EPS)
        seconds = time.perf_counter() - t0
        rows.append(
            TensorCheck(name, t.size, m, rel_error(ana[start : start + m], num), seconds, count[0])
        )
    return rows


# --- part 1: cost ------------------------------------------------------------------------------
def mlp(hidden: int, d_in: int = 784, seed: int = 0) -> Sequential:
    """d_in → hidden → hidden/2 → 10 with tanh and sigmoid (smooth, so no kinks near x)."""
    return Sequential(
        Linear(d_in, hidden, rng=seed),
        Tanh(),
        Linear(hidden, hidden // 2, init="xavier", rng=seed + 1),
        Sigmoid(),
        Linear(hidden // 2, 10, init="xavier", rng=seed + 2),
    )


def cost_table(models: dict[str, Module], d_in: int, coords: int, repeats: int) -> list[dict]:
    x = np.random.default_rng(1).standard_normal((BATCH, d_in))
    results = []
    for label, model in models.items():
        report = gradcheck(model, x)
        if not report.ok:
            print(report)
            raise SystemExit(f"gradcheck failed on the reference {label}: the benchmark is void")
        gradcheck(model, x)  # warm-up
        # Baseline: params only (as asked: numerical_gradient on every parameter). gradcheck also
        # checks the input, so the comparison is, if anything, unfair to gradcheck. The two are
        # timed alternately so that drift in the machine's speed hits both alike.
        gc_times, extrapolated, n_checked, worst = [], [], 0, 0.0
        for r in range(repeats):
            t0 = time.perf_counter()
            gradcheck(model, x)
            gc_times.append(time.perf_counter() - t0)
            rows = elementwise_check(model, x, coords=coords, include_input=False, seed=r)
            extrapolated.append(sum(row.seconds_all for row in rows))
            n_checked = sum(row.n_checked for row in rows)
            worst = max(worst, *(row.error for row in rows))
            assert all(row.n_forward == 2 * row.n_checked for row in rows)
        t_gc = Timing(gc_times)
        t_base = float(np.median(extrapolated))
        n_params = model.num_params()
        results.append(
            dict(label=label, params=n_params, gc_fwd=report.n_forward, gc_s=t_gc.median,
                 gc_spread=t_gc.spread, base_fwd=2 * n_params, base_s=t_base,
                 checked=n_checked, base_err=worst, speedup=t_base / t_gc.median)
        )  # fmt: skip
    return results


def print_cost(results: list[dict], coords: int) -> None:
    print(f"\n== cost (x: {BATCH} rows; tolerance {TOL:g}; eps {EPS:g}) ==")
    print(
        "baseline = numerical_gradient on every parameter; timed on a random contiguous run of\n"
        f"<= {coords} coordinates per tensor and extrapolated linearly per coordinate "
        "(each coordinate costs the same two forward passes)."
    )
    head = f"{'model':28} {'params':>10} {'gc fwd':>7} {'gc time':>10} "
    head += f"{'base fwd':>10} {'base time (extrap.)':>20} {'speedup':>9}"
    print(head)
    for r in results:
        print(
            f"{r['label']:28} {r['params']:>10,} {r['gc_fwd']:>7} {fmt_seconds(r['gc_s']):>10} "
            f"{r['base_fwd']:>10,} {fmt_seconds(r['base_s']):>20} {r['speedup']:>8.0f}x"
        )
    worst = max(r["base_err"] for r in results)
    print(f"(baseline rel. error on the coordinates it checked: at most {worst:.1e})")


# --- part 2: verdicts on the classic bugs -------------------------------------------------------
def verdict_cases(d: int) -> list[tuple[str, Module, np.ndarray, np.ndarray | None]]:
    """Reference modules and their buggy twins; d > 64 so gradcheck uses random directions."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, d))
    labels = rng.integers(0, d, size=8)
    return [
        ("reference Linear", Linear(d, d, rng=3), x, None),
        ("reference Sigmoid", Sigmoid(), x, None),
        ("reference SoftmaxCrossEntropy", SoftmaxCrossEntropy(), x, labels),
        ("bug: transposed weight gradient", mistakes.TransposedWeightGradLinear(d, d, rng=3), x,
         None),
        ("bug: bias gradient not summed", mistakes.UnsummedBiasGradLinear(d, d, rng=3), x, None),
        ("bug: missing 1/N in loss gradient", mistakes.MissingMeanSoftmaxCrossEntropy(), x,
         labels),
        ("bug: sigma' from input", mistakes.SigmoidGradFromInput(), x, None),
    ]  # fmt: skip


def print_verdicts(d: int) -> tuple[int, int]:
    """Print both verdicts per case; return (cases where all agree with expectation, cases)."""
    print(f"\n== verdicts (x: 8 rows x {d}; every tensor > 64 entries, so gradcheck goes by 4 "
          "random directions; baseline checks every coordinate) ==")  # fmt: skip
    print(f"{'case':36} {'gradcheck':28} {'elementwise baseline':32} {'as expected':>11}")
    good = 0
    cases = verdict_cases(d)
    for label, module, x, target in cases:
        report = gradcheck(module, x, target)
        methods = {r.method for r in report.rows}
        rows = elementwise_check(module, x, target)
        base_fail = [r.name for r in rows if not r.error < TOL]
        base_fwd = sum(r.n_forward for r in rows) + 2
        gc = f"{'PASS' if report.ok else 'FAIL ' + ','.join(report.failed())} ({report.n_forward})"
        be = f"{'FAIL ' + ','.join(base_fail) if base_fail else 'PASS'} ({base_fwd})"
        expect_pass = label.startswith("reference")
        ok = report.ok == (not base_fail) == expect_pass
        ok = ok and all("random directions" in m for m in methods)
        good += ok
        print(f"{label:36} {gc:28} {be:32} {'yes' if ok else 'NO':>11}")
    print("(verdict, failing tensors, forward passes in brackets)")
    return good, len(cases)


def main() -> int:
    args = base_parser(__doc__.splitlines()[0]).parse_args()
    if args.quick:
        d_in, hiddens, coords, repeats, d_verdict = 64, (96, 192), 8, args.repeats or 2, 66
        models = {f"MLP {d_in}-{h}-{h // 2}-10": mlp(h, d_in) for h in hiddens}
    else:
        d_in, hiddens, coords, repeats, d_verdict = 784, (256, 512, 1024), 24, args.repeats or 5, 72
        models = {"Linear(784, 256)": Linear(784, 256, rng=0)}
        models |= {f"MLP {d_in}-{h}-{h // 2}-10": mlp(h, d_in) for h in hiddens}

    print(f"gradcheck benchmark: BLAS threads pinned to {_timing.THREADS}, {repeats} repeats")
    results = cost_table(models, d_in, coords, repeats)
    print_cost(results, coords)
    good, n_cases = print_verdicts(d_verdict)

    mlps = [r for r in results if r["label"].startswith("MLP")]
    # The ≈200k-parameter MLP is the one the target is about (the smallest in --quick mode).
    main_row = min(mlps, key=lambda r: abs(r["params"] - 200_000))
    print()
    print(ratio_line(f"gradcheck_speedup_{main_row['params'] // 1000}k", main_row["speedup"],
                     "elementwise baseline time / gradcheck time", ">= 100", main_row["speedup"] >= 100))  # fmt: skip
    growth = mlps[-1]["gc_fwd"] / mlps[0]["gc_fwd"]
    print(ratio_line("gradcheck_forward_growth", growth,
                     f"forward passes at {mlps[-1]['params']:,} / at {mlps[0]['params']:,} params",
                     "1 (no growth)", growth <= 1.0))  # fmt: skip
    print(ratio_line("verdict_agreement", good / n_cases,
                     "cases where gradcheck and baseline both give the expected verdict",
                     "1", good == n_cases))  # fmt: skip
    if args.profile:
        model, x = (
            models[main_row["label"]],
            np.random.default_rng(1).standard_normal((BATCH, d_in)),
        )
        print("\ncProfile of one gradcheck on", main_row["label"])
        print(profile_summary(lambda: gradcheck(model, x), top=12))
    return 0 if good == n_cases else 1


if __name__ == "__main__":
    sys.exit(main())
