"""The adversarial corpus of issue 9, graded by the instructor's real commands.

One throwaway course directory gets, per assignment, `victim` (the solution), `untouched` (the
release) and one student per file of tests/adversarial/<ps>/ (see its README). Then
`python -m course.instructor autograde`, `feedback` and `grades` run in a subprocess. No attacker
may earn a point, take one from the victim, write the gradebook, change the course package, the
course directory or the Python environment, leave a process behind or see anything hidden in its
feedback; and the batch always completes.

Environment knobs: ADV_PYTHON (python for the commands; default this one), ADV_WRAP (a command
prefix, e.g. `unshare --pid --fork --mount-proc`), ADV_ONLY (comma-separated globs of attack ids
such as `ps1/output_*`), ADV_DANGER=1 (run attacks marked `danger:` without the bubblewrap sandbox:
only in a throwaway clone), ADV_TIMEOUT (seconds per command), ADV_REPORT (write a JSON summary).
"""

from __future__ import annotations

import compileall
import contextlib
import fnmatch
import hashlib
import html
import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import determine_grade

from course.instructor import copy_course, release, solved_notebook, submit

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "adversarial"
IDS = {"ps1": "ps1_chain_rule", "ps2": "ps2_modules", "ps3": "ps3_training"}
PY = os.environ.get("ADV_PYTHON", sys.executable)
WRAP = shlex.split(os.environ.get("ADV_WRAP", ""))
TIMEOUT = float(os.environ.get("ADV_TIMEOUT", "1800"))
SANDBOX = ROOT / "course" / "grading" / "engine" / "sandbox.py"
OUTPUTS = ("autograded", "feedback", "gradebook.db", "grades.csv")  # what grading may write
MARKER = "adv-corpus"  # every file an attack plants carries it (so the test may delete it)
KEYS = ("class", "what", "cell", "after", "files", "danger")
SPLIT = re.compile(r"^# %% (cell|after|file): *(\S+) *\n", re.M)


class Attack:
    def __init__(self, path: Path):
        self.path, self.id, self.student = path, f"{path.parent.name}/{path.stem}", path.stem
        self.assignment = IDS[path.parent.name]
        lines = path.read_text().splitlines(keepends=True)
        self.header: dict[str, str] = {}
        while lines and (m := re.match(rf"# ({'|'.join(KEYS)}): *(.*)", lines[0])):
            self.header[m[1]] = m[2].strip()
            lines.pop(0)
        parts = SPLIT.split("".join(lines))
        first = "cell" if "cell" in self.header else "after"
        chunks = [(first, self.header[first], parts[0])] + [
            (parts[i], parts[i + 1], parts[i + 2]) for i in range(1, len(parts), 3)
        ]
        self.cells = [(k, t, s.strip("\n") + "\n") for k, t, s in chunks if k != "file"]
        self.files = {t: s for k, t, s in chunks if k == "file"}
        self.source = "".join(parts)

    def allowed(self) -> bool:
        """Destructive attacks run only against the sandbox (a pid namespace for kill-all)."""
        kind = self.header.get("danger")
        text = SANDBOX.read_text() if SANDBOX.is_file() else ""
        if not kind or os.environ.get("ADV_DANGER") == "1":
            return True
        return "bwrap" in text and (kind != "kill-all" or re.search("unshare-(pid|all)", text))


ALL = [Attack(p) for p in sorted(CORPUS.glob("ps*/*.py"))]
ONLY = [g for g in os.environ.get("ADV_ONLY", "").split(",") if g]
CHOSEN = [a for a in ALL if not ONLY or any(fnmatch.fnmatch(a.id, g) for g in ONLY)]
RUN = [a for a in CHOSEN if a.allowed()]
HELD_BACK = [a.id for a in CHOSEN if not a.allowed()]


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def notebook(d: Path, folder: str, a: str, student: str | None = None):
    path = d / folder / (f"{student}/{a}" if student else a) / f"{a}.ipynb"
    return nbformat.read(path, 4) if path.is_file() else None


def grade_cells(a: str) -> dict[str, tuple[float, bool]]:
    """grade_id -> (points, autograded?) from the instructor's source notebook."""
    nb = nbformat.read(ROOT / "solutions" / a / f"{a}.ipynb", 4)
    return {meta(c)["grade_id"]: (float(meta(c)["points"]),
                                  c.cell_type == "code" and not meta(c).get("solution"))
            for c in nb.cells if meta(c).get("grade")}  # fmt: skip


def build(nb, atk: Attack):
    """The release with the attack's cells: answers replaced, new cells inserted."""
    placed: dict[str, int] = {}
    for kind, gid, src in atk.cells:
        i = next((i for i, c in enumerate(nb.cells) if meta(c).get("grade_id") == gid), None)
        assert i is not None, f"{atk.id}: the release has no cell {gid!r}"
        if kind == "cell":
            assert meta(nb.cells[i]).get("solution"), f"{atk.id}: {gid} is not an answer cell"
            nb.cells[i].source = src
        else:
            placed[gid] = placed.get(gid, 0) + 1
            nb.cells.insert(i + placed[gid], nbformat.v4.new_code_cell(src))
    return nb


C_STUB = """#include <Python.h>
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "%(mod)s", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_%(mod)s(void) {
  PyObject *m = PyModule_Create(&def), *g, *r;
  if (m == NULL) return NULL;
  g = PyModule_GetDict(m);
  PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins());
  r = PyRun_String(%(payload)s, Py_file_input, g, g);
  if (r == NULL) { Py_DECREF(m); return NULL; }
  Py_DECREF(r);
  return m;
}
"""


def plant(folder: Path, name: str, content: str) -> None:
    """An extra file next to the notebook; `{ext}` names a compiled extension whose import runs
    ``content`` (Python) in the module's namespace."""
    if "{ext}" not in name:
        (folder / name).write_text(content)
        return
    info = subprocess.run([PY, "-c", "import sysconfig as s; print(s.get_paths()['include']);"
                           "print(s.get_config_var('EXT_SUFFIX'))"], capture_output=True,
                          text=True, check=True).stdout.split()  # fmt: skip
    mod = name.split(".")[0]
    (folder / f"{mod}.c").write_text(C_STUB % {"mod": mod, "payload": json.dumps(content)})
    subprocess.run(["gcc", "-shared", "-fPIC", "-O0", f"-I{info[0]}", "-o",
                    str(folder / name.replace("{ext}", info[1])), str(folder / f"{mod}.c")],
                   check=True)  # fmt: skip
    (folder / f"{mod}.c").unlink()


def hashes(root: Path, skip=()) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()
            and p.relative_to(root).parts[0] not in skip}  # fmt: skip


def site_dirs() -> list[Path]:
    code = "import json, site; print(json.dumps(site.getsitepackages()))"
    return [Path(p) for p in json.loads(subprocess.check_output([PY, "-c", code]))]


def snapshot(d: Path, ipython: Path) -> dict[str, dict[str, str]]:
    top = {f"{s}/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
           for s in site_dirs() for p in s.iterdir()}  # fmt: skip
    return {"course package": hashes(ROOT / "course"), "course directory": hashes(d, OUTPUTS),
            "site-packages": top, "IPython startup": hashes(ipython)}  # fmt: skip


def diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted([f"new {k}" for k in after.keys() - before.keys()]
                  + [f"removed {k}" for k in before.keys() - after.keys()]
                  + [f"changed {k}" for k in before.keys() & after.keys() if before[k] != after[k]])  # fmt: skip


def run(cmd: str, d: Path, env: dict, log: Path) -> str:
    args = [*WRAP, PY, "-m", "course.instructor", cmd, "--course-dir", str(d),
            "--db-url", f"sqlite:///{d / 'gradebook.db'}"]  # fmt: skip
    with log.open("w") as out:
        p = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)  # fmt: skip
        try:
            return f"exit {p.wait(timeout=TIMEOUT)}"
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            return f"TIMED OUT after {TIMEOUT:g} s"


def gradebook(db: Path) -> dict:
    """Every grade row as (student, assignment, grade_id) -> (auto, manual, extra, max_score)."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        rows = con.execute(
            "SELECT sa.student_id, a.name, bc.name, g.auto_score, g.manual_score, g.extra_credit,"
            " gc.max_score FROM grade g JOIN submitted_notebook sn ON g.notebook_id = sn.id"
            " JOIN submitted_assignment sa ON sn.assignment_id = sa.id"
            " JOIN assignment a ON sa.assignment_id = a.id JOIN base_cell bc ON g.cell_id = bc.id"
            " JOIN grade_cells gc ON gc.id = bc.id").fetchall()  # fmt: skip
        count = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("grade", "submitted_assignment", "submitted_notebook", "comment")}  # fmt: skip
        students = sorted(r[0] for r in con.execute("SELECT id FROM student"))
        assignments = sorted(r[0] for r in con.execute("SELECT name FROM assignment"))
        con.close()
    except Exception as exc:  # a gradebook an attack broke
        return {"error": repr(exc), "grades": {}}
    return {"grades": {r[:3]: r[3:] for r in rows}, "count": count, "students": students,
            "assignments": assignments}  # fmt: skip


def reap(token: str, d: Path) -> dict[int, str]:
    """Processes the grading left behind (they carry our token or sit in the course dir): killed."""
    found = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if token.encode() in (p / "environ").read_bytes() or os.readlink(p / "cwd").startswith(
                str(d)
            ):
                found[int(p.name)] = (
                    (p / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:100]
                )
    for pid in found:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not RUN:
        pytest.skip("no attack selected")
    tmp = tmp_path_factory.mktemp("adversarial")
    d, ipython = copy_course(tmp / "course"), tmp / "ipython"
    release(d, db_url=f"sqlite:///{d / 'gradebook.db'}")
    for a in IDS.values():
        submit(d, "victim", a, solved_notebook(d, a))
        submit(d, "untouched", a, notebook(d, "assignments", a))
    for atk in RUN:
        folder = submit(
            d, atk.student, atk.assignment, build(notebook(d, "assignments", atk.assignment), atk)
        ).parent
        for name, content in atk.files.items():
            plant(folder, name, content)
    compileall.compile_dir(str(ROOT / "course"), quiet=2)  # what autograde does first
    before, token = snapshot(d, ipython), uuid.uuid4().hex
    env = {**os.environ, "PATH": f"{Path(PY).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "IPYTHONDIR": str(ipython), "ADV_TOKEN": token}  # fmt: skip
    start, runs = time.monotonic(), {}
    for cmd in ("autograde", "feedback", "grades"):
        runs[cmd] = run(cmd, d, env, tmp / f"{cmd}.log")
    seconds, first = time.monotonic() - start, gradebook(d / "gradebook.db")
    time.sleep(3)  # a daemon would edit the gradebook now
    result = {"dir": d, "runs": runs, "seconds": seconds, "first": first,
              "book": gradebook(d / "gradebook.db"), "left": reap(token, d),
              "before": before, "after": snapshot(d, ipython)}  # fmt: skip
    for where in ("site-packages", "IPython startup"):  # planted files poison later kernels
        for k in result["after"][where].keys() - before[where].keys():
            with contextlib.suppress(OSError, UnicodeDecodeError):
                path = Path(k) if where == "site-packages" else ipython / k
                if MARKER in path.read_text():
                    path.unlink()
    if os.environ.get("ADV_REPORT"):
        Path(os.environ["ADV_REPORT"]).write_text(json.dumps({
            "runs": runs, "seconds": seconds, "left": result["left"],
            "scores": {f"{s}/{a}/{g}": v for (s, a, g), v in result["book"]["grades"].items()},
        }, indent=1))  # fmt: skip
    print(f"\nadversarial corpus: {len(RUN)} attacks graded in {seconds:.0f} s; {runs}; {d}")
    return result


def score(book: dict, student: str, a: str, gid: str) -> float | None:
    row = book["grades"].get((student, a, gid))
    if row is None:
        return None
    auto, manual, extra, _ = row
    return (manual if manual is not None else auto or 0.0) + (extra or 0.0)


def graded_items(book, student: str, a: str) -> dict[str, float | None]:
    return {g: score(book, student, a, g) for g in grade_cells(a)}


# --- scores --------------------------------------------------------------------------------------
@pytest.mark.parametrize("atk", RUN, ids=lambda a: a.id)
def test_attack_earns_nothing(graded, atk):
    got = graded_items(graded["book"], atk.student, atk.assignment)
    won = {g: s for g, s in got.items() if s}
    assert not won, f"{atk.id} ({atk.header.get('what')}) earned points the release does not: {won}"
    missing = [g for g, s in got.items() if s is None]
    assert not missing, f"{atk.id}: no grade for {missing}: the batch did not grade this student"


@pytest.mark.parametrize("a", IDS.values())
def test_victim_keeps_full_marks(graded, a):
    got = graded_items(graded["book"], "victim", a)
    lost = {g: got[g] for g, (pts, auto) in grade_cells(a).items() if auto and got[g] != pts}
    assert not lost, f"the victim (the solution) lost points on {a}: {lost}"


@pytest.mark.parametrize("a", IDS.values())
def test_untouched_release_scores_zero(graded, a):
    got = graded_items(graded["book"], "untouched", a)
    assert all(s == 0 for s in got.values()), f"the untouched release of {a} got {got}"


def test_batch_completes(graded):
    d, book = graded["dir"], graded["book"]
    assert not [r for r in graded["runs"].values() if "TIMED OUT" in r], graded["runs"]
    who = [("victim", a) for a in IDS.values()] + [("untouched", a) for a in IDS.values()]
    who += sorted({(atk.student, atk.assignment) for atk in RUN})
    ungraded = [f"{s}/{a}" for s, a in who if None in graded_items(book, s, a).values()]
    no_feedback = [
        f"{s}/{a}" for s, a in who if not (d / "feedback" / s / a / f"{a}.html").is_file()
    ]
    assert not ungraded and not no_feedback, f"not graded: {ungraded}; no feedback: {no_feedback}"


# --- the gradebook holds only what the grader wrote ----------------------------------------------
def test_gradebook_holds_only_what_the_grader_wrote(graded):
    d, book = graded["dir"], graded["book"]
    assert "error" not in book, f"the gradebook cannot be read: {book.get('error')}"
    who = {("victim", a) for a in IDS.values()} | {("untouched", a) for a in IDS.values()}
    who |= {(atk.student, atk.assignment) for atk in RUN}
    assert book["students"] == sorted({s for s, _ in who}), "students nobody submitted as"
    assert book["assignments"] == sorted(IDS.values()), "assignments that were never released"
    want = {(s, a, g): pts for s, a in who for g, (pts, _) in grade_cells(a).items()}
    problems = [f"extra grade row {k}" for k in book["grades"].keys() - want.keys()]
    problems += [f"{book['count']['grade'] - len(book['grades'])} orphan grade rows"] * (
        book["count"]["grade"] != len(book["grades"]))  # fmt: skip
    for (s, a, g), (auto, manual, extra, mx) in sorted(book["grades"].items()):
        nb = notebook(d, "autograded", a, s)
        cell = next((c for c in nb.cells if meta(c).get("grade_id") == g), None) if nb else None
        shown = determine_grade(cell)[0] if cell is not None else "no autograded cell"
        if (s, a, g) in want and (
            auto != shown or manual is not None or extra or mx != want[(s, a, g)]
        ):
            problems.append(f"{s}/{a}/{g}: auto {auto}, manual {manual}, extra {extra}, max {mx};"
                            f" the autograded notebook shows {shown}, the cell is worth {want[(s, a, g)]}")  # fmt: skip
    assert not problems, "the gradebook is not what the grader wrote:\n" + "\n".join(problems[:30])
    assert graded["first"]["grades"] == book["grades"], "the gradebook changed after grading ended"


# --- nothing outside the instructor's output folders changed ----------------------------------------
@pytest.mark.parametrize(
    "where", ["course package", "course directory", "site-packages", "IPython startup"]
)
def test_nothing_else_changed(graded, where):
    changes = diff(graded["before"][where], graded["after"][where])
    assert not changes, f"grading changed the {where}:\n" + "\n".join(changes[:30])


def test_no_process_outlives_grading(graded):
    assert not graded["left"], (
        f"processes left running after grading (now killed): {graded['left']}"
    )


def test_dangerous_attacks_ran():
    if HELD_BACK:
        pytest.skip(f"no bubblewrap sandbox in {SANDBOX}, so not run: {', '.join(HELD_BACK)}")


# --- feedback shows nothing hidden -------------------------------------------------------------------
def secrets(a: str) -> tuple[set[str], set[str], set[str]]:
    """Hidden-test lines, solution lines and regexes of hidden arguments (seeds, shapes)."""
    src = (ROOT / "solutions" / a / f"{a}.ipynb").read_text()
    rel = {ln.strip() for c in nbformat.read(ROOT / "assignments" / a / f"{a}.ipynb", 4).cells
           for ln in c.source.splitlines()}  # fmt: skip
    text = "\n".join(c.source for c in nbformat.reads(src, 4).cells)
    region = lambda tag: [ln.strip() for r in re.findall(rf"### BEGIN {tag}\n(.*?)### END {tag}", text, re.S)
                          for ln in r.splitlines()]  # noqa: E731 # fmt: skip
    hidden = {ln for ln in region("HIDDEN TESTS") if len(ln) >= 10 and ln not in rel}
    solution = {ln for ln in region("SOLUTION") if len(ln) >= 20 and ln not in rel}
    args = set()
    for ln in hidden:
        kv = [(k, v) for k, v in re.findall(r"(\w+)\s*=\s*(-?\d+(?:\.\d+)?)\b", ln)]
        args |= {rf"\b{k}['\"]?\s*[=:]\s*{re.escape(v)}\b" for k, v in kv}
        args |= {rf"(?<![\w.]){re.escape(v)}(?![\w.])" for _, v in kv if len(v.strip("-")) >= 3}
        dims = [v for k, v in kv if k != "seed"]
        args |= {rf"\(\s*{dims[0]}\s*,\s*{v}\s*\)" for v in dims[1:]}
    return hidden, solution, args


def visible_text(path: Path) -> str:
    page = re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", path.read_text(errors="replace"))
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.parametrize("atk", RUN, ids=lambda a: a.id)
def test_attack_feedback_leaks_nothing(graded, atk):
    a = atk.assignment
    path = graded["dir"] / "feedback" / atk.student / a / f"{a}.html"
    if not path.is_file():
        pytest.skip("no feedback (see test_batch_completes)")
    page, hidden, solution, args = visible_text(path), *secrets(a)
    leaks = [f"hidden-test line {ln!r}" for ln in hidden if ln in page and ln not in atk.source]
    leaks += [f"solution line {ln!r}" for ln in solution if ln in page and ln not in atk.source]
    leaks += [f"hidden argument /{p}/: {m[0]!r}" for p in args
              if (m := re.search(p, page)) and not re.search(p, atk.source)]  # fmt: skip
    assert not leaks, f"{atk.id}: its feedback shows what is hidden:\n" + "\n".join(leaks[:20])
