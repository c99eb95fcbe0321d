"""The benchmarks still run: each of bench_gradcheck / bench_training in --quick mode prints its
RATIO lines, and run_all runs every bench_*.py and reports failures. No timing is asserted here
(speed is measured by `make bench`, not by tests)."""

from __future__ import annotations

import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from grading_helpers import PS2  # the registry's ids

BENCH = Path(__file__).resolve().parents[1] / "bench"
RATIO = re.compile(r"^RATIO (\w+) = (\S+) \(.*; target .*: (MET|MISSED)\)$", re.M)


def run(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=BENCH.parent,
    )


def ratios(out: str) -> dict[str, float]:
    found = {name: float(value) for name, value, _ in RATIO.findall(out)}
    assert all(math.isfinite(v) and v > 0 for v in found.values()), found
    return found


def test_gradcheck_bench_quick():
    r = run("bench_gradcheck.py", "--quick")
    assert r.returncode == 0, r.stdout + r.stderr
    found = ratios(r.stdout)
    assert any(name.startswith("gradcheck_speedup_") for name in found), r.stdout
    assert "gradcheck_forward_growth" in found, r.stdout
    # Both checkers agreed on every reference module and every classic bug.
    assert found["verdict_agreement"] == 1.0, r.stdout
    assert r.stdout.count("FAIL") >= 8, r.stdout  # 4 bugs x 2 checkers


def test_rbf_bench_quick():
    """It runs, and RBF agrees with the direct baseline on every result (else it exits 1)."""
    r = run("bench_rbf.py", "--quick")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "rbf_direct_vs_library" in ratios(r.stdout), r.stdout


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_training_bench_quick():
    r = run("bench_training.py", "--quick")
    assert r.returncode == 0, r.stdout + r.stderr
    found = ratios(r.stdout)
    assert "training_epoch_numpy_vs_torch" in found, r.stdout
    assert 0 < found["training_matmul_fraction"] <= 1, r.stdout


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium")
def test_browser_explorers_bench_quick():
    """Two key presses per slider in a real browser: every press is paired with a painted picture
    and a kernel update, and the RATIO lines come out (no timing is asserted)."""
    r = run("bench_browser_explorers.py", "--presses", "2", timeout=400)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    found = ratios(r.stdout)
    for name in ("saturation_weight_scale", "gradient_flow_depth", "gradient_flow_init_scale"):
        assert f"browser_{name}_median_vs_150ms" in found, r.stdout
        assert f"browser_{name}_vs_kernel" in found, r.stdout  # kernel updates were matched
    assert r.stdout.count("2 of 2 matched") == 3, r.stdout


@pytest.mark.slow
def test_autograde_benches_quick():
    """Both autograde benchmarks run end to end and print their ratios (the class one grades
    20 students through the instructor's command and plain nbgrader)."""
    for script, names in (
        ("bench_autograde.py", [f"autograde_vs_floor_{PS2}"]),
        ("bench_class.py", ["class_autograde_vs_plain_nbgrader"]),
    ):
        r = run(script, "--quick", timeout=600)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        assert set(names) <= set(ratios(r.stdout)), r.stdout[-3000:]


def test_run_all_runs_every_script_and_reports_failures(tmp_path):
    (tmp_path / "bench_a.py").write_text("print('RATIO a = 1 (x; target 1: MET)')\n")
    (tmp_path / "bench_b.py").write_text("import sys\nprint('b ran')\nsys.exit(3)\n")
    (tmp_path / "bench_c.py").write_text("import sys\nprint('c got', sys.argv[1:])\n")
    (tmp_path / "helper.py").write_text("raise SystemExit('helpers are not benchmarks')\n")

    r = run("run_all.py", "--dir", str(tmp_path), "--", "--quick")
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout
    # every script ran, in order, past the failing one, with the extra arguments
    assert out.index("===== bench_a.py") < out.index("b ran") < out.index("c got ['--quick']")
    assert "bench_b.py" in out.split("===== summary =====")[1].split("failed:")[1]
    assert "RATIO a = 1" in out.split("===== summary =====")[1]
    assert "helpers are not" not in out

    ok = run("run_all.py", "--dir", str(tmp_path), "-k", "bench_a")
    assert ok.returncode == 0, ok.stdout + ok.stderr
