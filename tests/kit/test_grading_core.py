"""grade_item in-process: isolated sub-checks, clean scores, reports."""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

from course.grading import core
from course.grading.core import (
    Disqualified,
    Mistake,
    NotTested,
    SubCheck,
    clean_score,
    grade_item,
)


def ok() -> None:
    pass


def fails() -> None:
    raise Mistake("the bias gradient was averaged")


def test_partial_credit_and_report(capsys):
    pts = grade_item("Item", [SubCheck("a", 2, ok), SubCheck("b", 1.5, fails)])
    out = capsys.readouterr()
    assert pts == 2.0 and type(pts) is float
    assert "Item: 2 / 3.5 points" in out.out and "✓ a" in out.out and "✗ b" in out.out
    assert "the bias gradient was averaged" in out.out and out.err == ""


def test_warnings_stderr_and_crashes_never_reach_stderr(capsys):
    def noisy() -> None:
        np.exp(np.array([1e4]))  # overflow warning
        np.array([1.0]) / 0.0
        warnings.warn("student warning", stacklevel=1)
        print("to stderr", file=sys.stderr)

    def crash() -> None:
        raise SystemExit(3)  # a student's sys.exit() must not end the kernel

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning that escapes would now raise
        pts = grade_item("Noisy", [SubCheck("noisy", 1, noisy), SubCheck("exit", 1, crash)])
    out = capsys.readouterr()
    assert pts == 1.0 and out.err == "" and "to stderr" in out.out and "SystemExit" in out.out


def test_score_is_always_a_clean_float_in_range():
    assert clean_score(float("nan"), 5) == 0.0
    assert clean_score(float("inf"), 5) == 0.0
    assert clean_score(-1, 5) == 0.0
    assert clean_score(5.0000000001, 5) == 5.0
    assert clean_score("junk", 5) == 0.0
    tenths = [SubCheck(f"c{i}", 0.1, ok) for i in range(10)]  # 0.1 * 10 sums to 0.999...
    assert grade_item("Tenths", tenths) == 1.0
    assert grade_item("Negative", [SubCheck("neg", -3, ok)]) == 0.0


def test_disqualified_voids_the_item(capsys):
    def cheat() -> None:
        raise Disqualified("called the reference")

    assert grade_item("X", [SubCheck("a", 3, ok), SubCheck("b", 1, cheat)]) == 0.0
    assert "This item scores 0: called the reference" in capsys.readouterr().out


def test_hidden_mode_hides_exception_messages(capsys):
    def leaky() -> None:
        np.ones((5, 3)) @ np.ones((4, 2))

    grade_item("H", [SubCheck("leaky", 1, leaky)], hidden=True)
    hidden = capsys.readouterr().out
    grade_item("V", [SubCheck("leaky", 1, leaky)], hidden=False)
    visible = capsys.readouterr().out
    assert "raised ValueError (two arrays have incompatible shapes" in hidden
    assert "leaky()" not in hidden and "leaky()" in visible  # the student names functions
    assert "size" not in hidden and "size" in visible


def test_hidden_mode_names_no_exception_class_or_function_the_student_made_up(capsys):
    class Seed2718Error(Exception):
        pass

    def shape_7_by_5() -> None:
        raise Seed2718Error("7 5")

    grade_item("H", [SubCheck("made up", 1, shape_7_by_5)], hidden=True)
    hidden = capsys.readouterr().out
    assert "raised an exception" in hidden
    assert "2718" not in hidden and "7_by_5" not in hidden and "7 5" not in hidden


def test_sub_check_time_limit(capsys):
    def endless() -> None:
        while True:
            pass

    assert (
        grade_item("Loop", [SubCheck("loop", 1, endless), SubCheck("ok", 1, ok)], timeout=0.3) == 1
    )
    assert "ran for over 0.3 s" in capsys.readouterr().out


def test_an_endless_loop_is_waited_for_once_and_reported_once(capsys):
    def endless() -> None:
        while True:
            pass

    start = time.monotonic()
    checks = [SubCheck(f"loop {i}", 1, endless) for i in range(5)] + [SubCheck("ok", 1, ok)]
    assert grade_item("Loop", checks, timeout=3.0) == 1
    out = capsys.readouterr().out
    assert time.monotonic() - start < 3.5 + 4 * 1.5 + 1.0  # one full budget, then short ones
    assert out.count("ran for over 3 s") == 1 and out.count("see “loop 0”") == 4


def test_one_cause_one_message_under_the_check_it_is_about(capsys):
    cause = ValueError("bias broke")

    def blocked() -> None:
        raise NotTested(cause, "backward() raised before returning")

    def own() -> None:
        raise cause

    grade_item("Item", [SubCheck("input", 1, blocked), SubCheck("bias", 1, own)])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[2].strip() == "not tested: backward() raised before returning (see “bias”)"
    assert lines[3].startswith("  ✗ bias") and " ".join(out.split()).count("bias broke") == 1


def test_messages_fit_a_100_column_cell(capsys):
    def wordy() -> None:
        raise Mistake("a long explanation " * 20)

    grade_item("Wordy", [SubCheck("wordy", 1, wordy)])
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) <= 100


def test_a_broken_report_still_returns_zero(monkeypatch):
    monkeypatch.setattr(core, "print", lambda *a, **k: 1 / 0, raising=False)
    assert grade_item("P", [SubCheck("a", 1, ok)]) == 0.0


def test_only_ungraded_read_only_tagged_cells_are_display_only():
    from nbformat.v4 import new_code_cell

    from autograder.execute import is_display_only

    def cell(tags=("display-only",), **nbgrader):
        meta = {"grade": False, "solution": False, "locked": True, "grade_id": "plot", **nbgrader}
        return new_code_cell("plot()", metadata={"tags": list(tags), "nbgrader": meta})

    assert is_display_only(cell())
    assert not is_display_only(cell(tags=()))
    assert not is_display_only(cell(grade=True, points=1))  # a test cell always runs
    assert not is_display_only(cell(solution=True, locked=False))
    assert not is_display_only(cell(locked=False))  # the student's own cells always run
    assert not is_display_only(cell(grade_id=None))  # unknown to the gradebook
