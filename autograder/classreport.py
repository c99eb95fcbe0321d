"""What a class got wrong, from the grader's own reports in the autograded notebooks.

Every test cell's output is a report written by the trusted grader (``grade_item``): a title line
``Linear (autograder, on data you have not seen): 8.5 / 10 points``, then ``✓``/``✗`` lines per
sub-check, each ``✗`` followed by the likely mistake. This module counts, per item and sub-check,
how many students failed it on the hidden data and which explanations they got most often.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import nbformat

from .cellmeta import nbgrader_meta

NOT_ATTEMPTED = "not attempted (the stub still raises NotImplementedError)"
_TITLE = re.compile(r"^(?P<item>\S.*?) \(autograder, on data you have not seen\): ")
_FAILED = re.compile(r"^  ✗ (?P<check>.+?)\s+0 / [\d.]+$")


_SAME = re.compile(r"^the same failure: see “(?P<check>.+)”$")
_NOT_A_MISTAKE = ("not tested", "not counted yet")  # another cause, or nothing to judge yet


def hidden_failures(report: str) -> list[tuple[str, str, str]]:
    """(item, sub-check, explanation) for every ✗ in the hidden part of one report. A ✗ that
    points to another sub-check's failure gets that explanation; one that was not tested, or is
    not counted yet, is not a mistake of its own and is left out."""
    out, item, lines = [], None, report.splitlines()
    for i, line in enumerate(lines):
        m = _TITLE.match(line)
        if m:
            item = m["item"]
            continue
        f = _FAILED.match(line)
        if not (item and f):
            continue
        why = []  # the explanation, wrapped over the lines indented under the ✗
        for nxt in lines[i + 1 :]:
            if not nxt.startswith(" " * 6):
                break
            why.append(nxt.strip())
        text = " ".join(why)
        same = _SAME.match(text)
        if same:
            text = next((w for it, c, w in out if it == item and c == same["check"]), "")
        elif text.startswith(_NOT_A_MISTAKE):
            continue
        out.append((item, f["check"], text[:160]))
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
            if not nbgrader_meta(cell).get("grade"):
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


# --- the class report page ---------------------------------------------------------------------
def item_scores(autograded: Path, assignment: str) -> dict[str, list[float]]:
    """Test-cell grade id → every student's score for it, from the autograded notebooks."""
    scores: dict[str, list[float]] = defaultdict(list)
    for path in sorted(Path(autograded).glob(f"*/{assignment}/{assignment}.ipynb")):
        try:
            nb = nbformat.read(path, 4)
        except (OSError, ValueError):
            continue
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            if not (meta.get("grade") and cell.get("cell_type") == "code"):
                continue
            results = [
                o for o in cell.get("outputs", []) if o.get("output_type") == "execute_result"
            ]
            try:
                scores[meta["grade_id"]].append(float(results[-1]["data"]["text/plain"]))
            except (IndexError, KeyError, ValueError):
                scores[meta["grade_id"]].append(0.0)
    return dict(scores)


def _histograms(scores: dict[str, list[float]], points: dict[str, float]) -> str:
    """One small histogram per item, as an inline PNG (data URI)."""
    import base64
    import io

    from matplotlib.figure import Figure

    n = max(len(scores), 1)
    fig = Figure(figsize=(2.3 * n, 2.2), layout="constrained")
    for i, (gid, values) in enumerate(scores.items()):
        ax = fig.add_subplot(1, n, i + 1)
        top = points.get(gid) or max(values + [1.0])
        ax.hist(values, bins=min(10, max(int(top * 2), 1)), range=(0, top), color="#4477aa")
        ax.set_title(gid, fontsize=9)
        ax.set_xlabel("points", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.axes[0].set_ylabel("students", fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def write_report(
    course_dir: Path, assignment: str, attention_lines: list[str]
) -> tuple[Path, Path]:
    """reports/<assignment>.html (score distributions, mistakes, who needs attention) and
    reports/<assignment>.csv (one row per item and diagnosed mistake)."""
    import csv
    import html

    autograded = Path(course_dir) / "autograded"
    students, mistakes = class_mistakes(autograded, assignment)
    scores = item_scores(autograded, assignment)
    release = Path(course_dir) / "assignments" / assignment / f"{assignment}.ipynb"
    points = {c.metadata.nbgrader.grade_id: float(c.metadata.nbgrader.points)
              for c in nbformat.read(release, 4).cells
              if nbgrader_meta(c).get("grade")
              and c.cell_type == "code"}  # fmt: skip
    out = Path(course_dir) / "reports"
    out.mkdir(exist_ok=True)
    rows = []
    for (item, check), (n, whys) in sorted(mistakes.items(), key=lambda kv: -kv[1][0]):
        for why, m in whys.most_common() or [("", n)]:
            rows.append({"item": item, "sub_check": check, "mistake": why, "students": m,
                         "share": round(m / max(students, 1), 4)})  # fmt: skip
    with (out / f"{assignment}.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["item", "sub_check", "mistake", "students", "share"])
        w.writeheader()
        w.writerows(rows)
    e = html.escape
    table = "\n".join(
        f"<tr><td>{e(r['item'])}</td><td>{e(r['sub_check'])}</td><td>{e(r['mistake'])}</td>"
        f"<td class=n>{r['students']}</td><td class=n>{r['share']:.0%}</td></tr>"
        for r in rows
    )
    means = "".join(
        f"<tr><td>{e(g)}</td><td class=n>{sum(v) / len(v):.2f} / {points.get(g, 0):g}</td>"
        f"<td class=n>{sum(x == points.get(g) for x in v)} of {len(v)}</td></tr>"
        for g, v in scores.items()
    )
    attention_html = "".join(f"<li>{e(a)}</li>" for a in attention_lines) or "<li>none</li>"
    img = _histograms(scores, points) if scores else ""
    page = f"""<!doctype html><meta charset=utf-8><title>Class report: {e(assignment)}</title>
<style>body{{font:14px sans-serif;margin:2em}} td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}
.n{{text-align:right}} table{{border-collapse:collapse}}</style>
<h1>Class report: {e(assignment)}</h1>
<p id=students>{students} students autograded.</p>
<h2>Scores per item</h2><img id=histograms alt="score distribution per item" src="{img}">
<table id=items><tr><th>item</th><th>mean</th><th>full marks</th></tr>{means}</table>
<h2>Most frequent mistakes (hidden checks)</h2>
<table id=mistakes><tr><th>item</th><th>sub-check</th><th>diagnosis</th><th>students</th><th>share</th></tr>
{table}</table>
<h2>Submissions that need attention</h2><ul id=attention>{attention_html}</ul>
"""
    (out / f"{assignment}.html").write_text(page)
    return out / f"{assignment}.html", out / f"{assignment}.csv"


# --- the end-of-run summary --------------------------------------------------------------------
def summary(course_dir: Path, assignment: str, found: list, outcomes: list) -> str:
    """Who was graded, who was not and why, what was noticed, and what the class got wrong."""
    graded = {
        p.parts[-3] for p in (course_dir / "autograded").glob(f"*/{assignment}/{assignment}.ipynb")
    }
    status = {o.student: o for o in outcomes}
    lines = [
        f"{assignment}: {len(found)} submission(s), {len(graded & {f.student for f in found})} graded"
    ]
    here = [o for o in outcomes if o.status == "graded" and o.worker_error]
    parallel = sum(o.status == "graded" for o in outcomes) - len(here)
    cached = sum(o.status == "cached" for o in outcomes)
    for o in outcomes:
        if o.reason and o.status != "failed":
            lines.append(f"  note  {o.student}: {o.reason}")
    lines.append(f"  graded now in parallel: {parallel}; from an earlier run: {cached}")
    if here:  # one line, not one per student: on a broken cluster it is the whole class
        lines.append(
            f"  graded in this process because their Dask worker failed: {len(here)} (the worker "
            f"said {here[0].worker_error}; check that every worker has bubblewrap and may create "
            "user namespaces)"
        )
    for f in found:
        notes = [f.note] if f.note else []
        notes += [f.problem] if f.problem else []
        done = course_dir / "autograded" / f.student / assignment / f"{assignment}.ipynb"
        if f.student in graded:
            notes += attention(done)
        for note in notes:
            lines.append(f"  note  {f.student}: {note}")
    for f in found:
        if f.student in graded:
            continue
        why = (
            f.problem
            or (status[f.student].reason if f.student in status else "")
            or "it could not be graded (see the messages above)"
        )
        lines.append(f"  NOT GRADED  {f.student}: {why}")
    attention_lines = [ln.strip() for ln in lines[2:]]
    lines.append(
        format_mistakes(assignment, *class_mistakes(course_dir / "autograded", assignment))
    )
    page, table = write_report(course_dir, assignment, attention_lines)
    lines.append(f"class report: {page} (and {table.name})")
    return "\n".join(lines)


def pivot(rows: list[dict[str, object]], ids: Sequence[str]) -> str:
    """Students × assignments: the autograded score of each, as text."""
    table: dict[str, dict[str, str]] = {}
    for r in rows:
        if r["assignment"] in ids and r.get("status", "graded") == "graded":
            table.setdefault(str(r["student"]), {})[str(r["assignment"])] = (
                f"{r['code_score']:g}/{r['max_code_score']:g}"
            )
    width = max([len(s) for s in table] + [7])
    lines = ["student".ljust(width) + "".join(f"  {a:>16}" for a in ids)]
    for student in sorted(table):
        lines.append(student.ljust(width)
                     + "".join(f"  {table[student].get(a, '-'):>16}" for a in ids))  # fmt: skip
    return "\n".join(lines)
