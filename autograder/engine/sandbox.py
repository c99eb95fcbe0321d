"""Where the student's code runs: a bubblewrap sandbox, and how to start one.

The sandbox sees a read-only root holding only the system libraries, this Python and its
packages, and a per-assignment copy of the parts of ``course`` a student may use (see
``library.py``). Its only writable place is a private scratch folder (plus an empty ``/tmp``).
It has no network, its own process, IPC and host-name namespaces, runs as ``nobody`` when the
grader runs as root, and cannot make namespaces of its own (a seccomp filter, and bwrap's
``--disable-userns`` where bwrap runs unprivileged). Every process it starts dies with it
(``--die-with-parent`` and its own pid namespace).

Limits. Each sandbox gets its own cgroup (``Box``) made before bwrap starts and removed when the
sandbox is reaped: the number of processes and threads, the memory of the whole sandbox (its
``/scratch`` included) and its share of the CPUs. cgroup v2 is used where the grader's cgroup (or,
as root, the root of the v2 tree) has the pids and memory controllers; else cgroup v1 as root.
``/scratch`` is a tmpfs of ``Limits.disk`` bytes mounted on the host's scratch folder (root only;
its pages count in the sandbox's memory cgroup). Where none of this is possible the sandbox keeps
only per-process rlimits, and one warning line says so. ``limit_hit(proc)`` tells which limit a
sandbox ran into; ``cleanup(proc)`` (also run by ``proc.wait()``) removes its cgroup and tmpfs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import weakref
from pathlib import Path

from .cgroups import Box, backend, mechanism  # noqa: F401 (callers ask the sandbox)
from .limits import NOBODY, Limits, MiB  # noqa: F401 (the sandbox's limits, for callers)
from .seccomp import _seccomp_pipe, seccomp_filter  # noqa: F401

PYTHON = os.path.abspath(sys.executable)  # a relative path would not resolve inside the sandbox
INSTALL_HINT = (
    "autograde runs every submission in a bubblewrap sandbox, and it could not start one here:\n"
    "  {problem}\n"
    "Fix: install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; `make autograde`\n"
    "does this when it runs as root) and allow unprivileged user namespaces if you are not root\n"
    "(`sudo sysctl -w kernel.unprivileged_userns_clone=1`). Only on a machine where every\n"
    "submission is trusted, `--no-sandbox` grades without it (the grade table says so)."
)


class Sandbox(subprocess.Popen):
    """A started sandbox: a ``Popen`` that also knows its limits. ``wait()`` (and so the end of
    ``with``) removes its cgroup and tmpfs once bwrap has been reaped."""

    box: Box | None = None
    limits: Limits | None = None

    def limit_hit(self) -> str | None:
        """The limit this sandbox ran into, as a short phrase ("memory limit (1 GiB)",
        "disk limit (/scratch, 256 MiB)", "process limit (128)", "CPU time limit (900 s)"),
        or None. The cgroup's counts are for the sandbox's whole life."""
        found = self.box.hit() if self.box is not None else None
        xcpu = (-signal.SIGXCPU, 128 + signal.SIGXCPU)  # the agent, or bwrap passing it on
        if found is None and self.limits is not None and self.returncode in xcpu:
            found = f"CPU time limit ({self.limits.cpu_seconds} s)"
        return found

    def cleanup(self) -> None:
        """Remove the cgroup and tmpfs (idempotent). Kills what is left of the sandbox."""
        if self.box is not None:
            self.box.close()

    def wait(self, timeout: float | None = None) -> int:
        code = super().wait(timeout)
        self.cleanup()
        return code


def limit_hit(proc: subprocess.Popen | None) -> str | None:
    """Which limit the sandbox ``proc`` ran into (see ``Sandbox.limit_hit``); works before and
    after ``cleanup``."""
    return proc.limit_hit() if isinstance(proc, Sandbox) else None


def cleanup(proc: subprocess.Popen | None) -> None:
    """Remove the sandbox's cgroup and tmpfs; call it once ``proc`` has been reaped (``wait``
    does it too). Idempotent."""
    if isinstance(proc, Sandbox):
        proc.cleanup()


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


def bwrap_command(root: Path, scratch: Path, program: list[str] | None = None,
                  seccomp_fd: int | None = None, tmp_size: int = 64 * MiB) -> list[str]:  # fmt: skip
    """The command that starts the agent in a sandbox. ``root`` holds ``agent/`` and ``lib/``
    (mounted read-only at /sandbox); ``scratch`` is the only writable folder (/scratch).
    ``seccomp_fd`` is a file descriptor bwrap reads ``seccomp_filter()`` from."""
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
    # (Writable only where bwrap runs unprivileged: then it needs a size of its own.)
    cmd += ["--dev", "/dev", "--proc", "/proc", "--size", str(tmp_size), "--tmpfs", "/tmp"]
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
    if seccomp_fd is not None:
        cmd += ["--seccomp", str(seccomp_fd)]
    if os.geteuid() == 0:  # bwrap runs privileged; the student's code runs as nobody
        cmd += ["/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]  # fmt: skip
    else:
        cmd[1:1] = ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
    return [*cmd, *(program or [PYTHON, "-I", "-c", BOOT])]


def plain_command(root: Path) -> list[str]:
    """``--no-sandbox``: the same agent as a plain child process (no isolation but the process)."""
    boot = BOOT.replace("/sandbox", str(root))
    return [PYTHON, "-I", "-c", boot]


def start(root: Path, scratch: Path, sandboxed: bool, limits: Limits,
          program: list[str] | None = None) -> Sandbox:  # fmt: skip
    """Start the agent (or ``program``) in a sandbox of its own; its stdin/stdout are the channel.

    The sandbox's cgroup and its /scratch tmpfs exist before bwrap starts and go when the
    returned process is reaped (``wait()``, or ``cleanup(proc)``); ``limit_hit(proc)`` says
    which limit it ran into."""
    b = backend()
    uid = NOBODY if os.geteuid() == 0 else os.geteuid()
    box = Box(b, limits, scratch, uid) if (b.kind != "rlimits" or b.mount_scratch) else None
    fd = None
    try:
        if sandboxed:
            fd = _seccomp_pipe()
            cmd = bwrap_command(root, scratch, program, fd, min(limits.disk, 64 * MiB))
            env, cwd = None, None
            if os.geteuid() == 0 and not (box and box.mounted):
                os.chown(scratch, NOBODY, NOBODY)
        else:
            cmd, cwd = program or plain_command(root), str(scratch)
            env = {**ENV, "HOME": str(scratch), "IPYTHONDIR": str(scratch / ".ipython"),
                   "MPLCONFIGDIR": str(scratch / ".matplotlib")}  # fmt: skip
        per_user = b.kind == "rlimits"

        def child() -> None:  # between fork and exec: keep it to system calls
            if box is not None:
                box.enter()
            limits.apply(per_user)

        proc = Sandbox(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, cwd=cwd, preexec_fn=child, start_new_session=True, close_fds=True,
            pass_fds=() if fd is None else (fd,),
        )  # fmt: skip
    except BaseException:
        if box is not None:
            box.close()
        raise
    finally:
        if fd is not None:
            os.close(fd)
    proc.box, proc.limits = box, limits
    if box is not None:  # a Popen dropped without wait(): its sandbox goes at exit at the latest
        weakref.finalize(proc, box.close)
    return proc


def problem() -> str | None:
    """Why a sandbox cannot start on this machine, or None if it can."""
    if shutil.which("bwrap") is None:
        return "the `bwrap` command was not found"
    probe = Path(os.environ.get("TMPDIR", "/tmp"))
    fd = _seccomp_pipe()
    try:
        cmd = bwrap_command(probe, probe, [PYTHON, "-I", "-c", "pass"], fd)
        proc = subprocess.run(cmd, capture_output=True, timeout=30, text=True,
                              pass_fds=() if fd is None else (fd,))  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap failed to run: {exc}"
    finally:
        if fd is not None:
            os.close(fd)
    if proc.returncode != 0:
        return f"bwrap failed: {proc.stderr.strip()[:300]}"
    return None
