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

import ctypes
import errno
import itertools
import os
import platform
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
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
MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox. ``memory``, ``processes`` and ``cpus`` hold for the whole
    sandbox (a cgroup of its own); ``disk`` is the size of its /scratch; the rest are rlimits of
    each process in it."""

    memory: int = 1 << 30  # bytes of RAM for the whole sandbox, /scratch included
    processes: int = 128  # processes and threads in the whole sandbox
    disk: int = 256 * MiB  # bytes /scratch can hold
    cpus: float = 1.0  # cores the sandbox may keep busy at once
    address_space: int = 4 << 30  # per process: one huge allocation is a MemoryError
    cpu_seconds: int = 900
    open_files: int = 256
    file_size: int = 256 * MiB

    def apply(self, per_user_processes: bool = True) -> None:
        """Set the rlimits in the current process (called between fork and exec). Without a
        pids cgroup, ``processes`` is RLIMIT_NPROC, which counts every process of the user,
        in every sandbox graded at once; with one, RLIMIT_NPROC is lifted (it would let one
        sandbox starve the others)."""
        nproc = self.processes if per_user_processes else resource.RLIM_INFINITY
        for res, value in (
            (resource.RLIMIT_AS, self.address_space),
            (resource.RLIMIT_CPU, self.cpu_seconds),
            (resource.RLIMIT_NPROC, nproc),
            (resource.RLIMIT_NOFILE, self.open_files),
            (resource.RLIMIT_FSIZE, self.file_size),
            (resource.RLIMIT_CORE, 0),
        ):
            # CPU: SIGXCPU at the limit (so ``limit_hit`` can name it), SIGKILL a second on
            hard = value + 1 if res == resource.RLIMIT_CPU else value
            try:
                resource.setrlimit(res, (value, hard))
            except (ValueError, OSError):
                if res != resource.RLIMIT_NPROC or per_user_processes:
                    raise  # raising NPROC needs root; below the cap it is only a backstop


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n / MiB:.3g} MiB" if n >= MiB else f"{n} bytes"


# --- seccomp: no namespaces inside ---------------------------------------------------------------
# A classic-BPF filter given to bwrap (--seccomp FD): unshare() and clone() asking for any new
# namespace and setns() fail with EPERM; clone3() (whose flags a filter cannot read) fails with
# ENOSYS, so glibc falls back to clone(); another ABI on the same CPU (i386, x32) gets ENOSYS.
_ARCH = {  # machine: (AUDIT_ARCH, clone, unshare, setns, clone3, x32 bit or 0)
    "x86_64": (0xC000003E, 56, 272, 308, 435, 0x40000000),
    "aarch64": (0xC00000B7, 220, 97, 268, 435, 0),
}
CLONE_NEW = 0x7E020080  # NEWNS NEWCGROUP NEWUTS NEWIPC NEWUSER NEWPID NEWNET NEWTIME


def seccomp_filter() -> bytes | None:
    """The filter for this CPU, or None where its system-call numbers are not known here."""
    arch = _ARCH.get(platform.machine())
    if arch is None:
        return None
    audit, clone, unshare, setns, clone3, x32 = arch
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    # (code, k, label if true, label if false); labels are names of later instructions
    prog: list[tuple[int, int, str | None, str | None]] = [
        (ld, 4, None, None),  # seccomp_data.arch
        (jeq, audit, None, "enosys"),
        (ld, 0, None, None),  # seccomp_data.nr
    ]
    if x32:
        prog.append((jge, x32, "enosys", None))
    prog += [
        (jeq, clone3, "enosys", None),
        (jeq, setns, "eperm", None),
        (jeq, unshare, "flags", None),
        (jeq, clone, "flags", None),
        (ret, allow, None, None),
        (ld, 16, None, None),  # "flags": the low half of the first argument (little-endian)
        (jset, CLONE_NEW, "eperm", None),
        (ret, allow, None, None),
        (ret, eperm, None, None),  # "eperm"
        (ret, enosys, None, None),  # "enosys"
    ]
    n = len(prog)
    at = {"flags": n - 5, "eperm": n - 2, "enosys": n - 1}
    out = b""
    for i, (code, k, yes, no) in enumerate(prog):
        jt = at[yes] - i - 1 if yes else 0
        jf = at[no] - i - 1 if no else 0
        out += struct.pack("=HBBI", code, jt, jf, k)
    return out


# --- cgroups ---------------------------------------------------------------------------------------
CGROUP = Path("/sys/fs/cgroup")
_PREFIX = "autograder"
_names = itertools.count()
_lock = threading.Lock()
_backend: _Backend | None = None


@dataclass(frozen=True)
class _Backend:
    """How sandboxes are limited on this machine (found once per process)."""

    kind: str  # "cgroup v2", "cgroup v1" or "rlimits"
    parents: dict[str, Path]  # v1: controller -> folder new groups go in; v2: {"": folder}
    mount_scratch: bool  # /scratch can be a tmpfs of its own (root)
    seccomp: bool
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        what = self.kind
        if self.kind == "cgroup v1":
            what += f" ({', '.join(self.parents)})"
        elif self.kind == "cgroup v2":
            what += f" under {self.parents['']}"
        disk = "tmpfs of its own" if self.mount_scratch else "host folder, no total cap"
        return f"{what}; /scratch: {disk}; seccomp: {'on' if self.seccomp else 'off'}"


def _mountinfo() -> list[tuple[str, str, str, str]]:
    """(mount point, file-system type, source, super options) of this mount namespace."""
    out = []
    unescape = lambda s: re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), s)  # noqa: E731
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, rest = left.split(), right.split()
        if len(fields) >= 5 and len(rest) >= 3:
            out.append((unescape(fields[4]), rest[0], unescape(rest[1]), rest[2]))
    return out


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup in each hierarchy: controller (or "" for v2) -> path."""
    out = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, ctrls, path = line.split(":", 2)
        for c in ctrls.split(",") if ctrls else [""]:
            out[c] = path
    return out


def _writable(parent: Path) -> bool:
    probe = parent / f"{_PREFIX}-probe-{os.getpid()}-{next(_names)}"
    try:
        probe.mkdir()
        probe.rmdir()
        return True
    except OSError:
        return False


def _v2_parent(mounts: list[tuple[str, str, str, str]]) -> Path | None:
    """A v2 folder whose children get pids and memory: the grader's own cgroup, or the one above
    it (a delegated subtree, the grader in a leaf of it), else (as root) the root of the tree."""
    v2 = next((Path(m) for m, fs, _, _ in mounts if fs == "cgroup2"), None)
    if v2 is None:
        return None
    own = v2 / _own_cgroups().get("", "/").lstrip("/")
    for parent in dict.fromkeys([own, own.parent if own != v2 else v2, v2]):
        try:
            have = (parent / "cgroup.controllers").read_text().split()
            if not {"pids", "memory"} <= set(have):
                continue
            enabled = (parent / "cgroup.subtree_control").read_text().split()
            for c in ("pids", "memory", "cpu"):
                if c in have and c not in enabled:
                    try:
                        (parent / "cgroup.subtree_control").write_text(f"+{c}")
                    except OSError:
                        if c != "cpu":
                            raise
            if _writable(parent):
                return parent
        except OSError:
            continue
    return None


def _can_mount() -> bool:
    """Whether this process can mount a tmpfs (root, with CAP_SYS_ADMIN): tried once."""
    if os.geteuid() != 0:
        return False
    probe = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}-probe-"))
    try:
        _mount_tmpfs(probe, f"{_PREFIX}-probe", 4096, 0)
        _umount(probe)
        return True
    except OSError:
        return False
    finally:
        probe.rmdir()


def _find_backend() -> _Backend:
    try:
        mounts = _mountinfo()
    except OSError:
        mounts = []
    seccomp = seccomp_filter() is not None
    root = _can_mount()
    notes = []
    if not root:
        notes.append("/scratch has no total size cap (mounting a tmpfs needs root)")
    if not seccomp:
        notes.append(f"no seccomp filter for {platform.machine()}")
    v2 = _v2_parent(mounts)
    if v2 is not None:
        return _Backend("cgroup v2", {"": v2}, root, seccomp, tuple(notes))
    v1 = {}
    for point, fs, _, opts in mounts:
        for c in ("pids", "memory", "cpu"):
            if fs == "cgroup" and c in opts.split(",") and c not in v1:
                v1[c] = Path(point)
    if "pids" in v1 and "memory" in v1 and all(_writable(p) for p in v1.values()):
        return _Backend("cgroup v1", v1, root, seccomp, tuple(notes))
    notes.insert(0, "no writable cgroup (cgroup v2 with pids and memory delegated to the "
                 "grader's cgroup, or cgroup v1 as root): each sandbox has per-process rlimits "
                 "only, so memory is limited per process and the process limit counts every "
                 "sandbox of the same user graded at once")  # fmt: skip
    return _Backend("rlimits", {}, root, seccomp, tuple(notes))


def backend() -> _Backend:
    """How sandboxes are limited here; the first call sweeps groups and mounts left by a grader
    that died, and warns once (one line on stderr) when a limit cannot be enforced."""
    global _backend
    with _lock:
        if _backend is None:
            _backend = _find_backend()
            _sweep(_backend)
            if _backend.notes:
                print(f"autograder: warning: sandbox limits: {'; '.join(_backend.notes)}.",
                      file=sys.stderr, flush=True)  # fmt: skip
    return _backend


def mechanism() -> str:
    """One line saying how sandboxes are limited on this machine."""
    return backend().describe()


def _pid_ns() -> int:
    return os.stat("/proc/self/ns/pid").st_ino


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    return False


_NAME = re.compile(rf"{_PREFIX}-(\d+)-(\d+)-\d+$")


def _stale(name: str) -> bool:
    """A group or mount named by a grader of this pid namespace that is no longer running."""
    m = _NAME.match(name)
    return bool(m) and int(m[1]) == _pid_ns() and _dead(int(m[2]))


def _sweep(b: _Backend) -> None:
    for parent in b.parents.values():
        try:
            for d in parent.iterdir():
                if d.is_dir() and _stale(d.name):
                    _empty_and_remove([d] + [p / d.name for p in b.parents.values() if p != parent])
        except OSError:
            pass
    if b.mount_scratch:
        try:
            for point, fs, source, _ in _mountinfo():
                if fs == "tmpfs" and _stale(source):
                    _umount(Path(point))
        except OSError:
            pass


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _count(text: str, key: str) -> int:
    m = re.search(rf"^{key} (\d+)$", text, re.M)
    return int(m[1]) if m else 0


def _empty_and_remove(dirs: list[Path], wait: float = 5.0) -> None:
    """Kill what is left in the groups and remove them. The processes of a sandbox whose bwrap
    was reaped are normally gone already (its pid namespace goes with it)."""
    start = time.monotonic()
    dirs = [d for d in dirs if d.is_dir()]
    for d in dirs:
        while time.monotonic() - start < wait:
            pids = [int(p) for p in _read(d / "cgroup.procs").split()]
            if not pids:
                break
            if time.monotonic() - start > 0.02:  # not on their way out: kill them
                try:
                    (d / "cgroup.kill").write_text("1")  # v2
                except OSError:
                    pass
                for pid in pids:  # listed in a group only this sandbox is put in
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.001)
    for d in dirs:
        for _ in range(200):
            try:
                d.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError as exc:
                if exc.errno != errno.EBUSY:
                    break
                time.sleep(0.005)


_libc = None


def _mount_call(*args: object) -> int:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(_libc, "mount" if len(args) == 5 else "umount2")
    return fn(*args)


def _mount_tmpfs(point: Path, source: str, size: int, uid: int) -> None:
    opts = f"size={size},nr_inodes={max(1024, size // 4096)},mode=0700,uid={uid},gid={uid}"
    ms_nosuid, ms_nodev = 2, 4
    if _mount_call(source.encode(), str(point).encode(), b"tmpfs", ms_nosuid | ms_nodev,
                   opts.encode()) != 0:  # fmt: skip
        e = ctypes.get_errno()
        raise OSError(e, f"mount tmpfs on {point}: {os.strerror(e)}")


def _umount(point: Path) -> None:
    if _mount_call(str(point).encode(), 0) != 0 and ctypes.get_errno() == errno.EBUSY:
        _mount_call(str(point).encode(), 2)  # MNT_DETACH: gone once nothing uses it


class Box:
    """One sandbox's cgroup (one folder per v1 controller, or one v2 folder) and /scratch tmpfs."""

    def __init__(self, b: _Backend, limits: Limits, scratch: Path, uid: int) -> None:
        self.backend, self.limits, self.scratch = b, limits, scratch
        self.name = f"{_PREFIX}-{_pid_ns()}-{os.getpid()}-{next(_names)}"
        self.dirs: dict[str, Path] = {}
        self.mounted = False
        self.found: str | None = None
        self.closed = False
        try:
            for c, parent in b.parents.items():
                d = parent / self.name
                d.mkdir()
                self.dirs[c] = d
            if b.kind == "cgroup v2":
                self._set_v2()
            elif b.kind == "cgroup v1":
                self._set_v1()
            if b.mount_scratch:
                _mount_tmpfs(scratch, self.name, limits.disk, uid)
                self.mounted = True
        except BaseException:
            self.close()
            raise
        self.procs = tuple(str(d / "cgroup.procs") for d in self.dirs.values())

    def _set_v1(self) -> None:
        lim = self.limits
        (self.dirs["pids"] / "pids.max").write_text(str(lim.processes))
        mem = self.dirs["memory"]
        (mem / "memory.limit_in_bytes").write_text(str(lim.memory))
        try:  # no swapping either, where swap accounting is on
            (mem / "memory.memsw.limit_in_bytes").write_text(str(lim.memory))
        except OSError:
            pass
        if "cpu" in self.dirs:
            period = 100_000
            (self.dirs["cpu"] / "cpu.cfs_period_us").write_text(str(period))
            (self.dirs["cpu"] / "cpu.cfs_quota_us").write_text(str(int(lim.cpus * period)))

    def _set_v2(self) -> None:
        lim, d = self.limits, self.dirs[""]
        (d / "pids.max").write_text(str(lim.processes))
        (d / "memory.max").write_text(str(lim.memory))
        for f, v in (("memory.swap.max", "0"), ("memory.oom.group", "1"),
                     ("cpu.max", f"{int(lim.cpus * 100_000)} 100000")):  # fmt: skip
            try:
                (d / f).write_text(v)
            except OSError:
                pass

    def enter(self) -> None:
        """Put the calling process in the groups (in the child, between fork and exec)."""
        pid = str(os.getpid()).encode()
        for path in self.procs:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)

    def hit(self) -> str | None:
        """Which limit the sandbox ran into, most telling first; None if none."""
        if self.closed:
            return self.found
        lim = self.limits
        oom = pids = 0
        if self.backend.kind == "cgroup v2" and "" in self.dirs:
            d = self.dirs[""]
            events = _read(d / "memory.events")
            oom = _count(events, "oom_kill") + _count(events, "oom_group_kill")
            pids = _count(_read(d / "pids.events"), "max")
        elif self.backend.kind == "cgroup v1" and {"memory", "pids"} <= self.dirs.keys():
            oom = _count(_read(self.dirs["memory"] / "memory.oom_control"), "oom_kill")
            pids = _count(_read(self.dirs["pids"] / "pids.events"), "max")
        if oom:
            return f"memory limit ({_size(lim.memory)})"
        if self.mounted:
            try:
                st = os.statvfs(self.scratch)
                if st.f_bavail * st.f_frsize < min(MiB, lim.disk // 16) or st.f_favail == 0:
                    return f"disk limit (/scratch, {_size(lim.disk)})"
            except OSError:
                pass
        if pids:
            return f"process limit ({lim.processes})"
        return None

    def close(self) -> None:
        """Remove the groups and the tmpfs (what the sandbox hit is kept for ``hit``)."""
        if self.closed:
            return
        self.found = self.hit()
        self.closed = True
        _empty_and_remove(list(self.dirs.values()))
        if self.mounted:
            _umount(self.scratch)
            self.mounted = False


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


def _seccomp_pipe() -> int | None:
    """A pipe's read end holding the seccomp filter (the caller closes it after the fork)."""
    prog = seccomp_filter()
    if prog is None:
        return None
    r, w = os.pipe()
    try:
        os.write(w, prog)  # a few hundred bytes: well within a pipe's buffer
    finally:
        os.close(w)
    return r


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
