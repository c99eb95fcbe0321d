# class: leaks
# what: a cell finds a course directory (cwd, /proc, env, globs) and prints every solution and hidden test cell
# after: setup
# ruff: noqa
import glob
import json
import os


def _course_dirs():
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
