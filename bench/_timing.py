"""Timing helpers shared by the bench/bench_*.py scripts.

Absolute times drift on shared machines, so every benchmark times its baseline in the same run,
repeats both, and reports the ratio of medians. Each script prints one or more lines

    RATIO <name> = <value> (<what>; target <target>: MET|MISSED)

which tests/test_bench_smoke.py and readers grep for.

Importing this module pins the BLAS thread count (``--threads N`` on the command line, default 1)
through the environment, so a bench script must import it before numpy. The machines have 2
cores shared with other work; with one thread per library the timings are steadier and the
numpy-vs-PyTorch comparison uses the same count on both sides.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _threads_from_argv(argv: list[str]) -> int:
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return 1


THREADS = _threads_from_argv(sys.argv[1:])
if "numpy" in sys.modules:  # too late: BLAS has already started its thread pool
    print(
        "warning: numpy was imported before _timing; BLAS thread count not pinned", file=sys.stderr
    )
for _var in _THREAD_VARS:
    os.environ[_var] = str(THREADS)


@dataclass
class Timing:
    """Wall times of repeated runs (seconds); the median is what gets reported."""

    times: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def spread(self) -> float:
        """(max − min) / median: how noisy the repeats were."""
        return (max(self.times) - min(self.times)) / self.median if self.median > 0 else 0.0

    def __str__(self) -> str:
        return f"{fmt_seconds(self.median)} (median of {len(self.times)}, spread {self.spread:.0%})"


def time_repeated(fn: Callable[[], object], repeats: int, warmup: int = 1) -> Timing:
    """Run ``fn`` ``warmup`` times untimed, then ``repeats`` times under time.perf_counter."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return Timing(times)


def time_interleaved(
    fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 1
) -> dict[str, Timing]:
    """Time several functions in alternation (a, b, a, b, ...) so that drift hits them alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: Timing(t) for name, t in times.items()}


def paired_ratio(a: Timing, b: Timing) -> float:
    """Median over rounds of a_i / b_i, for timings from one ``time_interleaved`` call: the two runs
    of a round ran back to back, so they share the machine's state of the moment (another tenant's
    burst, the clock), which a ratio of the two medians does not cancel."""
    return statistics.median(x / y for x, y in zip(a.times, b.times, strict=True))


def fmt_seconds(s: float) -> str:
    if s >= 1.0:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def ratio_line(name: str, value: float, what: str, target: str, met: bool) -> str:
    """The one-line summary every benchmark prints (and the smoke test looks for)."""
    return f"RATIO {name} = {value:.3g} ({what}; target {target}: {'MET' if met else 'MISSED'})"


def profile_summary(fn: Callable[[], object], top: int = 15, sort: str = "tottime") -> str:
    """Run ``fn`` under cProfile and return the ``top`` rows sorted by ``sort``, as text."""
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats(sort).print_stats(top)
    # Drop pstats' preamble (blank lines and the "Ordered by" header) but keep the table.
    lines = out.getvalue().splitlines()
    start = next((i for i, ln in enumerate(lines) if "ncalls" in ln), 0)
    return "\n".join(ln for ln in lines[start:] if ln.strip())


def base_parser(description: str) -> argparse.ArgumentParser:
    """Arguments every bench script accepts: --quick (tiny sizes, for the smoke test) and --repeats."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="tiny sizes and few repeats (seconds)")
    p.add_argument("--repeats", type=int, default=None, help="timed repeats per measurement")
    p.add_argument("--profile", action="store_true", help="print a cProfile summary too")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS (and torch) threads; read when _timing is imported")  # fmt: skip
    return p
