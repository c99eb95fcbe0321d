"""Run every lecture and every untouched assignment of a student pack, with the pack's Python.

``PACK/.venv/bin/python tests/run_pack_notebooks.py PACK`` (tests/grader/test_student_pack.py does this):
lectures must run without an error; an untouched assignment may fail only where the student has
work to do (NotImplementedError in an answer cell, or a check reporting that). Prints a JSON line:
where `course` was imported from, and per notebook the errors seen.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import course

ALLOWED = {"NotImplementedError"}


def run(path: Path) -> list[str]:
    nb = nbformat.read(path, 4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    client.execute()
    return [o.get("ename", "?") for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]  # fmt: skip


def main(pack: Path) -> int:
    report, bad = {"course_from": course.__file__, "notebooks": {}}, []
    for kind in ("lectures", "assignments"):
        for path in sorted((pack / kind).rglob("*.ipynb")):
            errors = run(path)
            report["notebooks"][str(path.relative_to(pack))] = errors
            allowed = set() if kind == "lectures" else ALLOWED
            if set(errors) - allowed:
                bad.append(f"{path.relative_to(pack)}: {errors}")
            print(f"{path.relative_to(pack)}: {errors or 'no errors'}", file=sys.stderr)
    print("\n".join(bad), file=sys.stderr)
    print(json.dumps(report))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
