"""The channel between the trusted grader and the sandbox: framed messages of plain values.

Both sides use this file (the sandbox gets a copy). A message is a JSON header plus raw array
buffers; nothing is pickled, so decoding can never run code. Decoding checks every size and type
against limits, because the trusted side reads what the student's process wrote::

    frame   = 8-byte big-endian header length | header (JSON, UTF-8) | buffer 0 | buffer 1 | ...
    header  = {"body": <value>, "buffers": [nbytes, ...]}
    value   = null | bool | int | float | str | [value, ...]
            | {"$t": [value, ...]}                          a tuple
            | {"$d": [[str, value], ...]}                   a dict with string keys
            | {"$f": "nan" | "inf" | "-inf"}                a non-finite float
            | {"$a": i, "dtype": "<f8", "shape": [...]}     a NumPy array held in buffer i
            | {"$h": id, "type": "Linear"}                  an object that stays in the sandbox
            | {"$cb": id}                                   a function that stays with the grader
"""

from __future__ import annotations

import json
import math
import os
import struct
from typing import Any

import numpy as np

MAX_HEADER = 8 << 20  # bytes of JSON in one message
MAX_BUFFERS = 256 << 20  # bytes of array data in one message
MAX_DEPTH = 32
MAX_ITEMS = 1 << 20  # elements of one list, tuple or dict
DTYPES = {"<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1"}


class WireError(Exception):
    """A message broke the protocol (wrong framing, a size over a limit, an unknown type)."""


class Handle:
    """A reference to an object that lives on the other side of the channel."""

    __slots__ = ("id", "type")

    def __init__(self, id: int, type: str = "object") -> None:
        self.id, self.type = int(id), str(type)[:200]


class Callback:
    """A reference to a function that stays with the grader (the sandbox may call it back)."""

    __slots__ = ("id",)

    def __init__(self, id: int) -> None:
        self.id = int(id)


def encode(value: Any, to_ref: Any = None) -> tuple[bytes, list[bytes]]:
    """``value`` as (header bytes, buffers). ``to_ref(obj)`` turns anything else into a
    :class:`Handle` or :class:`Callback` (or raises TypeError)."""
    buffers: list[bytes] = []

    def enc(v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, np.integer)) and not isinstance(v, np.bool_):
            return int(v)
        if isinstance(v, (float, np.floating)):
            f = float(v)
            return f if math.isfinite(f) else {"$f": repr(f)}
        if isinstance(v, np.bool_):
            return bool(v)
        if isinstance(v, np.ndarray) and v.dtype.str in DTYPES:
            data = np.ascontiguousarray(v).tobytes()
            buffers.append(data)
            return {"$a": len(buffers) - 1, "dtype": v.dtype.str, "shape": list(v.shape)}
        if isinstance(v, Handle):
            return {"$h": v.id, "type": v.type}
        if isinstance(v, Callback):
            return {"$cb": v.id}
        if type(v) in (list, tuple, dict) and len(v) > MAX_ITEMS:
            raise WireError(f"a {type(v).__name__} of {len(v)} items is too long to send")
        if type(v) is list:
            return [enc(x, depth + 1) for x in v]
        if type(v) is tuple:
            return {"$t": [enc(x, depth + 1) for x in v]}
        if type(v) is dict and all(type(k) is str for k in v):
            return {"$d": [[k, enc(x, depth + 1)] for k, x in v.items()]}
        if to_ref is None:
            raise TypeError(f"cannot send a {type(v).__name__}")
        return enc(to_ref(v), depth + 1)

    body = enc(value, 0)
    header = json.dumps({"body": body, "buffers": [len(b) for b in buffers]}).encode()
    return header, buffers


def decode(header: bytes, buffers: list[bytes]) -> Any:
    """The value of a message; every array is a fresh writable copy. Raises WireError."""
    try:
        msg = json.loads(header)
    except (ValueError, RecursionError) as exc:
        raise WireError("the message is not valid JSON") from exc
    if not isinstance(msg, dict) or "body" not in msg:
        raise WireError("the message has no body")

    def dec(v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [dec(x, depth + 1) for x in v]
        if not isinstance(v, dict) or len(v) == 0:
            raise WireError("unknown value in message")
        if "$t" in v and isinstance(v["$t"], list):
            return tuple(dec(x, depth + 1) for x in v["$t"])
        if "$d" in v and isinstance(v["$d"], list):
            out = {}
            for pair in v["$d"]:
                if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                    raise WireError("bad dict entry in message")
                out[pair[0]] = dec(pair[1], depth + 1)
            return out
        if "$f" in v and v["$f"] in ("nan", "inf", "-inf"):
            return float(v["$f"])
        if "$a" in v:
            return _array(v, buffers)
        if "$h" in v and isinstance(v["$h"], int):
            return Handle(v["$h"], v.get("type") if isinstance(v.get("type"), str) else "object")
        if "$cb" in v and isinstance(v["$cb"], int):
            return Callback(v["$cb"])
        raise WireError("unknown value in message")

    return dec(msg["body"], 0)


def _array(v: dict, buffers: list[bytes]) -> np.ndarray:
    i, dtype, shape = v.get("$a"), v.get("dtype"), v.get("shape")
    if not (isinstance(i, int) and 0 <= i < len(buffers)) or dtype not in DTYPES:
        raise WireError("bad array in message")
    if not (isinstance(shape, list) and len(shape) <= 32):
        raise WireError("bad array shape in message")
    if not all(isinstance(s, int) and 0 <= s < (1 << 40) for s in shape):
        raise WireError("bad array shape in message")
    dt = np.dtype(dtype)
    if math.prod(shape) * dt.itemsize != len(buffers[i]):
        raise WireError("array size does not match its shape")
    return np.frombuffer(buffers[i], dtype=dt).reshape(shape).copy()


# --- framing over file descriptors -------------------------------------------------------------
def frame(header: bytes, buffers: list[bytes]) -> bytes:
    """One message as bytes on the wire."""
    return struct.pack(">Q", len(header)) + header + b"".join(buffers)


def send(fd: int, value: Any, to_ref: Any = None) -> None:
    """Encode ``value`` and write it to ``fd`` (blocking)."""
    header, buffers = encode(value, to_ref)
    data = memoryview(frame(header, buffers))
    while data:
        n = os.write(fd, data)
        data = data[n:]


def parse_lengths(header: bytes) -> list[int]:
    """The buffer sizes a header announces, checked against the limits."""
    try:
        sizes = json.loads(header).get("buffers", [])
    except (ValueError, AttributeError, RecursionError) as exc:
        raise WireError("the message is not valid JSON") from exc
    if not (isinstance(sizes, list) and all(isinstance(s, int) and s >= 0 for s in sizes)):
        raise WireError("bad buffer list in message")
    if sum(sizes) > MAX_BUFFERS:
        raise WireError(f"message carries more than {MAX_BUFFERS >> 20} MiB of arrays")
    return sizes


class Reader:
    """Reads whole messages from a file descriptor; ``read_exact`` is given by the caller so the
    trusted side can enforce its deadline on every read."""

    def __init__(self, read_exact: Any) -> None:
        self.read_exact = read_exact

    def message(self) -> Any:
        (n,) = struct.unpack(">Q", self.read_exact(8))
        if n > MAX_HEADER:
            raise WireError(f"message header of {n} bytes is over the limit")
        header = self.read_exact(n)
        buffers = [self.read_exact(s) for s in parse_lengths(header)]
        return decode(header, buffers)


def blocking_read_exact(fd: int):
    """A ``read_exact`` for a blocking descriptor (the sandbox side)."""

    def read_exact(n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError("the channel was closed")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    return read_exact
