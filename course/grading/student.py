"""How a check touches the student's objects: the same code in their kernel and in the grader.

In the student's kernel their objects are ordinary Python objects. In the autograder they live in
the sandbox and the check holds stand-ins (the instructor-only ``autograder.engine.remote``):
calls, attribute and item reads work the same on both; the two operations below differ, so checks
use these functions instead of doing them by hand. The autograder tells this module which objects
are stand-ins (:func:`register_world_finder`); nothing here imports it, so the student's copy of
the checks carries none of the grader.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np


class World(Protocol):
    """Where a stand-in's real object lives (a sandbox): the two operations checks need."""

    def fill(self, target: Any, attr: str, key: Any, value: np.ndarray, replace: bool) -> None: ...

    def library(self, module: str, name: str | None) -> Any: ...


_FINDERS: list[Callable[[Any], World | None]] = []


def register_world_finder(find: Callable[[Any], World | None]) -> None:
    """Let :func:`world_of` recognise another kind of stand-in (the autograder's, at import)."""
    if find not in _FINDERS:
        _FINDERS.append(find)


def world_of(obj: Any) -> World | None:
    """The sandbox ``obj`` lives in, or None for an ordinary object of this process."""
    for find in _FINDERS:
        world = find(obj)
        if world is not None:
            return world
    return None


def fill(obj: Any, attr: str, key: str, value: np.ndarray, *, replace: bool = False) -> None:
    """``obj.attr[key][...] = value``, in place (e.g. known weights into a student's Linear); with
    ``replace``, ``obj.attr[key] = value``, a new array that may have another shape."""
    world = world_of(obj)
    if world is not None:
        world.fill(obj, attr, key, value, replace=replace)
    elif replace:
        getattr(obj, attr)[key] = value
    else:
        getattr(obj, attr)[key][...] = value


def library(near: Any, module: str, name: str | None = None) -> Any:
    """``module.name`` on the student's side of ``near``: the sandbox's copy (a stand-in) for an
    object in the sandbox, this process's for a local one. Use it to build objects the student's
    code will receive (a reference ``Sequential`` in ps3, a ``numpy.random.Generator``)."""
    world = world_of(near)
    if world is not None:
        return world.library(module, name)
    mod = importlib.import_module(module)
    return getattr(mod, name) if name else mod
