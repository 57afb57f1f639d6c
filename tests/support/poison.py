"""Poison inputs the station once failed on: images whose header claims a huge size, pictures cut
short, `not_after` times at the ends of the representable range."""

from __future__ import annotations

import base64
import io
import struct
import zlib

from PIL import Image

from testkit.jobs import PHOTO_B64, SIGNATURE_B64

# Offsets that push a time past year 1 or year 9999 once converted to UTC.
RANGE_END_TIMES = ("0001-01-01T00:00:00+07:00", "9999-12-31T23:00:00-05:00")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 20_000) -> str:
    """A 57-byte PNG whose IHDR claims side × side pixels (20 000² > Pillow's bomb limit)."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    image = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IEND", b"")
    return base64.b64encode(image).decode()


def bomb_jpeg(side: int = 60_000) -> str:
    """A small JPEG whose SOF0 header is rewritten to claim side × side pixels."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", side, side)
    return base64.b64encode(bytes(data)).decode()


def cut(value: str, keep: int) -> str:
    """A base64 picture without its last bytes, `keep` < 0."""
    return base64.b64encode(base64.b64decode(value)[:keep]).decode()


TRUNCATED_PICTURES = {
    "photo_jpeg": (cut(PHOTO_B64, -2), cut(PHOTO_B64, -200)),
    "signature_png": (cut(SIGNATURE_B64, -12), cut(SIGNATURE_B64, -1)),
}
