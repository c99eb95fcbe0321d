"""Where the student's code runs: a bubblewrap sandbox, and how to start one.

The sandbox sees a read-only root holding only the system libraries, this Python and its
packages, and a per-assignment copy of the parts of ``course`` a student may use (see
``library.py``). Its only writable place is a private scratch folder (plus an empty ``/tmp``).
It has no network, its own process, IPC and host-name namespaces, runs as ``nobody`` when the
grader runs as root, and has limits on memory, CPU time, processes, open files and file size.
Every process it starts dies with it (``--die-with-parent`` and its own pid namespace).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
PYTHON = os.path.abspath(sys.executable)  # a relative path would not resolve inside the sandbox
INSTALL_HINT = (
    "autograde runs every submission in a bubblewrap sandbox, and it could not start one here:\n"
    "  {problem}\n"
    "Fix: install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; `make autograde`\n"
    "does this when it runs as root) and allow unprivileged user namespaces if you are not root\n"
    "(`sudo sysctl -w kernel.unprivileged_userns_clone=1`). Only on a machine where every\n"
    "submission is trusted, `--no-sandbox` grades without it (the grade table says so)."
)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox (inherited by every process it starts)."""

    memory: int = 4 << 30  # bytes of address space
    cpu_seconds: int = 900
    processes: int = 512  # per user: every sandbox runs as the same user
    open_files: int = 256
    file_size: int = 256 << 20

    def apply(self) -> None:
        """Set the limits in the current process (called between fork and exec)."""
        for res, value in (
            (resource.RLIMIT_AS, self.memory),
            (resource.RLIMIT_CPU, self.cpu_seconds),
            (resource.RLIMIT_NPROC, self.processes),
            (resource.RLIMIT_NOFILE, self.open_files),
            (resource.RLIMIT_FSIZE, self.file_size),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(res, (value, value))


# Inside the sandbox: stdout of the student's code must not reach the channel (see autograder/inside/agent.py).
BOOT = "import sys; sys.path[:0] = ['/sandbox/agent', '/sandbox/lib']; import agent; agent.main()"
ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/scratch",
    "IPYTHONDIR": "/scratch/.ipython",
    "MPLCONFIGDIR": "/scratch/.matplotlib",
    "MPLBACKEND": "Agg",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "LANG": "C.UTF-8",
}


def _python_dirs() -> list[Path]:
    """The folders this Python needs: its installation and, for a virtualenv, the env."""
    dirs = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    dirs.add(Path(PYTHON).parent.resolve().parent)
    return sorted(d for d in dirs if not str(d).startswith("/usr"))


def _ancestors(path: Path) -> list[Path]:
    return [p for p in reversed(path.parents) if str(p) != "/"]


def bwrap_command(root: Path, scratch: Path, program: list[str] | None = None) -> list[str]:
    """The command that starts the agent in a sandbox. ``root`` holds ``agent/`` and ``lib/``
    (mounted read-only at /sandbox); ``scratch`` is the only writable folder (/scratch)."""
    cmd = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
           "--tmpfs", "/", "--ro-bind", "/usr", "/usr"]  # fmt: skip
    for d in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / d
        if host.is_symlink():
            cmd += ["--symlink", os.readlink(host), f"/{d}"]
        elif host.is_dir():
            cmd += ["--ro-bind", str(host), f"/{d}"]
    for f in ("/etc/ld.so.cache", "/etc/localtime"):
        if Path(f).exists():
            cmd += ["--ro-bind", f, f]
    # /tmp first: a Python installed under /tmp (a CI clone's .venv) is bound on top of it.
    cmd += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    made: set[Path] = {Path("/tmp")}
    for d in _python_dirs():
        for parent in _ancestors(d):
            if parent not in made:  # bwrap would copy the host's mode (0700 for /root)
                cmd += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        cmd += ["--ro-bind", str(d), str(d)]
    cmd += ["--ro-bind", str(root), "/sandbox", "--bind", str(scratch), "/scratch",
            "--chdir", "/scratch", "--remount-ro", "/"]  # fmt: skip
    for k, v in ENV.items():
        cmd += ["--setenv", k, v]
    if os.geteuid() == 0:  # bwrap runs privileged; the student's code runs as nobody
        cmd += ["/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]  # fmt: skip
    else:
        cmd[1:1] = ["--unshare-user", "--cap-drop", "ALL"]
    return [*cmd, *(program or [PYTHON, "-I", "-c", BOOT])]


def plain_command(root: Path) -> list[str]:
    """``--no-sandbox``: the same agent as a plain child process (no isolation but the process)."""
    boot = BOOT.replace("/sandbox", str(root))
    return [PYTHON, "-I", "-c", boot]


def start(root: Path, scratch: Path, sandboxed: bool, limits: Limits) -> subprocess.Popen:
    """Start the agent; its stdin/stdout are the channel."""
    if sandboxed:
        cmd, env, cwd = bwrap_command(root, scratch), None, None
        if os.geteuid() == 0:
            os.chown(scratch, NOBODY, NOBODY)
    else:
        cmd, cwd = plain_command(root), str(scratch)
        env = {**ENV, "HOME": str(scratch), "IPYTHONDIR": str(scratch / ".ipython"),
               "MPLCONFIGDIR": str(scratch / ".matplotlib")}  # fmt: skip
    return subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=env, cwd=cwd, preexec_fn=limits.apply, start_new_session=True, close_fds=True,
    )  # fmt: skip


def problem() -> str | None:
    """Why a sandbox cannot start on this machine, or None if it can."""
    if shutil.which("bwrap") is None:
        return "the `bwrap` command was not found"
    probe = Path(os.environ.get("TMPDIR", "/tmp"))
    try:
        cmd = bwrap_command(probe, probe, [PYTHON, "-I", "-c", "pass"])
        proc = subprocess.run(cmd, capture_output=True, timeout=30, text=True)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap failed to run: {exc}"
    if proc.returncode != 0:
        return f"bwrap failed: {proc.stderr.strip()[:300]}"
    return None
