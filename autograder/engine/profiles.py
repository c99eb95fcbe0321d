"""Each problem set's checks and sandbox library, keyed by assignment id (one place for both)."""

from __future__ import annotations

from .library import COMMON, Profile

_REFERENCE = ("functional.py", "modules/__init__.py", "modules/activations.py",
              "modules/container.py", "modules/linear.py", "modules/losses.py",
              "modules/prelu.py", "modules/elu.py", "modules/rbf.py")  # fmt: skip


def _ps3_digits() -> bytes:
    from course.grading.ps3.digits import sandbox_file  # the grader's own copy of the held-out rows

    return sandbox_file()


PROFILES: dict[str, Profile] = {
    # ps1 writes sigmoid, softmax, ... as functions: no course.functional, no reference modules;
    # course.scalar holds the graph nodes its backward (question 3) walks.
    "ps1_chain_rule": Profile(
        checks="course.grading.ps1",
        files=(*COMMON, "scalar.py", "scalar_engine.py", "scalar_graph.py", "scalar_draw.py"),
    ),
    # ps2 writes the modules: only the Module and Loss base classes.
    "ps2_modules": Profile(checks="course.grading.ps2"),
    # ps3 builds on the reference modules and the digits; it writes its own optimiser. The checks
    # build their probes (planted networks, recorders) in the sandbox; the digits there lack the
    # rows the grader tests fit_digits on, so no label of those is within the student's reach.
    "ps3_training": Profile(
        checks="course.grading.ps3",
        files=(
            *COMMON,
            *_REFERENCE,
            "data.py",
            "data_files/DIGITS_LICENSE.md",
            "grading/ps3/probes.py",
        ),
        generated={"data_files/digits.csv.gz": _ps3_digits},
    ),
}


def profile(assignment: str) -> Profile:
    """The profile of ``assignment``; a clear error for an id the grader does not know."""
    try:
        return PROFILES[assignment]
    except KeyError:
        raise KeyError(
            f"no grading profile for assignment {assignment!r}; known: {sorted(PROFILES)} "
            "(add one in autograder/engine/profiles.py)"
        ) from None
