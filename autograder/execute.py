"""nbgrader's Execute step, replaced: student code runs in a sandbox, trusted checks give points.

Display-only cells (plots and explorers that help the student but earn no points) are tagged
``display-only`` in the source notebook and made read-only, so at autograde nbgrader has already
restored their source from the gradebook. Skipping them saves most of an assignment's grading time
(matplotlib and ipywidgets are never imported) and changes no score: they are neither graded nor
answer cells, and no answer or check uses what they define.

Every other code cell runs, whatever its tags (nbclient's ``skip-execution`` included), and every
test cell's outputs are written by the grader: a test cell nbgrader would score from the
student's kernel (no output = full marks) cannot exist.

This module runs in the nbgrader process (nbgrader_config.py imports it), never in a kernel.
"""

from __future__ import annotations

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer, Unicode

from .cellmeta import DISPLAY_ONLY, is_display_only  # noqa: F401 (nbgrader_config names them here)


class SandboxExecute(NbGraderPreprocessor):
    """Autograde's Execute step: the student's cells run in a sandbox, the points come from the
    grader's own checks (see :mod:`autograder.engine.runner`). Test cells get only the
    grader's report and score as outputs, whatever the student's code did."""

    timeout = Integer(120, help="Seconds one notebook cell may run.").tag(config=True)
    sandbox = Bool(True, help="Run student code in bubblewrap. Turn off only when every "
                   "submission is trusted; the grade table says so.").tag(config=True)  # fmt: skip
    cache_dir = Unicode("", help="Folder of graded notebooks (see engine/cache.py): a notebook "
                        "graded there already, e.g. by the Dask workers, is not graded again.").tag(
        config=True
    )  # fmt: skip

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        from .engine import cache  # the engine is only needed when grading
        from .engine.runner import grade
        from .engine.scrub import scrub_notebook

        assignment = resources["nbgrader"]["assignment"]
        scrub_notebook(nb)  # a lone surrogate in the student's file must not stop the batch
        k = cache.key(nb, assignment, self.sandbox)
        graded = cache.load(self.cache_dir or None, assignment, k)
        if graded is not None and len(graded.cells) == len(nb.cells):
            self.log.info("Graded %s already (cache)", assignment)
            cache.copy_results(graded, nb)
            return nb, resources
        self.log.info("Grading %s in %s", assignment, "a sandbox" if self.sandbox else "NO sandbox")
        grade(nb, assignment, sandboxed=self.sandbox, timeout=float(self.timeout))
        cache.store(self.cache_dir or None, assignment, k, nb)
        return nb, resources
