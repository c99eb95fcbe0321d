"""Kernel time per slider update of the explorers in course.widgets, at their default sizes.

An update is what the widget's ``observe`` callback does when a slider moves: compute the stats,
blit the data artists over a cached background, encode the PNG, and set the Image and readout.
Slider sweeps move one control step by step (as arrow keys do), so some steps cross into a new
layout (new axis limits) and pay for one full draw; the sweep reports both kinds.

Baselines, measured in the same run:
- *compute*: the stats function alone (saturation_stats / gradient_flow_stats): the floor;
- *full redraw*: drawing the whole figure from scratch and encoding it, what an update would cost
  without blitting (``Explorer.redraw_full``);
- *re-create*: building a fresh explorer (figure, widgets, first draw) per update, what the
  ``interact`` + new-figure pattern does.

Target: median update < 100 ms (RATIO <name>_update_vs_100ms ≤ 1).

Run: .venv/bin/python bench/bench_widgets.py [--quick] [--repeats R] [--profile]
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Iterable
from typing import Any

import _timing  # first: pins the BLAS thread count before numpy loads
import numpy as np
from _timing import Timing, base_parser, fmt_seconds, profile_summary, ratio_line, time_repeated

from course.widgets import (
    GradientFlowExplorer,
    SaturationExplorer,
    gradient_flow_explorer,
    gradient_flow_stats,
    saturation_explorer,
    saturation_stats,
)
from course.widgets._base import Explorer

TARGET = 0.100  # seconds of kernel time per update


def sweep(explorer: Explorer, control: str, values: Iterable[Any]) -> tuple[list[float], int]:
    """Move one control through ``values`` (each move is one update); return the per-update
    seconds and how many of them needed a full draw of a new layout."""
    times, full = [], 0
    for v in values:
        explorer.controls[control].value = v
        times.append(explorer.timings["total"])
        full += int(explorer.timings["full_redraw"])
    return times, full


def report_widget(
    name: str,
    explorer: Explorer,
    sweeps: dict[str, list[Any]],
    compute: Callable[[], object],
    recreate: Callable[[], object],
    repeats: int,
) -> bool:
    defaults = explorer.state
    print(f"\n--- {name} (defaults: {defaults}) ---")
    all_times: list[float] = []
    n_full = 0
    for control, values in sweeps.items():
        times, full = sweep(explorer, control, values)
        # warm pass done; a second pass over the same values is what a student sees next
        times2, full2 = sweep(explorer, control, values)
        all_times += times + times2
        n_full += full + full2
        print(
            f"sweep {control:12} {len(values):3} steps ×2: median {fmt_seconds(statistics.median(times))}"
            f" (1st pass), {fmt_seconds(statistics.median(times2))} (2nd pass, layouts cached); "
            f"full draws {full} + {full2}; max {fmt_seconds(max(times + times2))}"
        )
    updates = Timing(all_times)
    explorer.set(**defaults)  # the baselines below use the default settings too
    t_compute = time_repeated(compute, repeats)
    t_full = time_repeated(explorer.redraw_full, repeats)
    t_new = time_repeated(recreate, max(3, repeats // 3))
    p90 = float(np.quantile(all_times, 0.9))
    print(f"update (all sweep steps)   {updates}; p90 {fmt_seconds(p90)}; "
          f"{n_full} of {len(all_times)} steps drew a new layout")  # fmt: skip
    print(f"baseline compute only      {t_compute}")
    print(f"baseline full redraw       {t_full}")
    print(f"baseline re-create         {t_new}")
    met = updates.median < TARGET
    print(ratio_line(f"{name}_update_vs_100ms", updates.median / TARGET,
                     "median update / 100 ms", "<= 1", met))  # fmt: skip
    # Informational, no target: with compute at 1-5 ms, PNG encoding (~10 ms) sets this ratio.
    print(f"update / compute alone     {updates.median / t_compute.median:.3g}× "
          f"(the rest is blitting and PNG encoding)")  # fmt: skip
    print(ratio_line(f"{name}_full_redraw_vs_update", t_full.median / updates.median,
                     "full redraw / median update: what blitting saves", ">= 2",
                     t_full.median >= 2 * updates.median))  # fmt: skip
    print(ratio_line(f"{name}_recreate_vs_update", t_new.median / updates.median,
                     "fresh explorer / median update", ">= 2",
                     t_new.median >= 2 * updates.median))  # fmt: skip
    return met


def main(argv: list[str] | None = None) -> int:
    args = base_parser(__doc__.splitlines()[0]).parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 15)
    steps = 5 if args.quick else 30
    print(f"BLAS threads: {_timing.THREADS}; target: median update < {fmt_seconds(TARGET)}")

    sat: SaturationExplorer = saturation_explorer()
    d = sat.state
    report_widget(
        "saturation",
        sat,
        {
            "weight_scale": list(np.round(np.linspace(1.0, 1.0 + 0.1 * steps, steps + 1), 2)),
            "bias": list(np.round(np.linspace(0.0, 0.25 * steps, steps + 1), 2)),
            "input_spread": list(np.round(np.linspace(1.0, 1.0 + 0.1 * steps, steps + 1), 2)),
        },
        compute=lambda: saturation_stats(**d),
        recreate=lambda: saturation_explorer(**d),
        repeats=repeats,
    )

    flow: GradientFlowExplorer = gradient_flow_explorer()
    f = flow.state
    report_widget(
        "gradient_flow",
        flow,
        {
            "init_scale": list(np.round(np.linspace(1.0, 1.0 + 0.05 * steps, steps + 1), 2)),
            "depth": list(range(f["depth"], f["depth"] + steps + 1)),
        },
        compute=lambda: gradient_flow_stats(**f),
        recreate=lambda: gradient_flow_explorer(**f),
        repeats=repeats,
    )
    if args.profile:
        print("\ncProfile of 10 saturation updates:")
        print(profile_summary(lambda: sweep(sat, "weight_scale", [1.1, 1.2] * 5)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
