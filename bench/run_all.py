"""Run every bench/bench_*.py, each in its own process, and summarise.

Each script's output is shown as it runs; a failing script does not stop the others, but the exit
status is 1 if any failed (a missed speed target is not a failure: the scripts report those on
their RATIO lines, which are collected at the end).

Run: .venv/bin/python bench/run_all.py [-k SUBSTRING] [--dir DIR] [-- ARGS passed to every script]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def run_script(script: Path, extra: list[str], timeout: float | None) -> tuple[int, list[str]]:
    """Run one script, echoing its output line by line; return (exit code, its RATIO lines)."""
    ratios: list[str] = []
    proc = subprocess.Popen(
        [sys.executable, str(script), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream, so warnings appear where they happened
        text=True,
        bufsize=1,
    )
    deadline = None if timeout is None else time.monotonic() + timeout
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        if line.startswith("RATIO "):
            ratios.append(line.rstrip())
        if deadline is not None and time.monotonic() > deadline:
            proc.kill()
            print(f"!!! {script.name} killed after {timeout:g} s", flush=True)
            break
    return proc.wait(), ratios


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", type=Path, default=HERE, help="where to look for bench_*.py")
    p.add_argument("-k", dest="pattern", default="", help="only scripts whose name contains this")
    p.add_argument("--timeout", type=float, default=None, help="seconds allowed per script")
    p.add_argument("extra", nargs="*", help="arguments after -- are passed to every script")
    args = p.parse_args(argv)

    scripts = sorted(s for s in args.dir.glob("bench_*.py") if args.pattern in s.name)
    if not scripts:
        print(f"no bench_*.py matching {args.pattern!r} in {args.dir}")
        return 1
    results = []
    for script in scripts:
        print(f"\n===== {script.name} =====", flush=True)
        t0 = time.perf_counter()
        try:
            code, ratios = run_script(script, args.extra, args.timeout)
        except OSError as exc:
            code, ratios = -1, []
            print(f"!!! could not start {script.name}: {exc}")
        results.append((script.name, code, time.perf_counter() - t0, ratios))

    print("\n===== summary =====")
    for name, code, seconds, ratios in results:
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"{name:28} {status:18} {seconds:7.1f} s")
        for r in ratios:
            print(f"    {r}")
    failed = [name for name, code, _, _ in results if code != 0]
    if failed:
        print(f"{len(failed)} of {len(results)} benchmark(s) failed: {', '.join(failed)}")
        return 1
    print(f"all {len(results)} benchmark(s) ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
