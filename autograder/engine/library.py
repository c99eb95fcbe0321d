"""What the sandbox offers each problem set: the agent, and the parts of ``course`` a student uses.

A problem set gets only the files its notebook needs. Everything else in ``course`` is replaced
by a stub that explains itself on import, so that ps2 (write your own Linear) has no reference
Linear to call, and ``from course.grading.ps2 import check_linear`` still works in the sandbox
(the checks themselves run outside it, in the grader).
"""

from __future__ import annotations

import ast
import importlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import course

from ..stubs import stub_source

COURSE = Path(course.__file__).resolve().parent  # the library the sandbox gets parts of
INSIDE = Path(__file__).resolve().parents[1] / "inside"  # the code that runs in the sandbox
# What every problem set may import: module plumbing, checks of your own gradients.
COMMON = ("__init__.py", "_validate.py", "init.py", "gradcheck.py", "modules/base.py")


def _stub_module(name: str, why: str) -> str:
    return f'"""Not available in the autograder."""\n\nraise ImportError({why!r})\n'


def _stub_modules(offered: tuple[str, ...], assignment: str) -> str:
    names = ", ".join(offered)
    why = (
        "{name} is not available here: in " + assignment + " you write it yourself (the "
        "autograder runs your notebook without the course's reference modules; "
        f"course.modules offers {names})"
    )
    return (
        '"""The module interface only: the reference implementations are not in the sandbox."""\n\n'
        f"from .base import {names}\n\n\n"
        "def __getattr__(name):\n"
        "    if name.startswith('__'):\n"
        "        raise AttributeError(name)\n"
        f"    raise ImportError({why!r}.format(name=name))\n"
    )


def _stub_checks(module: str) -> str:
    """``course.grading.psN`` inside the sandbox: the same names, checks that only explain."""
    mod = importlib.import_module(module)
    lines = [
        '"""Inside the autograder the checks run outside your notebook; these only say so."""\n',
        "def _outside(*args, **kwargs):",
        "    print('This check runs in the autograder, outside your notebook.')\n",
    ]
    for name in getattr(mod, "__all__", []):
        value = getattr(mod, name)
        if callable(value):
            lines.append(f"{name} = _outside")
        else:
            try:
                ast.literal_eval(repr(value))
            except (ValueError, SyntaxError):
                continue
            lines.append(f"{name} = {value!r}")
    return "\n".join(lines) + "\n"


def build(assignment: str, profile: Any, dest: Path | None = None) -> Path:
    """A folder with ``agent/`` (the agent and the wire format) and ``lib/course``: the parts of
    the library ``profile`` (a registry entry: ``files``, ``generated``, ``interface``,
    ``checks``) names, and a stub explaining itself for every other part."""
    root = Path(dest or tempfile.mkdtemp(prefix=f"sandbox-{assignment}-"))
    agent = root / "agent"
    agent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(INSIDE / "agent.py", agent / "agent.py")
    shutil.copy2(INSIDE / "wire.py", agent / "wire.py")
    lib = root / "lib" / "course"
    answers: dict[str, dict[str, str]] = {}  # file → what this problem set asks to write
    for spec in getattr(profile, "asks", ()):
        file, qual = spec.split(":")
        answers.setdefault(file, {})[qual] = (
            f"{qual} is not available in the autograder: {assignment} asks you to write it"
        )
    for rel in profile.files:
        (lib / rel).parent.mkdir(parents=True, exist_ok=True)
        if rel in answers:  # the reference is never there to call, whatever name points at it
            source = (COURSE / rel).read_text(encoding="utf-8")
            (lib / rel).write_text(stub_source(source, answers[rel], rel), encoding="utf-8")
        else:
            shutil.copy2(COURSE / rel, lib / rel)
    for rel, make in profile.generated.items():
        (lib / rel).parent.mkdir(parents=True, exist_ok=True)
        (lib / rel).write_bytes(make())
    if not (lib / "modules" / "__init__.py").exists():
        (lib / "modules" / "__init__.py").write_text(_stub_modules(profile.interface, assignment))
    # Every other top-level module or package of the library explains why it is missing.
    for src in COURSE.iterdir():
        name = src.stem if src.suffix == ".py" else src.name
        if name.startswith(("_", ".")) or name in ("grading", "data_files"):
            continue
        if (lib / src.name).exists():
            continue
        why = f"course.{name} is not available to {assignment} in the autograder"
        target = lib / name / "__init__.py" if src.is_dir() else lib / src.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_stub_module(name, why))
    package = profile.checks.rsplit(".", 1)[-1]
    (lib / "grading" / package).mkdir(parents=True, exist_ok=True)
    (lib / "grading" / "__init__.py").write_text('"""Checks (they run outside the sandbox)."""\n')
    (lib / "grading" / package / "__init__.py").write_text(_stub_checks(profile.checks))
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    root.chmod(0o755)
    return root
