# class: leaks
# what: a cell finds a course directory (cwd, /proc, env, globs) and prints every solution and hidden test cell
# after: setup
# ruff: noqa
import glob
import json
import os


# include: course_dirs


for _course in _course_dirs():
    for _path in glob.glob(os.path.join(_course, "solutions", "ps2*", "*.ipynb")):
        with open(_path) as _f:
            for _cell in json.load(_f)["cells"]:
                _source = "".join(_cell["source"])
                if "BEGIN SOLUTION" in _source or "BEGIN HIDDEN" in _source:
                    print(_source)
        break
    else:
        continue
    break
