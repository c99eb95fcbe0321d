"""A cgroup and a /scratch tmpfs per sandbox (``Box``): v2 where delegated, v1 as root, else none."""

from __future__ import annotations

import ctypes
import errno
import itertools
import os
import platform
import re
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .limits import Limits, MiB, _size
from .seccomp import seccomp_filter

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
