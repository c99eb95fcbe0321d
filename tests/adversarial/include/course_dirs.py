# Text that an attack pulls in with a line `# include: course_dirs` (tests/corpora/test_adversarial.py
# pastes it there): how a hostile cell looks for the course directory. `_my_course` reads the
# attack's own ME (its student id).
# ruff: noqa
import glob
import os


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
