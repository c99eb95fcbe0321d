"""Issue 9's adversarial corpus (tests/adversarial/, see its README) through the instructor's
real commands (`python -m autograder autograde`, `feedback`, `grades`): next to `victim`
(the solution) and `untouched` (the release), no attacker may earn a point, take one from a
classmate, write the gradebook, change `course/`, the course directory or the Python environment,
leave a process running or see anything hidden in its feedback, and the batch always completes.

Knobs: ADV_ONLY (comma-separated globs of attack ids), ADV_DANGER=1 (run `danger:` attacks without
the bubblewrap sandbox: only in a throwaway clone), ADV_PYTHON (python for the commands),
ADV_TIMEOUT (seconds per command), ADV_REPORT (path prefix of a JSON summary per batch).
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
import shutil
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

from autograder import registry
from autograder.commands import release
from autograder.demo import copy_course, solved_notebook, submit

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
IDS = {ps.short: ps.id for ps in registry.PROBLEM_SETS}
PY = os.environ.get("ADV_PYTHON", sys.executable)
TIMEOUT = float(os.environ.get("ADV_TIMEOUT", "1800"))
SANDBOX = ROOT / "autograder" / "engine" / "sandbox.py"
# What grading may write in the course directory: nbgrader's outputs, and the engine's work
# folder, run report and class reports.
OUTPUTS = ("autograded", "feedback", "gradebook.db", "grades.csv", ".grading", "autograde_report.txt", "reports")  # fmt: skip
MARKER = "adv-corpus"  # in every file an attack plants, so that the test may remove it
HEADER = re.compile(r"# (class|what|cell|after|files|danger|ruff): *(.*)\n")
CHUNK = re.compile(r"^# %% (cell|after|file): *(\S+) *\n", re.M)
# `# include: NAME` pastes tests/adversarial/include/NAME.py (code several attacks share).
INCLUDE = re.compile(r"^# include: *(\w+) *\n", re.M)


class Attack:
    """One file of the corpus: a `# key: value` header, then cell sources and planted files."""

    def __init__(self, path: Path):
        self.id, self.student = f"{path.parent.name}/{path.stem}", path.stem
        self.assignment, text = IDS[path.parent.name], path.read_text()
        text = INCLUDE.sub(
            lambda m: (path.parent.parent / "include" / f"{m[1]}.py").read_text(), text
        )
        self.header = {}
        while m := HEADER.match(text):
            self.header[m[1]], text = m[2].strip(), text[m.end() :]
        parts, first = CHUNK.split(text), "cell" if "cell" in self.header else "after"
        chunks = [(first, self.header[first], parts[0])]
        chunks += [tuple(parts[i : i + 3]) for i in range(1, len(parts), 3)]
        self.cells = [(k, t, s.strip("\n") + "\n") for k, t, s in chunks if k != "file"]
        self.files = {t: s for k, t, s in chunks if k == "file"}
        self.source = text
        self.group = "caged" if self.header.get("danger") in ("kill-all", "memory") else "open"

    def allowed(self) -> bool:
        """Destructive attacks run only against the bubblewrap sandbox (or in a throwaway clone)."""
        if self.group == "caged" and (os.geteuid() != 0 or not shutil.which("unshare")):
            return False
        sandboxed = SANDBOX.is_file() and "bwrap" in SANDBOX.read_text()
        return not self.header.get("danger") or sandboxed or os.environ.get("ADV_DANGER") == "1"


CHOSEN = [Attack(p) for p in sorted((ROOT / "tests" / "adversarial").glob("ps*/*.py"))]
if os.environ.get("ADV_ONLY"):
    globs = os.environ["ADV_ONLY"].split(",")
    CHOSEN = [a for a in CHOSEN if any(fnmatch.fnmatch(a.id, g) for g in globs)]
RUN = [a for a in CHOSEN if a.allowed()]
HELD_BACK = [a.id for a in CHOSEN if not a.allowed()]
GROUPS = sorted({a.group for a in RUN})
# Attacks that would take the machine down through a hole in the sandbox are graded in a batch of
# their own, in a pid namespace with an address-space cap.
CAGE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "prlimit", "--as=12000000000"]


def who(group: str) -> list[tuple[str, str]]:
    """(student, assignment) graded in a batch: the attackers, and the classmates beside them."""
    mine = {(atk.student, atk.assignment) for atk in RUN if atk.group == group}
    return sorted(mine | {(s, a) for s in ("victim", "untouched") for _, a in mine})


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def notebook(d: Path, folder: str, a: str, student: str = ""):
    path = d / folder / student / a / f"{a}.ipynb"
    return nbformat.read(path, 4) if path.is_file() else None


def grade_cells(a: str) -> dict[str, tuple[float, bool]]:
    """grade_id -> (points, autograded?), from the instructor's source notebook."""
    return {meta(c)["grade_id"]: (float(meta(c)["points"]),
                                  c.cell_type == "code" and not meta(c).get("solution"))
            for c in notebook(ROOT, "solutions", a).cells if meta(c).get("grade")}  # fmt: skip


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
  if (!m || !(g = PyModule_GetDict(m)) || PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins())) return NULL;
  if (!(r = PyRun_String(%(payload)s, Py_file_input, g, g))) { Py_DECREF(m); return NULL; }
  Py_DECREF(r); return m;
}
"""


def plant(folder: Path, name: str, content: str, tmp: Path) -> None:
    """A file next to the notebook; a name with `{ext}` is a compiled extension module whose
    import runs ``content`` (Python) in its namespace."""
    if "{ext}" not in name:
        return (folder / name).write_text(content)
    code = "import sysconfig as s; print(s.get_paths()['include'], s.get_config_var('EXT_SUFFIX'))"
    include, suffix = subprocess.check_output([PY, "-c", code], text=True).split()
    mod, c_file = name.replace("{ext}", "").split(".")[0], tmp / "extension.c"
    c_file.write_text(C_STUB % {"mod": mod, "payload": json.dumps(content)})
    out = folder / name.replace("{ext}", suffix)
    subprocess.run(
        ["gcc", "-shared", "-fPIC", f"-I{include}", "-o", str(out), str(c_file)], check=True
    )


def hashes(root: Path, skip=()) -> dict[str, str]:
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files if p.relative_to(root).parts[0] not in skip}  # fmt: skip


def snapshot(d: Path, ipython: Path) -> dict[str, dict[str, str]]:
    code = "import json, site; print(json.dumps(site.getsitepackages()))"
    sites = [Path(p) for p in json.loads(subprocess.check_output([PY, "-c", code]))]
    top = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
           for s in sites for p in s.iterdir()}  # fmt: skip
    startup = {k: v for k, v in hashes(ipython).items() if k.endswith((".py", ".ipy"))}
    return {"course package": hashes(ROOT / "course"), "autograder": hashes(ROOT / "autograder"), "course directory": hashes(d, OUTPUTS),
            "site-packages": top, "IPython startup": startup}  # fmt: skip


def run(cmd: str, d: Path, env: dict, log: Path, cage: list[str]) -> str:
    """One instructor command in its own session; killed with everything in it on timeout."""
    args = [*cage, PY, "-m", "autograder", cmd, "--course-dir", str(d),
            "--db-url", f"sqlite:///{d / 'gradebook.db'}"]  # fmt: skip
    with log.open("w") as out:
        p = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
        try:
            return f"exit {p.wait(timeout=TIMEOUT)}"
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            return f"{cmd} TIMED OUT after {TIMEOUT:g} s (exit {p.wait()})"


SQL = """SELECT sa.student_id, a.name, bc.name, g.auto_score, g.manual_score, g.extra_credit,
 gc.max_score FROM grade g JOIN submitted_notebook sn ON g.notebook_id = sn.id
 JOIN submitted_assignment sa ON sn.assignment_id = sa.id JOIN assignment a ON sa.assignment_id = a.id
 JOIN base_cell bc ON g.cell_id = bc.id JOIN grade_cells gc ON gc.id = bc.id"""


def gradebook(db: Path) -> dict:
    """Grade rows (student, assignment, grade_id) -> (auto, manual, extra, max), and row counts."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            grades = {r[:3]: r[3:] for r in con.execute(SQL)}
            rows = con.execute("SELECT count(*) FROM grade").fetchone()[0]
            students = {r[0] for r in con.execute("SELECT id FROM student")}
            assignments = {r[0] for r in con.execute("SELECT name FROM assignment")}
    except Exception as exc:  # a gradebook an attack broke
        return {"error": repr(exc), "grades": {}}
    return {"grades": grades, "rows": rows, "students": students, "assignments": assignments}


def reap(token: str, d: Path) -> dict[int, str]:
    """Kill what grading left running: processes with our token in their environment or their
    working directory in the course directory (ours, since the test started them)."""
    found = {}
    for p in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError):
            if int(p.name) != os.getpid() and (token.encode() in (p / "environ").read_bytes()
                                               or os.readlink(p / "cwd").startswith(str(d))):  # fmt: skip
                found[int(p.name)] = (p / "cmdline").read_bytes().replace(b"\0", b" ")[:80].decode()
    for pid in found:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return found


def grade(group: str, tmp: Path) -> dict:
    """One batch through the instructor's commands, and what it left behind."""
    d, ipython, token = copy_course(tmp / "course"), tmp / "ipython", uuid.uuid4().hex
    release(d, db_url=f"sqlite:///{d / 'gradebook.db'}")
    for s, a in who(group):
        if s in ("victim", "untouched"):
            submit(
                d, s, a, solved_notebook(d, a) if s == "victim" else notebook(d, "assignments", a)
            )
    for atk in (atk for atk in RUN if atk.group == group):
        nb = build(notebook(d, "assignments", atk.assignment), atk)
        folder = submit(d, atk.student, atk.assignment, nb).parent
        for name, content in atk.files.items():
            plant(folder, name, content, tmp)
    for top in ("course", "autograder"):  # what autograde does first
        compileall.compile_dir(str(ROOT / top), quiet=2)
    before, start, cage = snapshot(d, ipython), time.monotonic(), CAGE if group == "caged" else []
    env = {**os.environ, "PATH": f"{Path(PY).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "IPYTHONDIR": str(ipython), "ADV_TOKEN": token}  # fmt: skip
    runs = {c: run(c, d, env, tmp / f"{c}.log", cage) for c in ("autograde", "feedback", "grades")}
    seconds, first = time.monotonic() - start, gradebook(d / "gradebook.db")
    time.sleep(3)  # a daemon would edit the gradebook now
    out = {"dir": d, "runs": runs, "first": first, "book": gradebook(d / "gradebook.db"),
           "left": reap(token, d), "before": before, "after": snapshot(d, ipython)}  # fmt: skip
    for where, base in (("site-packages", Path("/")), ("IPython startup", ipython)):
        for planted in out["after"][where].keys() - before[where].keys():
            with contextlib.suppress(OSError, UnicodeDecodeError):
                if MARKER in (base / planted).read_text():  # it would poison later kernels
                    (base / planted).unlink()
    if os.environ.get("ADV_REPORT"):
        scores = {"/".join(k): v for k, v in out["book"]["grades"].items()}
        report = {"runs": runs, "seconds": seconds, "left": out["left"], "grades": scores}
        Path(f"{os.environ['ADV_REPORT']}.{group}.json").write_text(json.dumps(report, indent=1))
    print(f"\n{group} batch graded in {seconds:.0f} s: {runs}; course directory {d}")
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """group -> what its batch did; each batch is graded once, when a test first asks for it."""
    done: dict[str, dict] = {}

    def get(group: str) -> dict:
        if group not in done:
            done[group] = grade(group, tmp_path_factory.mktemp(f"adversarial-{group}"))
        return done[group]

    return get


def graded_items(book: dict, student: str, a: str) -> dict[str, float | None]:
    """Score per grade cell; None for an autograded item that got no score."""
    items = {}
    for g, (_, auto_item) in grade_cells(a).items():
        auto, manual, extra, _ = book["grades"].get((student, a, g), (None,) * 4)
        unscored = auto is None and manual is None
        items[g] = (None if auto_item else 0.0) if unscored else (
            (manual if manual is not None else auto) + (extra or 0.0))  # fmt: skip
    return items


@pytest.mark.parametrize("atk", RUN, ids=lambda a: a.id)
def test_attack_earns_nothing(graded, atk):
    got = graded_items(graded(atk.group)["book"], atk.student, atk.assignment)
    won = {g: s for g, s in got.items() if s}
    assert not won, f"{atk.id} ({atk.header.get('what')}) earned what the release does not: {won}"
    missing = [g for g, s in got.items() if s is None]
    assert not missing, f"{atk.id}: no score for {missing}: the batch did not grade this student"


@pytest.mark.parametrize("group", GROUPS)
def test_classmates_keep_their_scores(graded, group):
    """The solution keeps full marks and the release 0 on every item, whatever the attacks did."""
    for s, a in (x for x in who(group) if x[0] in ("victim", "untouched")):
        got, items = graded_items(graded(group)["book"], s, a), grade_cells(a).items()
        want = {g: pts if s == "victim" else 0.0 for g, (pts, auto) in items if auto}
        assert all(got[g] == want[g] for g in want), f"{s} should score {want} on {a}: {got}"


@pytest.mark.parametrize("group", GROUPS)
def test_batch_completes(graded, group):
    d, book, runs = graded(group)["dir"], graded(group)["book"], graded(group)["runs"]
    assert not [r for r in runs.values() if "TIMED OUT" in r], runs
    ungraded = [f"{s}/{a}" for s, a in who(group) if None in graded_items(book, s, a).values()]
    no_html = [
        f"{s}/{a}" for s, a in who(group) if not (d / "feedback" / s / a / f"{a}.html").is_file()
    ]
    assert not ungraded and not no_html, f"not graded: {ungraded}; no feedback: {no_html}"


@pytest.mark.parametrize("group", GROUPS)
def test_gradebook_holds_only_what_the_grader_wrote(graded, group):
    d, book, students = graded(group)["dir"], graded(group)["book"], who(group)
    assert "error" not in book, f"the gradebook cannot be read: {book.get('error')}"
    extra = book["students"] - {s for s, _ in students}, book["assignments"] - set(IDS.values())
    assert not any(extra), f"students or assignments nobody submitted or released: {extra}"
    want = {(s, a, g): pts for s, a in students for g, (pts, _) in grade_cells(a).items()}
    problems = [
        f"a grade row for {k}, which nobody submitted" for k in book["grades"].keys() - want.keys()
    ]
    if book["rows"] != len(book["grades"]):
        problems.append(f"{book['rows'] - len(book['grades'])} grade rows belong to no submission")
    for (s, a, g), (auto, manual, extra, top) in sorted(book["grades"].items()):
        nb = notebook(d, "autograded", a, s)
        cell = next((c for c in nb.cells if meta(c).get("grade_id") == g), None) if nb else None
        shown = determine_grade(cell)[0] if cell else "no autograded notebook"
        if (s, a, g) in want and (auto, manual, extra or 0, top) != (shown, None, 0, want[s, a, g]):
            problems.append(f"{s}/{a}/{g}: auto {auto}, manual {manual}, extra {extra}, max {top};"
                            f" the notebook shows {shown} of {want[s, a, g]}")  # fmt: skip
    assert not problems, "the gradebook is not what the grader wrote:\n" + "\n".join(problems[:30])
    assert graded(group)["first"]["grades"] == book["grades"], "the gradebook changed after grading"


@pytest.mark.parametrize(
    "where", ["course package", "course directory", "site-packages", "IPython startup"]
)
@pytest.mark.parametrize("group", GROUPS)
def test_nothing_else_changed(graded, group, where):
    old, new = graded(group)["before"][where], graded(group)["after"][where]
    changes = sorted([f"new {k}" for k in new.keys() - old.keys()]
                     + [f"removed {k}" for k in old.keys() - new.keys()]
                     + [f"changed {k}" for k in old.keys() & new.keys() if old[k] != new[k]])  # fmt: skip
    assert not changes, f"grading changed the {where}:\n" + "\n".join(changes[:30])


@pytest.mark.parametrize("group", GROUPS)
def test_no_process_outlives_grading(graded, group):
    left = graded(group)["left"]
    some = dict(list(left.items())[:5])
    assert not left, f"{len(left)} processes left running after grading (killed now): {some}"


def test_destructive_attacks_ran():
    if HELD_BACK:
        pytest.skip(f"no bubblewrap sandbox (or no root for the cage): {', '.join(HELD_BACK)}")


def secrets(a: str) -> tuple[set[str], set[str], set[str]]:
    """Hidden-test lines, solution lines (neither in the release nor in the library) and
    regexes of hidden call arguments (seeds, shapes) not in the release."""
    release_text = "\n".join(c.source for c in notebook(ROOT, "assignments", a).cells)
    public = release_text + "\n".join(p.read_text() for p in (ROOT / "course").rglob("*.py"))
    text = "\n".join(c.source for c in notebook(ROOT, "solutions", a).cells)

    def region(tag: str) -> list[str]:
        found = re.findall(rf"### BEGIN {tag}\n(.*?)### END {tag}", text, re.S)
        return [ln.strip() for r in found for ln in r.splitlines()]

    hidden = {ln for ln in region("HIDDEN TESTS") if len(ln) >= 10 and ln not in public}
    solution = {ln for ln in region("SOLUTION") if len(ln) >= 20 and ln not in public}
    args = set()
    for ln in region("HIDDEN TESTS"):
        kv = re.findall(r"(\w+)\s*=\s*(-?\d+(?:\.\d+)?)\b", ln)
        args |= {rf"\b{k}['\"]?\s*[=:]\s*{re.escape(v)}\b" for k, v in kv}
        args |= {rf"(?<![\w.]){re.escape(v)}(?![\w.])" for _, v in kv if len(v.strip("-")) >= 3}
        dims = [v for k, v in kv if k != "seed"]
        args |= {rf"\(\s*{dims[0]}\s*,\s*{v}\s*\)" for v in dims[1:]}
    return hidden, solution, {p for p in args if not re.search(p, release_text)}


@pytest.mark.parametrize("atk", RUN, ids=lambda a: a.id)
def test_attack_feedback_leaks_nothing(graded, atk):
    path = (
        graded(atk.group)["dir"]
        / "feedback"
        / atk.student
        / atk.assignment
        / f"{atk.assignment}.html"
    )
    if not path.is_file():
        pytest.skip("no feedback (see test_batch_completes)")
    page = re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", path.read_text(errors="replace"))
    page, (hidden, solution, args) = (
        html.unescape(re.sub(r"<[^>]+>", "", page)),
        secrets(atk.assignment),
    )
    leaks = [f"hidden-test line {ln!r}" for ln in hidden if ln in page and ln not in atk.source]
    leaks += [f"solution line {ln!r}" for ln in solution if ln in page and ln not in atk.source]
    leaks += [f"hidden argument /{p}/: {m[0]!r}" for p in args
              if (m := re.search(p, page)) and not re.search(p, atk.source)]  # fmt: skip
    assert not leaks, f"{atk.id}: its feedback shows what is hidden:\n" + "\n".join(leaks[:20])
