# class: disk
# what: sqlite3 on gradebook.db: my grades become full manual scores, the victim's become 0, a ghost student appears
# after: setup
# danger: disk
# ruff: noqa
import glob
import os
import sqlite3

ME = "disk_gradebook_sqlite"


# include: course_dirs


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
