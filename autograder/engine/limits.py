"""What one sandbox may use: its cgroup's limits, its /scratch size, each process's rlimits."""

from __future__ import annotations

import resource
from dataclasses import dataclass

NOBODY = 65534
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
