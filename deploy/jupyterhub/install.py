"""Set up the course's JupyterHub on one server (run as root; safe to run again).

    python deploy/jupyterhub/install.py --prefix /srv/course-hub \
        --instructors ada --students bo cy [--create-users] [--password-file FILE]

Writes, under the prefix:
  pack/          the student pack (lectures, released assignments, the student library)
  env/           one Python environment: the pack's requirements and library, JupyterHub, and
                 the instructor's grading extras (Dask, tqdm)
  node/          configurable-http-proxy from npm
  exchange/      nbgrader's exchange (world-writable with the sticky bit, as nbgrader needs)
  jupyter-config/nbgrader_config.py   the exchange and course id, for every user
  settings.json  what jupyterhub_config.py reads
and for each instructor ~/course: a copy of the repository (solutions, hidden tests, the full
grading library), readable by that instructor alone. Students get the pack's lectures in their
home on first login; their assignments come through the exchange.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# Files an instructor's course directory needs (the rest of the repository is not course data).
COURSE_FILES = ["nbgrader_config.py", "pyproject.toml", "requirements.txt", "Makefile", "README.md"]
COURSE_DIRS = ["course", "autograder", "solutions", "assignments", "lectures"]


def run(cmd: list[str], **kw: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]


def course_id(repo: Path = REPO) -> str:
    """``c.CourseDirectory.course_id`` from the course's nbgrader_config.py (one definition)."""
    m = re.search(r'course_id\s*=\s*"([^"]+)"', (repo / "nbgrader_config.py").read_text())
    if not m:
        raise SystemExit(f"no CourseDirectory.course_id in {repo / 'nbgrader_config.py'}")
    return m.group(1)


def hub_requirements(repo: Path = REPO) -> list[str]:
    """The `hub` extra of the course's pyproject.toml: JupyterHub and the grading extras."""
    meta = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    return list(meta["optional-dependencies"]["hub"])


def build_env(prefix: Path, python: str, env: Path | None, pack: Path | None) -> tuple[Path, Path]:
    """(environment, pack): by default pack/ is built and env/ is a new venv with the pack
    installed, not editable (students get no repository). ``env`` and ``pack`` reuse an existing
    environment where that pack is already installed. Either way JupyterHub and the grading
    extras are added."""
    if pack is None:
        sys.path.insert(0, str(REPO))
        from autograder.pack import build

        pack = build(prefix / "pack")
    pip = ["-m", "pip", "install", "-q"]
    if env is None:
        env = prefix / "env"
        if not (env / "bin" / "python").exists():
            run([python, "-m", "venv", str(env)])
        run([str(env / "bin" / "python"), *pip, "-r", str(pack / "requirements.txt"), str(pack)])
    check_runnable_by_all(env / "bin" / "python")
    run([str(env / "bin" / "python"), *pip, *hub_requirements()])
    return env, pack


def check_runnable_by_all(python: Path) -> None:
    """Every account runs the environment's Python: each folder above it must let others in."""
    real = Path(os.path.realpath(python))
    closed = [d for d in real.parents if not os.stat(d).st_mode & 0o001]
    if closed or not os.stat(real).st_mode & 0o001:
        raise SystemExit(
            f"{python} is {real}, which other accounts cannot run ({closed[0] if closed else real} "
            "is closed to them): pass --python /usr/bin/python3 (or another shared Python)"
        )


def install_proxy(prefix: Path) -> Path:
    """configurable-http-proxy from npm, into node/ (JupyterHub starts it)."""
    exe = prefix / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    if not exe.exists():
        run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix",
             str(prefix / "node"), "configurable-http-proxy@5"])  # fmt: skip
    return exe


def byte_size(text: str) -> int:
    """'4G' → 4294967296 (K, M, G, T are powers of 1024; a plain number is bytes)."""
    units = {"K": 1, "M": 2, "G": 3, "T": 4}
    text = text.strip().upper().removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * 1024 ** units[text[-1]])
    return int(text)


def ensure_user(name: str, password: str | None) -> pwd.struct_passwd:
    """A real system account with a private home (created only if missing)."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        run(["useradd", "--create-home", "--shell", "/bin/bash", name])
    if password is not None:
        run(["chpasswd"], input=f"{name}:{password}\n".encode())
    user = pwd.getpwnam(name)
    os.chmod(user.pw_dir, 0o700)
    return user


def instructor_course(user: pwd.struct_passwd, repo: Path = REPO) -> Path:
    """~/course for an instructor: the course directory, theirs alone (mode 700)."""
    dest = Path(user.pw_dir) / "course"
    dest.mkdir(exist_ok=True)
    for f in COURSE_FILES:
        shutil.copy2(repo / f, dest / f)
    for d in COURSE_DIRS:
        shutil.copytree(repo / d, dest / d, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))  # fmt: skip
    run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(dest)])
    os.chmod(dest, 0o700)
    return dest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--prefix", type=Path, default=Path("/srv/course-hub"))
    p.add_argument("--instructors", nargs="+", required=True)
    p.add_argument("--students", nargs="*", default=[])
    p.add_argument("--create-users", action="store_true", help="useradd the missing accounts")
    p.add_argument("--password-file", type=Path, help="lines of user:password to set (chpasswd)")
    p.add_argument(
        "--python",
        default="/usr/bin/python3",
        help="Python 3.11+ for the environment, runnable by every account",
    )
    p.add_argument("--env", type=Path, help="an existing environment with --pack installed")
    p.add_argument("--pack", type=Path, help="an existing student pack (default: build one)")
    p.add_argument("--mem", default="4G", help="address-space limit per user process")
    p.add_argument("--nproc", type=int, default=512, help="processes per user")
    a = p.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("run as root: it creates accounts, the exchange and per-user homes")
    prefix = a.prefix.resolve()
    prefix.mkdir(parents=True, exist_ok=True)
    os.chmod(prefix, 0o755)
    env, pack = build_env(prefix, a.python, a.env, a.pack)
    proxy = install_proxy(prefix)
    exchange = prefix / "exchange"
    exchange.mkdir(exist_ok=True)
    os.chmod(exchange, 0o1777)  # nbgrader's exchange: everyone writes, the sticky bit protects
    conf = prefix / "jupyter-config"
    conf.mkdir(exist_ok=True)
    (conf / "nbgrader_config.py").write_text(
        "# Written by deploy/jupyterhub/install.py: every user's nbgrader finds the exchange here.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.CourseDirectory.course_id = {course_id()!r}\n"
    )
    passwords = {}
    if a.password_file:
        for line in a.password_file.read_text().splitlines():
            if ":" in line:
                name, pw = line.split(":", 1)
                passwords[name] = pw
    for name in [*a.instructors, *a.students]:
        if a.create_users:
            ensure_user(name, passwords.get(name))
        else:
            pwd.getpwnam(name)  # KeyError names the missing account
    for name in a.instructors:
        instructor_course(pwd.getpwnam(name))
    settings = {
        "env": str(env), "pack": str(pack), "proxy": str(proxy),
        "exchange": str(exchange), "jupyter_config": str(conf), "state": str(prefix / "state"),
        "instructors": a.instructors, "students": a.students,
        "limits": {"mem_bytes": byte_size(a.mem), "nproc": a.nproc},
    }  # fmt: skip
    (prefix / "state").mkdir(exist_ok=True, mode=0o700)
    (prefix / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    print(f"ready: COURSE_HUB_SETTINGS={prefix / 'settings.json'} "
          f"{env / 'bin' / 'jupyterhub'} -f {HERE / 'jupyterhub_config.py'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
