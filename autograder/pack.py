"""The student pack: everything a student needs to take the course, nothing of the instructor's.

``python -m autograder.pack [DEST]`` (``make student-pack``) writes ``dist/student/`` and
``dist/student.zip``: a README, requirements, a Makefile whose ``make lab`` works there,
``lectures/``, the released ``assignments/``, and the part of the ``course`` library that those
notebooks import (followed import by import), never ``solutions/`` nor anything of the
instructor-only ``autograder`` package (this file included): :func:`refuse_instructor_code`
stops the build if a file of the pack would import it.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import tomllib
from collections.abc import Iterable
from pathlib import Path

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


def _makefile(root: Path = ROOT) -> str:
    """The template Makefile with the course's own ``lab`` rule (one definition of how the lab
    starts: the repository's Makefile)."""
    text = (root / "Makefile").read_text(encoding="utf-8")
    rule = re.search(r"^lab:.*?(?=^\S|^$)", text, re.M | re.S)
    if rule is None:
        raise SystemExit(f"no `lab:` rule in {root / 'Makefile'}")
    template = (TEMPLATE / "Makefile").read_text(encoding="utf-8")
    return template.replace("@LAB_RULE@\n", rule.group(0) + "\n")


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


def build(dest: Path | None = None, root: Path = ROOT) -> Path:
    """Write the pack to ``dest`` (default ``dist/student``) and ``dest.zip``; return ``dest``."""
    dest = Path(dest or root / "dist" / "student").resolve()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for d in NOTEBOOK_DIRS:
        _copy_tree(root / d, dest / d)
    library = library_closure(notebook_sources(root / d for d in NOTEBOOK_DIRS), root)
    refuse_instructor_code(library, root)
    for path in sorted(library):
        target = dest / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    _copy_tree(root / "course" / "data_files", dest / "course" / "data_files")
    shutil.copy2(root / "requirements.txt", dest)
    shutil.copy2(TEMPLATE / "README.md", dest)
    _copy_tree(TEMPLATE / "jupyter-config", dest / "jupyter-config")
    (dest / "pyproject.toml").write_text(_pyproject(root), encoding="utf-8")
    (dest / "Makefile").write_text(_makefile(root), encoding="utf-8")
    archive = shutil.make_archive(str(dest), "zip", dest.parent, dest.name)
    print(f"student pack: {dest} and {archive}")
    return dest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.pack", description=__doc__)
    p.add_argument("dest", nargs="?", type=Path, default=None, help="default: dist/student")
    build(p.parse_args(argv).dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
