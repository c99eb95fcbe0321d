"""Grade a class in parallel on Dask, ahead of nbgrader's serial bookkeeping.

The instructor's process prepares each submission exactly as nbgrader's autograde would
(nbgrader's own sanitizing preprocessors, reading the gradebook), and sends the notebook to a
Dask worker, which grades it (:func:`runner.grade`: two sandboxes, trusted checks) and returns
the graded notebook. The instructor's process stores it in the cache; then ``nbgrader autograde``
runs as usual, finds every result there and only does its bookkeeping. Workers never touch the
gradebook or the course directory: only the instructor's process writes them.

By default the cluster is a local one on this machine's cores, started and stopped here;
``scheduler="tcp://host:8786"`` sends the same work to an existing Dask cluster (its workers need
this package and bubblewrap installed).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import cache


@dataclass
class Outcome:
    """What happened to one submission in the parallel pass."""

    student: str
    status: str  # "graded", "cached", "failed"
    seconds: float = 0.0
    reason: str = ""


def sanitize(nb: nbformat.NotebookNode, assignment: str, student: str, db_url: str,
             course_id: str = "") -> nbformat.NotebookNode:  # fmt: skip
    """The notebook as nbgrader's autograde will hand it to its Execute step."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    resources = {"nbgrader": {"notebook": assignment, "assignment": assignment,
                              "student": student, "db_url": db_url, "course_id": course_id}}  # fmt: skip
    for step in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
                 CheckCellMetadata):  # fmt: skip
        nb, resources = step().preprocess(nb, resources)
    return nb


def grade_task(notebook: str, assignment: str, sandboxed: bool, timeout: float) -> str:
    """Runs on a Dask worker: a notebook (JSON) in, the graded notebook (JSON) out."""
    from .runner import grade

    nb = nbformat.reads(notebook, 4)
    grade(nb, assignment, sandboxed=sandboxed, timeout=timeout)
    return nbformat.writes(nb)


@contextlib.contextmanager
def client(scheduler: str | None = None, workers: int | None = None) -> Iterator[object]:
    """A Dask client: to ``scheduler`` if given, else to a local cluster started here."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as c:
            yield c
        return
    n = workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,  # fmt: skip
        Client(cluster) as c,
    ):
        yield c


class Workers:
    """A Dask client started on first use, so a run whose results are all cached starts none,
    and a run over several assignments starts one."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        self.scheduler, self.workers = scheduler, workers
        self._stack = contextlib.ExitStack()
        self._client = None

    def client(self) -> object:
        if self._client is None:
            self._client = self._stack.enter_context(client(self.scheduler, self.workers))
        return self._client

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


def prefetch(
    assignment: str,
    notebooks: dict[str, Path],
    db_url: str,
    cache_dir: Path,
    workers: Workers,
    *,
    sandboxed: bool = True,
    timeout: float = 120.0,
    log: Callable[[str], None] = print,
) -> list[Outcome]:
    """Grade ``notebooks`` (student → path) into ``cache_dir``; results already there are kept,
    and identical notebooks (untouched releases, shared solutions) are graded once."""
    outcomes, todo = [], {}  # todo: cache key → (notebook JSON, students)
    for student, path in sorted(notebooks.items()):
        try:
            nb = sanitize(nbformat.read(path, 4), assignment, student, db_url)
        except Exception as exc:  # nbgrader will meet the same problem and record it
            outcomes.append(Outcome(student, "failed", reason=f"{type(exc).__name__}: {exc}"))
            continue
        k = cache.key(nb, assignment, sandboxed)
        if cache.load(cache_dir, assignment, k) is not None:
            outcomes.append(Outcome(student, "cached"))
        else:
            todo.setdefault(k, (nbformat.writes(nb), []))[1].append(student)
    if not todo:
        log(f"{assignment}: all {len(outcomes)} submission(s) already graded (cache)")
        return outcomes
    from distributed import as_completed
    from tqdm import tqdm

    waiting = sum(len(students) for _, students in todo.values())
    log(f"{assignment}: grading {waiting} submission(s) in parallel"
        + (f" ({len(outcomes)} done in an earlier run)" if outcomes else ""))  # fmt: skip
    c = workers.client()
    start = time.perf_counter()
    futures = {
        c.submit(
            grade_task,
            nb,
            assignment,
            sandboxed,
            timeout,
            key=f"grade-{assignment}-{k}",
            pure=False,
        ): k  # fmt: skip
        for k, (nb, _) in todo.items()
    }
    with tqdm(total=waiting, unit="notebook", desc=assignment, smoothing=0.1) as bar:
        for fut in as_completed(futures):
            k = futures[fut]
            students = todo[k][1]
            elapsed = time.perf_counter() - start
            try:
                cache.store(cache_dir, assignment, k, nbformat.reads(fut.result(), 4))
                outcomes += [Outcome(s, "graded", elapsed) for s in students]
            except Exception as exc:  # left to nbgrader's own run, which records the failure
                why = f"{type(exc).__name__}: {exc}"
                outcomes += [Outcome(s, "failed", elapsed, why) for s in students]
            bar.update(len(students))
    return outcomes
