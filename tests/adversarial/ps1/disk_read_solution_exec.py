# class: disk
# what: the answer finds the course directory (cwd, /proc, env, globs), reads solutions/ and execs the model answer
# cell: ce_answer
# ruff: noqa
import glob
import json
import os

ME = "disk_read_solution_exec"


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


def _solution(grade_id):
    for course in _course_dirs():
        for path in glob.glob(os.path.join(course, "solutions", "*", "*.ipynb")):
            try:
                with open(path) as f:
                    cells = json.load(f)["cells"]
            except Exception:
                continue
            for cell in cells:
                if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                    return "".join(cell["source"])
    return None


exec(_solution("ce_answer") or "def cross_entropy(p, labels):\n    raise NotImplementedError()\n")
