"""What a class got wrong, from the grader's own reports in the autograded notebooks.

Every test cell's output is a report written by the trusted grader (``grade_item``): a title line
``Linear (autograder, on data you have not seen): 8.5 / 10 points``, then ``✓``/``✗`` lines per
sub-check, each ``✗`` followed by the likely mistake. This module counts, per item and sub-check,
how many students failed it on the hidden data and which explanations they got most often.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import nbformat

NOT_ATTEMPTED = "not attempted (the stub still raises NotImplementedError)"
_TITLE = re.compile(r"^(?P<item>\S.*?) \(autograder, on data you have not seen\): ")
_FAILED = re.compile(r"^  ✗ (?P<check>.+?)\s+0 / [\d.]+$")


def hidden_failures(report: str) -> list[tuple[str, str, str]]:
    """(item, sub-check, explanation) for every ✗ in the hidden part of one report."""
    out, item, lines = [], None, report.splitlines()
    for i, line in enumerate(lines):
        m = _TITLE.match(line)
        if m:
            item = m["item"]
            continue
        f = _FAILED.match(line)
        if item and f:
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            out.append((item, f["check"], "" if nxt.startswith(("✓", "✗")) else nxt[:160]))
    return out


def class_mistakes(autograded: Path, assignment: str) -> tuple[int, dict]:
    """(students, {(item, sub-check): (students failing, Counter of explanations)})."""
    counts: dict = defaultdict(lambda: [set(), Counter()])
    students = 0
    for path in sorted(Path(autograded).glob(f"*/{assignment}/{assignment}.ipynb")):
        student = path.parts[-3]
        students += 1
        try:
            nb = nbformat.read(path, 4)
        except (OSError, ValueError):
            continue
        for cell in nb.cells:
            if not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
                continue
            text = "".join(o.get("text", "") for o in cell.get("outputs", []))
            for item, check, why in hidden_failures(text):
                if "NotImplementedError" in why:  # the stub was left: not a mistake to report
                    check, why = NOT_ATTEMPTED, ""
                counts[item, check][0].add(student)
                if why:
                    counts[item, check][1][why] += 1
    return students, {k: (len(v[0]), v[1]) for k, v in counts.items()}


def format_mistakes(assignment: str, students: int, mistakes: dict, top: int = 12) -> str:
    """The most failed sub-checks with their most common explanation, as text."""
    if not students:
        return f"{assignment}: no autograded notebooks"
    lines = [f"What the class got wrong in {assignment} (hidden checks, {students} students):"]
    ranked = sorted(mistakes.items(), key=lambda kv: -kv[1][0])[:top]
    if not ranked:
        lines.append("  every sub-check passed for every student")
    for (item, check), (n, whys) in ranked:
        lines.append(f"  {n / students:4.0%}  {item}: {check}  ({n} students)")
        for why, m in whys.most_common(2):
            lines.append(f"          {m:>4} × {why}")
    return "\n".join(lines)


_PLAIN = {
    "TimeoutError": "a cell ran past the time limit and was stopped",
    "DeadKernelError": "a cell ended the process running the notebook (exit call, crash or memory)",
    "MemoryError": "a cell ran out of memory",
    "SandboxError": "the sandbox failed while running a cell",
}


def attention(path: Path) -> list[str]:
    """Plain-words notes on an autograded notebook: cells that timed out, died or blew memory."""
    try:
        nb = nbformat.read(path, 4)
    except (OSError, ValueError):
        return ["the autograded notebook cannot be read"]
    notes = []
    for i, cell in enumerate(nb.cells, 1):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error" and o.get("ename") in _PLAIN:
                notes.append(f"{_PLAIN[o['ename']]} (cell {i}); the other items were graded")
    return notes
