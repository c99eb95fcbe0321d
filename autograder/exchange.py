"""The exchange's per-submission files follow a submission into autograded/.

``nbgrader release_feedback`` names each feedback file by a hash of the notebook with the
submission's ``submission_secret.txt`` (written by ``nbgrader submit``, brought in by
``collect``), read from feedback/, which generate_feedback fills from autograded/. The trusted
grader moves only notebooks from submitted/ to autograded/ (anything else a student hands in is
left behind on purpose), so these two small files are carried over here, before feedback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

EXCHANGE_FILES = ("submission_secret.txt", "timestamp.txt")


def carry_exchange_files(course_dir: Path, assignment: str) -> list[Path]:
    """Copy each exchange file from submitted/<s>/<a>/ to autograded/<s>/<a>/ where it is missing
    (only for graded students); return the files written."""
    written = []
    for graded in sorted(Path(course_dir).glob(f"autograded/*/{assignment}")):
        src = Path(course_dir) / "submitted" / graded.parent.name / assignment
        for name in EXCHANGE_FILES:
            if (src / name).is_file() and not (graded / name).exists():
                shutil.copy2(src / name, graded / name)
                written.append(graded / name)
    return written
