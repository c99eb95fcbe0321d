"""A seccomp filter for bwrap: no new namespaces inside the sandbox."""

from __future__ import annotations

import errno
import os
import platform
import struct

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
