"""RBF layer speed: course.modules.RBF (‖x‖² − 2x·c + ‖c‖², matrix products) against the direct
(N, K, D) differences x[:, None] − c[None] that the lecture's cascade uses, forward + backward.

Both compute the same outputs and the same gradients for the input, the centres and the widths
(the script checks it, and exits 1 if they differ). Sizes: N = 512 rows, K = 128 units, D = 64
features (the digits' width); --quick uses N = 64, K = 16, D = 8.

Run: .venv/bin/python bench/bench_rbf.py [--quick] [--repeats R] [--threads T] [--profile]
"""

from __future__ import annotations

import sys

import _timing  # noqa: F401  (first: pins the BLAS thread count before numpy loads)
import numpy as np
from _timing import base_parser, profile_summary, ratio_line, time_interleaved

from course.modules import RBF

TARGET = 2.0


def direct(x: np.ndarray, c: np.ndarray, beta: np.ndarray, g: np.ndarray):
    """The baseline: forward and backward through the (N, K, D) array of differences."""
    diff = x[:, None, :] - c[None, :, :]
    d = np.sum(diff * diff, axis=2)
    phi = np.exp(-beta * d)
    s = -beta * phi * g  # ∂ℒ/∂d
    dx = 2.0 * np.einsum("nk,nkd->nd", s, diff)
    dc = -2.0 * np.einsum("nk,nkd->kd", s, diff)
    dbeta = -(g * d * phi).sum(0)
    return phi, dx, dc, dbeta


def main() -> int:
    args = base_parser(__doc__.splitlines()[0]).parse_args()
    n, k, d = (64, 16, 8) if args.quick else (512, 128, 64)
    repeats = args.repeats or (3 if args.quick else 15)
    rng = np.random.default_rng(0)
    x, c = rng.standard_normal((n, d)), rng.standard_normal((k, d))
    beta, g = rng.uniform(0.01, 0.1, k), rng.standard_normal((n, k))
    layer = RBF(d, k, centres=c, beta=beta)

    def library():
        layer.zero_grad()
        phi = layer(x)
        return phi, layer.backward(g), layer.grads["centres"], layer.grads["beta"]

    for name, a, b in zip(("output", "input grad", "centres grad", "beta grad"), library(),
                          direct(x, c, beta, g), strict=True):  # fmt: skip
        if not np.allclose(a, b, rtol=1e-8, atol=1e-10):
            print(f"RBF and the direct baseline disagree on the {name}: cannot compare speeds")
            return 1

    t = time_interleaved({"library": library, "direct": lambda: direct(x, c, beta, g)}, repeats)
    ratio = t["direct"].median / t["library"].median
    print(f"RBF forward + backward, N={n}, K={k}, D={d}, float64, {_timing.THREADS} BLAS thread(s)")
    print(f"  course.modules.RBF (matrix products): {t['library']}")
    print(f"  direct (N, K, D) differences:        {t['direct']}")
    print(ratio_line("rbf_direct_vs_library", ratio, "direct time / RBF time", f">= {TARGET}",
                     ratio >= TARGET))  # fmt: skip
    if args.profile:
        print(profile_summary(library))
    return 0


if __name__ == "__main__":
    sys.exit(main())
