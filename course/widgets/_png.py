"""A minimal PNG encoder for the explorers' frames: 8-bit RGB, no row filter, zlib level 1.

Why not Pillow: its encoder tries a filter per row, which costs about twice as long as this on
a plot of flat colours, for no smaller a file. Format: signature, IHDR, one IDAT, IEND; each chunk
is length, type, data, CRC-32 of type + data (PNG spec, sections 5 and 11).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(rgb: np.ndarray, level: int = 1) -> bytes:
    """PNG bytes of an (H, W, 3) or (H, W, 4) uint8 image (an alpha channel is dropped).

    Each row is stored as filter byte 0 ("None") followed by its R, G, B bytes."""
    if rgb.ndim != 3 or rgb.shape[2] not in (3, 4) or rgb.dtype != np.uint8:
        raise ValueError(
            f"encode_png expected an (H, W, 3 or 4) uint8 array; got {rgb.shape} {rgb.dtype}"
        )
    h, w = rgb.shape[:2]
    rows = np.empty((h, 1 + 3 * w), np.uint8)
    rows[:, 0] = 0
    rows[:, 1:].reshape(h, w, 3)[...] = rgb[..., :3]
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8 bits, colour type 2 (RGB)
    return (_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.data, level)) + _chunk(b"IEND", b""))  # fmt: skip
