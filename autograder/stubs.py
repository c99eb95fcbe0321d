"""Reference code with the answers taken out: what a problem set asks students to write, as stubs.

Used by the student pack (a problem set's reference stays out until it is due) and by the sandbox
(a problem set's own answers are never there to call, whatever name the student's code rebinds).
"""

from __future__ import annotations

import ast


def stub_source(source: str, quals: dict[str, str], rel: str = "<file>") -> str:
    """``source`` with the bodies of ``quals`` (qualified name -> message) replaced by ``raise
    NotImplementedError(message)``: a function's own body, or every method of a class; the
    signatures, decorators and docstrings stay, and so does every other line of the file."""
    tree = ast.parse(source)
    defs: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[node.name] = node
            if isinstance(node, ast.ClassDef):
                for sub in node.body:
                    if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        defs[f"{node.name}.{sub.name}"] = sub
    bodies: list[tuple[ast.AST, str]] = []
    for qual, message in quals.items():
        node = defs.get(qual)
        if node is None:
            raise SystemExit(f"course/{rel} has no {qual} to stub (registry `asks` is stale)")
        if isinstance(node, ast.ClassDef):
            methods = [
                s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
            ]
            if not methods:
                raise SystemExit(f"course/{rel}: class {qual} has no method to stub")
            bodies += [(m, message) for m in methods]
        else:
            bodies.append((node, message))
    lines = source.splitlines(keepends=True)
    for node, message in sorted(bodies, key=lambda b: -b[0].lineno):
        body = node.body
        doc = ast.get_docstring(node, clean=False) is not None
        keep = body[1:] if doc else body
        first = keep[0] if keep else None
        start = (first.lineno if first else body[0].end_lineno + 1) - 1  # 0-based
        end = node.end_lineno  # exclusive, 0-based = last line of the function
        if body[0].lineno == node.lineno:
            raise SystemExit(f"course/{rel}: {node.name} is a one-line def; cannot stub it")
        indent = " " * (body[0].col_offset)
        lines[start:end] = [f"{indent}raise NotImplementedError({message!r})\n"]
    return "".join(lines)
