"""The student pack: everything a student needs to take the course, nothing of the instructor's.

``python -m autograder.pack [DEST] --week N`` (``make student-pack WEEK=N``, default week 1)
writes ``dist/student/`` and ``dist/student.zip`` for week N of the term plan (the registry:
``LECTURE_WEEKS`` and each problem set's ``released_week``/``due_week``): a README, requirements,
a Makefile whose ``make lab`` works there, the lectures of weeks <= N, the assignments released by
week N, and the part of the ``course`` library those notebooks import (followed import by import),
never ``solutions/`` nor anything of the instructor-only ``autograder`` package (this file
included): :func:`refuse_instructor_code` stops the build if a file of the pack would import it.

No answer key: whatever a problem set that is not yet due asks students to write (its ``asks``)
is shipped only as a stub generated from the real file with ``ast`` (signature and docstring
kept, body ``raise NotImplementedError(...)``, :func:`stub_source`); its reference joins the pack
of its due week. A lecture whose code would run such a stub is held back until every stub it
would reach is due (:func:`lecture_plan`); the pack's README says which and until when.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import registry
from .stubs import stub_source

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "student-pack"  # README.md, Makefile, jupyter-config/
NOTEBOOK_DIRS = ("lectures", "assignments")
SKIP = {".ipynb_checkpoints", "__pycache__"}


def _course_imports(source: str, module: str, is_package: bool) -> set[str]:
    """Names of ``course`` modules (and maybe attributes) that Python ``source`` imports.

    ``from course.grading import ps1`` yields ``course.grading`` and ``course.grading.ps1``; the
    caller keeps only names that are modules. Relative imports are resolved against ``module``;
    a string such as ``"course.grading.ps3.probes"`` counts too (it is imported by name).
    """
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: climb level - 1 packages above this module's package
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # A module named in a string is imported by name (importlib), e.g. the ps3 probes.
            if re.fullmatch(r"course(\.\w+)+", node.value):
                found.add(node.value)
    return {n for n in found if n == "course" or n.startswith("course.")}


def _module_file(name: str, root: Path = ROOT) -> Path | None:
    """The file that defines module ``name`` under ``root`` (a package's ``__init__.py``)."""
    base = root.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def notebook_sources(dirs: Iterable[Path]) -> list[str]:
    """The code of every code cell in the notebooks under ``dirs``."""
    out = []
    for d in dirs:
        for nb in sorted(d.rglob("*.ipynb")):
            if SKIP.isdisjoint(nb.parts):
                cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
                out += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return out


def library_closure(sources: Iterable[str], root: Path = ROOT) -> set[Path]:
    """Files of the ``course`` package reached from ``sources`` by following imports (every
    parent package's ``__init__.py`` included, since importing a module runs them)."""
    todo: list[str] = []
    for src in sources:
        try:
            todo += _course_imports(src, "__main__", False)
        except SyntaxError:  # IPython magics or a student stub: not Python we can parse
            todo += re.findall(r"^\s*(?:from|import)\s+(course[\w.]*)", src, re.M)
    seen: set[str] = set()
    files: set[Path] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(name, root)
        if path is None:
            continue  # an attribute (a class or function), not a module
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        files.add(path)
        todo += _course_imports(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
    return files


def _pyproject(root: Path = ROOT) -> str:
    """The pack's pyproject.toml: the library's name, version and dependencies, nothing else."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = "".join(f'    "{d}",\n' for d in project["dependencies"])
    return (
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{project["name"]}"\nversion = "{project["version"]}"\n'
        f'description = "{project["description"]}"\n'
        f'requires-python = "{project["requires-python"]}"\ndependencies = [\n{deps}]\n\n'
        '[tool.setuptools.packages.find]\ninclude = ["course*"]\n\n'
        '[tool.setuptools.package-data]\ncourse = ["data_files/*"]\n'
    )


def _makefile(root: Path = ROOT, first: str | None = None) -> str:
    """The template Makefile with the course's own ``lab`` rule (one definition of how the lab
    starts: the repository's Makefile), opening ``first`` (the pack's first notebook: Lecture 1
    may not be in it yet) instead of the notebook the rule names."""
    text = (root / "Makefile").read_text(encoding="utf-8")
    rule = re.search(r"^lab:.*?(?=^\S|^$)", text, re.M | re.S)
    if rule is None:
        raise SystemExit(f"no `lab:` rule in {root / 'Makefile'}")
    lab = rule.group(0)
    if first is not None:
        lab = re.sub(r"(default_url=/lab/tree/)\S+", lambda m: m.group(1) + first, lab)
    template = (TEMPLATE / "Makefile").read_text(encoding="utf-8")
    return template.replace("@LAB_RULE@\n", lab + "\n")


def _copy_tree(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*SKIP))


INSTRUCTOR_ONLY = "autograder"


def refuse_instructor_code(files: Iterable[Path], root: Path = ROOT) -> None:
    """Stop the build if a file bound for the pack lies outside ``course/`` or imports the
    instructor-only package (the student's copy of the checks must work without it)."""
    for path in files:
        rel = path.relative_to(root)
        if rel.parts[0] != "course":
            raise SystemExit(f"the student pack would ship {rel}: only course/ belongs in it")
        if path.suffix == ".py":
            source = path.read_text(encoding="utf-8")
            for node in ast.walk(ast.parse(source)):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                if any(n.split(".")[0] == INSTRUCTOR_ONLY for n in names):
                    raise SystemExit(
                        f"the student pack would ship {rel}, which imports {INSTRUCTOR_ONLY} "
                        f"(line {node.lineno}): instructor-only code never goes to students"
                    )


# --- the term plan: what is open, what each lecture needs ---------------------------------------


def asked(problem_sets: Iterable[registry.ProblemSet] | None = None) -> dict[str, list]:
    """``"<file under course/>:<qualname>"`` -> the problem sets that ask for it (their ``asks``)."""
    out: dict[str, list] = {}
    for ps in registry.PROBLEM_SETS if problem_sets is None else problem_sets:
        for spec in ps.asks:
            out.setdefault(spec, []).append(ps)
    return out


def open_at(week: int) -> dict[str, list]:
    """What students may not get a working copy of in week ``week``: every name asked for by a
    problem set that is not yet due (released and open, or not released yet)."""
    return asked(ps for ps in registry.PROBLEM_SETS if ps.due_week > week)


def due_week(spec: str) -> int:
    """The week from which ``spec``'s reference may be in a pack (the last of its due weeks)."""
    return max(ps.due_week for ps in asked()[spec])


def _split(spec: str) -> tuple[str, str]:
    file, _, qual = spec.partition(":")
    return file, qual


def _defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for tg in targets for n in ast.walk(tg) if isinstance(n, ast.Name)}
    return names


def _imported_names(tree: ast.Module, module: str, is_package: bool) -> dict[str, tuple[str, str]]:
    """Top-level ``from X import a as b`` of a library file: ``b`` -> (absolute X, ``a``)."""
    out = {}
    package = module if is_package else module.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for a in node.names:
                out[a.asname or a.name] = (target, a.name)
    return out


@dataclass
class _Reach:
    """What a piece of code may run in the library: objects ``(file, top-level name)`` and whole
    files (a module imported as such), followed through the library's own imports."""

    objects: set[tuple[str, str]]
    files: set[str]
    attributes: set[str]


def reach(sources: Iterable[str], root: Path = ROOT) -> _Reach:
    """Follow ``sources``' imports of ``course`` down to the definitions. A name defined in a file
    brings in everything that file imports (conservative: a helper may call any of them)."""
    r = _Reach(set(), set(), set())
    todo: list[tuple[str, str | None]] = []  # (module, name or None for the whole module)
    for src in sources:
        try:
            tree = ast.parse(src)
        except SyntaxError:  # IPython magics: the import lines still tell what is used
            tree = ast.parse("\n".join(re.findall(r"^\s*(?:from|import)\s+course.*$", src, re.M)))
        r.attributes |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                todo += [(a.name, None) for a in node.names if a.name.split(".")[0] == "course"]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "course":
                todo += [(node.module, a.name) for a in node.names]
    seen: set[tuple[str, str | None]] = set()
    while todo:
        module, name = todo.pop()
        if (module, name) in seen:
            continue
        seen.add((module, name))
        path = _module_file(module, root)
        if path is None:
            continue
        if name is not None and _module_file(f"{module}.{name}", root) is not None:
            todo.append((f"{module}.{name}", None))  # ``from course import functional``
            continue
        rel = str(path.relative_to(root / "course"))
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        imports = _imported_names(tree, module, path.name == "__init__.py")
        if name is not None and name not in _defined(tree) and name in imports:
            todo.append(imports[name])  # a re-export: follow it to its definition
            continue
        if name is None:
            r.files.add(rel)
        else:
            r.objects.add((rel, name))
        r.attributes |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        todo += list(imports.values())
        todo += [(a.name, None) for node in tree.body if isinstance(node, ast.Import)
                 for a in node.names if a.name.split(".")[0] == "course"]  # fmt: skip
    return r


def needs(sources: Iterable[str], specs: Iterable[str], root: Path = ROOT) -> set[str]:
    """The ``specs`` (``file:qualname``) that code with these ``sources`` may run: a class or
    function it reaches, or a method of a class it reaches whose name it (or the library it
    reaches) calls."""
    r = reach(sources, root)
    out = set()
    for spec in specs:
        file, qual = _split(spec)
        top, _, method = qual.partition(".")
        if file in r.files or (file, top) in r.objects:
            if not method or method in r.attributes:
                out.add(spec)
    return out


def _lectures(root: Path) -> list[Path]:
    return sorted(p for p in (root / "lectures").glob("*.ipynb") if SKIP.isdisjoint(p.parts))


def _notebook_code(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


@dataclass(frozen=True)
class LectureInPlan:
    """A lecture of the term plan: the week it is taught, what answer keys it runs (``needs``),
    and the first week its code runs with no stub (``ships``: the later of the two)."""

    name: str
    taught: int
    needs: tuple[str, ...]
    ships: int


def lecture_plan(root: Path = ROOT) -> list[LectureInPlan]:
    """Every lecture notebook with its week: a notebook missing from ``LECTURE_WEEKS`` (or a
    week naming no notebook) stops the build, so the term plan cannot go stale."""
    found = {p.stem: p for p in _lectures(root)}
    if set(found) != set(registry.LECTURE_WEEKS):
        raise SystemExit(
            "LECTURE_WEEKS in autograder/registry.py and lectures/ disagree: not planned "
            f"{sorted(set(found) - set(registry.LECTURE_WEEKS))}, planned but missing "
            f"{sorted(set(registry.LECTURE_WEEKS) - set(found))}"
        )
    plan = []
    for name, path in sorted(found.items()):
        taught = registry.LECTURE_WEEKS[name]
        used = sorted(needs(_notebook_code(path), asked(), root))
        plan.append(LectureInPlan(name, taught, tuple(used),
                                  max([taught] + [due_week(s) for s in used])))  # fmt: skip
    return plan


# --- stubs ----------------------------------------------------------------------------------------


def stub_message(spec: str) -> str:
    """What a stub says: whose it is to write, and when the reference comes."""
    qual = _split(spec)[1]
    sets = sorted(asked()[spec], key=lambda ps: ps.due_week)
    where = " and ".join(ps.id for ps in sets)
    return (f"{qual} is yours to write in {where}; the reference joins your pack once it is due "
            f"(week {due_week(spec)} of the term plan)")  # fmt: skip


def stubbed_files(week: int) -> dict[str, dict[str, str]]:
    """File under ``course/`` -> {qualified name: stub message} of what is open in ``week``."""
    out: dict[str, dict[str, str]] = {}
    for spec in open_at(week):
        file, qual = _split(spec)
        out.setdefault(file, {})[qual] = stub_message(spec)
    return out


# --- what a week's pack holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class PackPlan:
    """The contents of the pack for ``week``: lectures shipped and held back, problem sets."""

    week: int
    lectures: tuple[LectureInPlan, ...]
    held_back: tuple[LectureInPlan, ...]
    released: tuple[registry.ProblemSet, ...]
    later: tuple[registry.ProblemSet, ...]


def pack_plan(week: int, root: Path = ROOT) -> PackPlan:
    if week < 1:
        raise SystemExit(f"--week counts from 1 (the term plan's first week); got {week}")
    lectures = [lec for lec in lecture_plan(root) if lec.taught <= week]
    return PackPlan(
        week,
        tuple(lec for lec in lectures if lec.ships <= week),
        tuple(lec for lec in lectures if lec.ships > week),
        tuple(ps for ps in registry.PROBLEM_SETS if ps.released_week <= week),
        tuple(ps for ps in registry.PROBLEM_SETS if ps.released_week > week),
    )


def _label(spec: str) -> str:
    return f"`{_split(spec)[1]}`"


def _contents(plan: PackPlan) -> str:
    """The pack README's account of itself: week, lectures, problem sets, what comes later."""
    out = [f"This pack is for **week {plan.week}** of the term plan.", ""]
    if plan.lectures:
        out += ["| lecture | notebook |", "|---|---|"]
        out += [f"| {lec.name[:2]} | [lectures/{lec.name}.ipynb](lectures/{lec.name}.ipynb) |"
                for lec in plan.lectures]  # fmt: skip
    else:
        out += ["No lecture notebook is in this pack yet."]
    for lec in plan.held_back:
        held = ", ".join(_label(s) for s in lec.needs if due_week(s) > plan.week)
        out += ["", f"- `{lec.name}` (taught in week {lec.taught}) joins your pack in week "
                    f"{lec.ships}: it runs {held}, which a problem set still asks you to write."]  # fmt: skip
    out += ["", "| problem set | notebook | due in week |", "|---|---|---|"]
    out += [f"| {ps.title} | [assignments/{ps.id}/{ps.id}.ipynb](assignments/{ps.id}/{ps.id}.ipynb)"
            f" | {ps.due_week} |" for ps in plan.released]  # fmt: skip
    if plan.later:
        out += ["", "Later in the term: " + ", ".join(
            f"`{ps.id}` (week {ps.released_week})" for ps in plan.later) + "."]  # fmt: skip
    stubs = sorted({spec for spec in open_at(plan.week)})
    if stubs:
        out += ["", "In `course/`, what an open problem set asks you to write is there as a stub "
                    "that says so (its reference comes once the problem set is due): "
                    + ", ".join(_label(s) for s in stubs) + "."]  # fmt: skip
    return "\n".join(out) + "\n"


def term_plan_table(root: Path = ROOT) -> str:
    """The week-by-week table of lectures/INSTRUCTORS.md (a test keeps that copy current)."""
    plan = lecture_plan(root)
    items = {ps.id: ps.items(root) for ps in registry.PROBLEM_SETS}
    total = sum(i.points for its in items.values() for i in its)
    rows = ["| week | lectures taught | lectures in that week's pack | released | due |",
            "|---|---|---|---|---|"]  # fmt: skip
    for week in registry.term_weeks():
        p = pack_plan(week, root)
        taught = ", ".join(lec.name[:2] for lec in plan if lec.taught == week) or "–"
        shipped = ", ".join(lec.name[:2] for lec in p.lectures) or "none"
        if p.held_back:
            shipped += " (held back: " + ", ".join(
                f"{lec.name[:2]} until {lec.ships}" for lec in p.held_back) + ")"  # fmt: skip
        released = ", ".join(ps.id for ps in registry.PROBLEM_SETS if ps.released_week == week)
        due = ", ".join(ps.id for ps in registry.PROBLEM_SETS if ps.due_week == week)
        rows.append(f"| {week} | {taught} | {shipped} | {released or '–'} | {due or '–'} |")
    rows += ["", "| problem set | points | share of the total |", "|---|---|---|"]
    for ps in registry.PROBLEM_SETS:
        pts = sum(i.points for i in items[ps.id])
        rows.append(f"| {ps.id} | {pts:g} | {pts / total:.0%} |")
    return "\n".join(rows) + "\n"


# --- links to what the pack lacks ------------------------------------------------------------------

_LINK = re.compile(r"\[([^\]]+)\]\(([^)#\s]+)(#[^)\s]*)?\)")


def _unlink_missing(text: str, here: Path, note: dict[str, str]) -> str:
    """Markdown ``text`` (in folder ``here`` of the pack) without links to files the pack lacks:
    in a table row or list item the words stay and say when the file comes (``note``, by stem);
    any other paragraph with such a link goes."""

    def dead(line: str) -> list[re.Match]:
        return [m for m in _LINK.finditer(line) if "://" not in m.group(2)
                and not (here / m.group(2)).resolve().exists()]  # fmt: skip

    out = []
    for block in re.split(r"(\n\s*\n)", text):  # paragraphs, with the blank lines between them
        lines = block.splitlines(keepends=True)
        if not any(dead(line) for line in lines):
            out.append(block)
        elif all(re.match(r"\s*(\||[-*] |\d+\. |  )", line) for line in lines):
            for i, line in enumerate(lines):
                for m in dead(line):
                    words = (
                        f"{m.group(1)} *({note.get(Path(m.group(2)).stem, 'not in this pack')})*"
                    )
                    line = line.replace(m.group(0), words)
                lines[i] = line
            out.append("".join(lines))
        elif out:
            out.pop()  # the paragraph goes, and the blank lines before it
    result = "".join(out)
    return result + "\n" if text.endswith("\n") and not result.endswith("\n") else result


def _fix_links(dest: Path, note: dict[str, str]) -> None:
    for md in dest.rglob("*.md"):
        if "course" in md.relative_to(dest).parts:
            continue
        text = md.read_text(encoding="utf-8")
        new = _unlink_missing(text, md.parent, note)
        if new != text:
            md.write_text(new, encoding="utf-8")
    for nb in dest.rglob("*.ipynb"):
        data = json.loads(nb.read_text(encoding="utf-8"))
        changed = False
        for cell in data["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"])
                new = _unlink_missing(text, nb.parent, note)
                if new != text:
                    cell["source"] = new.splitlines(keepends=True)
                    changed = True
        if changed:
            nb.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def build(dest: Path | None = None, root: Path = ROOT, week: int | None = None) -> Path:
    """Write the pack for ``week`` to ``dest`` (default ``dist/student``) and ``dest.zip``;
    return ``dest``. Without a week: the last week of the term plan (every problem set due, the
    whole library), until the lectures and the checks students run no longer need the references
    of open problem sets (see lectures/INSTRUCTORS.md, "Staged packs")."""
    week = registry.term_weeks()[-1] if week is None else week
    plan = pack_plan(week, root)
    dest = Path(dest or root / "dist" / "student").resolve()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    notebooks = [root / "lectures" / f"{lec.name}.ipynb" for lec in plan.lectures]
    notebooks += [root / "assignments" / ps.id / f"{ps.id}.ipynb" for ps in plan.released]
    for nb in notebooks:
        missing = not nb.is_file()
        if missing:
            raise SystemExit(f"the week-{week} pack needs {nb.relative_to(root)}, which is missing")
        (dest / nb.relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(nb, dest / nb.relative_to(root))
    (dest / "lectures").mkdir(exist_ok=True)
    shutil.copy2(root / "lectures" / "README.md", dest / "lectures" / "README.md")
    library = library_closure((src for nb in notebooks for src in _notebook_code(nb)), root)
    refuse_instructor_code(library, root)
    stubs = stubbed_files(week)
    for path in sorted(library):
        rel = path.relative_to(root)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        inside = str(path.relative_to(root / "course"))
        if inside in stubs:
            header = (f"# Student pack, week {week}: stubs (a problem set asks you to write them) for "
                      f"{', '.join(sorted(stubs[inside]))}.\n")  # fmt: skip
            text = stub_source(path.read_text(encoding="utf-8"), stubs[inside], inside)
            target.write_text(header + text, encoding="utf-8")
        else:
            shutil.copy2(path, target)
    _copy_tree(root / "course" / "data_files", dest / "course" / "data_files")
    shutil.copy2(root / "requirements.txt", dest)
    readme = (TEMPLATE / "README.md").read_text(encoding="utf-8")
    if "@CONTENTS@\n" not in readme:
        raise SystemExit(f"{TEMPLATE / 'README.md'} has no @CONTENTS@ line for the pack's contents")
    (dest / "README.md").write_text(readme.replace("@CONTENTS@\n", _contents(plan)), "utf-8")
    _copy_tree(TEMPLATE / "jupyter-config", dest / "jupyter-config")
    (dest / "pyproject.toml").write_text(_pyproject(root), encoding="utf-8")
    first = notebooks[0].relative_to(root).as_posix() if notebooks else "README.md"
    (dest / "Makefile").write_text(_makefile(root, first), encoding="utf-8")
    later = {lec.name: f"in your pack from week {lec.ships}" for lec in lecture_plan(root)}
    later |= {ps.id: f"in your pack from week {ps.released_week}" for ps in plan.later}
    _fix_links(dest, later)
    archive = shutil.make_archive(str(dest), "zip", dest.parent, dest.name)
    held = "".join(f"\n  held back: {lec.name} until week {lec.ships}" for lec in plan.held_back)
    print(f"student pack for week {week}: {dest} and {archive}{held}")
    return dest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.pack", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("dest", nargs="?", type=Path, default=None, help="default: dist/student")
    p.add_argument("--week", type=int, default=None,
                   help="the week of the term plan (default: its last week, the whole library)")  # fmt: skip
    p.add_argument(
        "--term-plan",
        action="store_true",
        help="print the term plan's table (as in lectures/INSTRUCTORS.md) and stop",
    )
    a = p.parse_args(argv)
    if a.term_plan:
        print(term_plan_table(), end="")
        return 0
    build(a.dest, week=a.week)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
