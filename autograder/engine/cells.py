"""Read a test cell as the list of check calls it makes, without running it.

A test cell is one visible call and, in the instructor's source, one hidden call::

    check_linear(Linear)
    ### BEGIN HIDDEN TESTS
    check_linear(Linear, seed=…, n=…, d_in=…, d_out=…, hidden=True)
    ### END HIDDEN TESTS

Every statement must be a call of a ``check_*`` function of the problem set's checks (``ps1.``
in front is fine) whose arguments are names from the student's notebook and whose keyword
arguments are literals. The grader runs each call itself; the cell's score is the last call's.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from types import ModuleType
from typing import Any


class NotACheck(ValueError):
    """The test cell holds something other than check calls (an instructor's mistake)."""


@dataclass(frozen=True)
class CheckCall:
    """``check(*names, **kwargs)``: ``names`` are looked up in the student's notebook."""

    check: str
    names: tuple[str, ...]
    kwargs: dict[str, Any]

    @property
    def hidden(self) -> bool:
        return bool(self.kwargs.get("hidden"))


def parse(source: str, checks: ModuleType) -> list[CheckCall]:
    """The check calls of a test cell, in order. Raises :class:`NotACheck`."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NotACheck(f"the test cell is not valid Python ({exc.msg})") from None
    known = set(getattr(checks, "__all__", ()))
    calls = []
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            raise NotACheck(f"line {stmt.lineno} of the test cell is not a check call")
        call = stmt.value
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if not (name.startswith("check_") and name in known):
            raise NotACheck(f"{name or 'that'} is not a check of {checks.__name__}")
        if not all(isinstance(a, ast.Name) for a in call.args):
            raise NotACheck(f"the arguments of {name} must be names from the notebook")
        kwargs = {}
        for kw in call.keywords:
            try:
                kwargs[kw.arg] = ast.literal_eval(kw.value)
            except (ValueError, TypeError, SyntaxError):
                raise NotACheck(f"{name}'s keyword {kw.arg} must be a literal") from None
        calls.append(CheckCall(name, tuple(a.id for a in call.args), kwargs))
    if not calls:
        raise NotACheck("the test cell has no check call")
    return calls
