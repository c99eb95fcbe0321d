"""`make student-pack`: what a student gets, and that it is enough and no more.

- No solution region and no hidden-test line of solutions/ is in any file of the pack (dir and zip).
- No instructor tooling: no solutions/, no nbgrader course config, only the library modules the
  notebooks import; nbgrader's instructor extensions are off, Validate and the assignment list on.
- In a fresh directory the pack's Makefile installs and `make lab` serves JupyterLab, and every
  lecture and every untouched assignment runs there, on the pack's own library.
"""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from pack_helpers import (
    ROOT,
    built_pack,
    free_port,
    get,
    installed_pack,
    page_config,
    stop_group,
    wait_for_url,
)

from autograder.pack import NOTEBOOK_DIRS, library_closure, notebook_sources

INSTRUCTOR_EXTENSIONS = ["formgrader", "create-assignment", "course-list"]


def _norm(text: str) -> str:
    """Lines stripped, blank lines dropped: a region matches however it is indented."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _regions(kind: str) -> list[tuple[str, str]]:
    """(where, text) of every ``### BEGIN {kind}`` region in solutions/."""
    out = []
    for nb in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for i, cell in enumerate(json.loads(nb.read_text())["cells"]):
            src = "".join(cell["source"])
            for m in re.finditer(rf"### BEGIN {kind}\n(.*?)### END {kind}", src, re.S):
                out.append((f"{nb.name} cell {i}", m.group(1)))
    return out


def _pack_texts(dist: Path) -> dict[str, str]:
    """Every file of the pack, from the directory and from the zip, as text (notebooks too)."""
    texts = {}
    for p in (dist / "student").rglob("*"):
        if p.is_file():
            texts[str(p.relative_to(dist))] = p.read_bytes().decode("utf-8", "replace")
    with zipfile.ZipFile(dist / "student.zip") as z:
        for name in z.namelist():
            texts[f"zip:{name}"] = z.read(name).decode("utf-8", "replace")
    return texts


def _taught_with() -> set[str]:
    """The reference-library files the lectures import (course.modules, course.functional, ...).
    The lectures teach with them and students read them, so a solution may coincide with them
    (ps2's Linear.forward is the reference's two lines; σ′ = y(1 − y) is a textbook line); a
    solution region anywhere else (the grading checks, the notebooks, the README) is a leak."""
    files = library_closure(notebook_sources([ROOT / "lectures"]))
    return {str(p.relative_to(ROOT)) for p in files if "grading" not in p.parts}


# Overlaps reported to the lead, each to be fixed in a file this test's author may not edit; the
# test fails when one disappears, so the entry goes with the fix. (file, first line of the region)
# (file, first line) of solution regions a pack file may hold verbatim, each with its reason.
KNOWN_OVERLAPS: set[tuple[str, str]] = set()


def test_no_solution_region_and_no_hidden_test_line_in_the_pack():
    texts = _pack_texts(built_pack())
    norm = {name: _norm(t) for name, t in texts.items()}
    hidden = [(w, line.strip()) for w, r in _regions("HIDDEN TESTS") for line in r.splitlines()
              if line.strip()]  # fmt: skip
    solutions = _regions("SOLUTION")
    assert len(solutions) >= 30 and len(hidden) >= 20, "solutions/ regions were not found"
    taught = _taught_with()
    known: set[tuple[str, str]] = set()
    leaks = [f"hidden test of {w} in {name}: {line}"
             for w, line in hidden for name, t in texts.items() if line in t]  # fmt: skip
    for where, region in solutions:
        r = _norm(region)
        for name, t in norm.items():
            rel = name.removeprefix("zip:").removeprefix("student/")
            if r in t and rel not in taught:
                if (rel, r.splitlines()[0]) in KNOWN_OVERLAPS:
                    known.add((rel, r.splitlines()[0]))
                else:
                    leaks.append(f"solution region of {where} in {name}: {r[:80]!r}")
    assert not leaks, "the pack leaks:\n" + "\n".join(leaks[:20])
    assert known == KNOWN_OVERLAPS, f"fixed, drop from KNOWN_OVERLAPS: {KNOWN_OVERLAPS - known}"


def test_pack_holds_what_students_need_and_no_instructor_tooling():
    dist = built_pack()
    pack = dist / "student"
    for needed in ["README.md", "Makefile", "requirements.txt", "pyproject.toml",
                   "lectures/README.md", "course/data_files/digits.csv.gz"]:  # fmt: skip
        assert (pack / needed).is_file(), f"the pack has no {needed}"
    for d in NOTEBOOK_DIRS:
        want = sorted(str(p.relative_to(ROOT)) for p in (ROOT / d).rglob("*.ipynb"))
        got = sorted(str(p.relative_to(pack)) for p in (pack / d).rglob("*.ipynb"))
        assert got == want, f"{d}/ in the pack: {got}; expected {want}"
    for absent in ["solutions", "nbgrader_config.py", "tests", "bench", "deploy", "autograder"]:
        assert not (pack / absent).exists(), f"instructor-only {absent} is in the pack"
    for path in (pack / "course").rglob("*.py"):  # the kit works without the instructor's package
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom) and not node.level
                    else []
                )
            )
            assert not any(n.split(".")[0] == "autograder" for n in names), (
                f"{path.relative_to(pack)} imports {names} (instructor-only)"
            )
    py = {str(p.relative_to(pack)) for p in (pack / "course").rglob("*.py")}
    needed = {str(p.relative_to(ROOT))
              for p in library_closure(notebook_sources(ROOT / d for d in NOTEBOOK_DIRS))}  # fmt: skip
    assert py == needed, f"library files beyond the notebooks' imports: {sorted(py - needed)}"
    with zipfile.ZipFile(dist / "student.zip") as z:
        zipped = {n.removeprefix("student/") for n in z.namelist() if not n.endswith("/")}
    on_disk = {str(p.relative_to(pack)) for p in pack.rglob("*") if p.is_file()}
    assert zipped == on_disk, f"zip and folder differ: {sorted(zipped ^ on_disk)}"
    disabled = json.loads((pack / "jupyter-config/labconfig/page_config.json").read_text())
    assert set(disabled["disabledExtensions"]) == {
        f"@jupyter/nbgrader:{x}" for x in INSTRUCTOR_EXTENSIONS
    }


def test_pack_builder_refuses_a_library_file_that_imports_the_instructor_package(tmp_path):
    """Plant ``import autograder`` in a course module a lecture imports: the build stops and
    names the file, instead of shipping it."""
    from autograder.pack import build

    fake = tmp_path / "repo"
    for d in ("course", "lectures", "assignments", "deploy"):
        shutil.copytree(ROOT / d, fake / d, ignore=shutil.ignore_patterns("__pycache__"))
    for f in ("requirements.txt", "pyproject.toml", "Makefile"):
        shutil.copy2(ROOT / f, fake / f)
    gradcheck = fake / "course" / "gradcheck.py"
    gradcheck.write_text(gradcheck.read_text() + "\nfrom autograder.engine import runner\n")
    with pytest.raises(SystemExit, match="course/gradcheck.py, which imports autograder"):
        build(tmp_path / "out", root=fake)


@pytest.mark.slow
def test_make_lab_in_a_fresh_directory_serves_lab_and_runs_every_notebook():
    pack = installed_pack()
    port, token = free_port(), secrets.token_hex(16)
    log = pack / "lab.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.pop("JUPYTER_CONFIG_PATH", None)
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
            f"--ServerApp.terminals_enabled=False")  # fmt: skip
    with open(log, "w") as out:
        proc = subprocess.Popen(["make", "lab", f"ARGS={args}"], cwd=pack, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_url(f"{base}/api/status?token={token}", proc, log, timeout=120)
        status, html = get(f"{base}/lab?token={token}")
        assert status == 200
        off = page_config(html)["disabledExtensions"]
        for x in INSTRUCTOR_EXTENSIONS:
            assert f"@jupyter/nbgrader:{x}" in off, f"nbgrader's {x} is on for students"
        assert not any("validate" in x or "assignment-list" in x for x in off)
        assert get(f"{base}/formgrader?token={token}")[0] == 404, "formgrader is served"
        # The student extensions answer (an error about the missing exchange is still an answer).
        assert get(f"{base}/assignments?token={token}")[0] != 404, "no assignment list"
        assert get(f"{base}/assignments/validate?token={token}")[0] != 404, "no Validate"
        run = subprocess.run([str(pack / ".venv/bin/python"), str(ROOT / "tests/run_pack_notebooks.py"),
                              str(pack)], env={**env, "MPLBACKEND": "Agg"}, capture_output=True,
                             text=True, timeout=600)  # fmt: skip
        assert run.returncode == 0, (
            f"notebooks in the pack:\n{run.stdout[-4000:]}{run.stderr[-4000:]}"
        )
        report = json.loads(run.stdout.strip().splitlines()[-1])
        assert report["course_from"].startswith(str(pack)), report["course_from"]
        ran = sorted(report["notebooks"])
        assert len(ran) == len(list((ROOT / "lectures").glob("*.ipynb"))) + 3, ran
    finally:
        stop_group(proc)
