"""Grade a class in parallel on Dask; record it in the instructor's process only.

The instructor's process prepares each submission exactly as nbgrader's autograde would
(nbgrader's own sanitizing preprocessors, reading the gradebook) and sends the notebook to a Dask
worker, which grades it (:func:`runner.grade`: two sandboxes, trusted checks) and returns the
graded notebook, its scores and reports in its test cells. As results arrive, the instructor's
process caches them (an interrupted run resumes from there) and records them with nbgrader's
own steps (:mod:`.record`). Workers never touch the gradebook or the course directory.

By default the cluster is a local one on this machine's cores, started and stopped here;
``scheduler="tcp://host:8786"`` sends the same work to an existing Dask cluster (its workers need
this package and bubblewrap installed).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from . import cache
from .scrub import scrub_notebook


@dataclass
class Outcome:
    """What happened to one submission in the parallel pass."""

    student: str
    status: str  # "graded", "cached", "failed"
    seconds: float = 0.0
    reason: str = ""
    worker_error: str = ""  # graded in the instructor's process because its Dask worker failed


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
    # Ctrl-C is the instructor's, not the workers': processes started while SIGINT is ignored
    # keep ignoring it, so only this process stops (and says so once) and closes the cluster.
    ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=logging.ERROR,  # no "worker still alive, killing" at a normal close
        )  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, ignored)
    with cluster, Client(cluster) as c:
        try:
            yield c
        except KeyboardInterrupt:
            logging.getLogger("distributed").setLevel(logging.CRITICAL)  # a quiet close
            raise


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


def grade_class(
    course_dir: Path,
    assignment: str,
    submitted: Path,
    students: list[str],
    db_url: str,
    cache_dir: Path,
    workers: Workers,
    *,
    sandboxed: bool = True,
    timeout: float = 120.0,
    log: Callable[[str], None] = print,
) -> list[Outcome]:
    """Grade ``submitted/<student>/<assignment>/<assignment>.ipynb`` for every student on Dask and
    record each result as it arrives. Results already in ``cache_dir`` are recorded at once, and
    identical notebooks (untouched releases, say) are graded once."""
    from .record import course_config, record, sanitize

    config = course_config(course_dir)
    release = Path(course_dir) / "assignments" / assignment / f"{assignment}.ipynb"
    outcomes: list[Outcome] = []
    todo: dict[str, tuple[str, list[str]]] = {}  # cache key → (notebook JSON, students)
    ready: list[tuple[str, Any]] = []

    def done(
        student: str,
        graded: Any,
        status: str,
        seconds: float = 0.0,
        why: str = "",
        worker: str = "",
    ) -> None:
        try:
            record(
                course_dir, submitted, assignment, student, copy.deepcopy(graded), db_url, config
            )
            outcomes.append(Outcome(student, status, seconds, why, worker))
        except Exception as exc:  # a grade that cannot be recorded is reported, never lost silently
            outcomes.append(Outcome(student, "failed", seconds, f"recording failed: {exc}"))

    for student in sorted(students):
        path = Path(submitted) / student / assignment / f"{assignment}.ipynb"
        why = ""
        try:
            nb = sanitize(
                scrub_notebook(nbformat.read(path, 4)), assignment, student, db_url, config
            )
        except Exception as exc:  # nbgrader cannot use it: graded as the untouched release
            why = f"nbgrader could not read the notebook ({type(exc).__name__}: {exc}); graded as empty"
            nb = sanitize(nbformat.read(release, 4), assignment, student, db_url, config)
        k = cache.key(nb, assignment, sandboxed)
        graded = cache.load(cache_dir, assignment, k)
        if graded is not None and len(graded.cells) == len(nb.cells):
            cache.copy_results(graded, nb)
            ready.append((student, nb, why))
        else:
            todo.setdefault(k, (nbformat.writes(nb), []))[1].append((student, why))
    for student, nb, why in ready:
        done(student, nb, "cached", why=why)
    if not todo:
        log(f"{assignment}: all {len(outcomes)} submission(s) already graded (cache)")
        return outcomes
    from distributed import as_completed
    from tqdm import tqdm

    waiting = sum(len(group) for _, group in todo.values())
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
    worker_said = False  # a worker's failure is logged once: on a broken cluster it is every one
    with tqdm(total=waiting, unit="notebook", desc=assignment, smoothing=0.1) as bar:
        for fut in as_completed(futures):
            k = futures[fut]
            text, group = todo[k]
            worker = ""
            try:
                graded = nbformat.reads(fut.result(), 4)
            except Exception as exc:  # a worker failed (lost, no bwrap): grade it here instead
                worker = f"{type(exc).__name__}: {exc}"[:300]
                if not worker_said:
                    log(f"{assignment}: a Dask worker could not grade a notebook ({worker}); "
                        "grading such notebooks in this process instead")  # fmt: skip
                    worker_said = True
                try:
                    graded = nbformat.reads(grade_task(text, assignment, sandboxed, timeout), 4)
                except Exception as exc:  # here too: said for each student, the batch goes on
                    here = f"{type(exc).__name__}: {exc}"
                    twice = f"grading failed twice: on a Dask worker ({worker}), then here ({here})"
                    for student, _ in group:
                        outcomes.append(
                            Outcome(student, "failed", time.perf_counter() - start, twice)
                        )
                    bar.update(len(group))
                    continue
            try:  # every step after the sandbox stays inside this student's guard
                graded = scrub_notebook(graded)
                cache.store(cache_dir, assignment, k, graded)
            except Exception as exc:  # still recorded below; only the resume copy is missing
                log(f"{assignment}: could not cache a result ({type(exc).__name__}: {exc})")
            for student, why in group:
                done(student, graded, "graded", time.perf_counter() - start, why, worker)
            bar.update(len(group))
    return outcomes
