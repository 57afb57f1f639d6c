"""The panels of one card, as the printer receives them, and how their pixels are packed.

The renderer produces a `CardPanels`; a printer driver sends it. The front panels' bytes, in
order, identify the card: the virtual printer logs their SHA-256 so that two good cards for one
person can be found.

Size: a panel is 648 × 1016 pixels; at `levels` levels each pixel takes log2(levels) bits, so a
panel is `PLANE_BYTES` (648 × 1016 / 8 = 82,296) bytes per bit of depth, with no padding: 82,296
at 2 levels, 576,072 at 128, 658,368 at 256. (Evolis' programming guide A5013 states this
formula; its table of sizes, 84,624 bytes per bit, counts 676,992 pixels and is wrong. Evolis'
own library, libevolis, sends the formula's sizes.)

Packing: pixels run row-major from the panel's top-left, one after another, each
log2(levels) bits, most significant bit first: at 2 levels eight pixels to a byte (81 bytes a
row), at 128 levels 7 bits a pixel (567 bytes a row), at 256 levels one byte a pixel. A value
is the pixel's ink level, 0 = no ink.

Depth per printer model: the colour panels' (y, m, c) in the model table (`models.py`); k and
o always at 2.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

PANEL_WIDTH = 648
PANEL_HEIGHT = 1016
PANEL_PIXELS = PANEL_WIDTH * PANEL_HEIGHT
PANEL_NAMES = ("y", "m", "c", "k", "o")
BITS_PER_LEVELS = {2: 1, 32: 5, 64: 6, 128: 7, 256: 8}
PANEL_LEVELS = tuple(BITS_PER_LEVELS)
PLANE_BYTES = PANEL_PIXELS // 8

DEFAULT_COLOUR_LEVELS = 256


def panel_size(levels: int) -> int:
    """Bytes in one panel at `levels` levels: 82,296 per bit of depth."""
    return PLANE_BYTES * BITS_PER_LEVELS[levels]


_BITS = tuple(format(value, "08b") for value in range(256))


def pack_levels(levels_bytes: bytes, levels: int) -> bytes:
    """Pack one byte per pixel (each below `levels`) into the panel's bit packing."""
    bits = BITS_PER_LEVELS[levels]
    if bits == 8:
        return bytes(levels_bytes)
    table = tuple(text[8 - bits :] for text in _BITS)
    stream = "".join(table[value] for value in levels_bytes)
    return int(stream, 2).to_bytes(len(stream) // 8, "big")


def unpack_levels(data: bytes, levels: int) -> bytes:
    """One byte per pixel (its level) from a packed panel."""
    bits = BITS_PER_LEVELS[levels]
    if bits == 8:
        return bytes(data)
    stream = format(int.from_bytes(data, "big"), f"0{len(data) * 8}b")
    return bytes(int(stream[i : i + bits], 2) for i in range(0, len(stream), bits))


@dataclass(frozen=True)
class PrintPanel:
    name: str
    levels: int
    data: bytes

    def __post_init__(self) -> None:
        if self.name not in PANEL_NAMES:
            raise ValueError(f"unknown panel {self.name!r}")
        if self.levels not in PANEL_LEVELS:
            raise ValueError(f"unsupported panel depth {self.levels}")
        if len(self.data) != panel_size(self.levels):
            raise ValueError(
                f"panel {self.name} at {self.levels} levels must be {panel_size(self.levels)} "
                f"bytes, got {len(self.data)}"
            )


@dataclass(frozen=True)
class CardPanels:
    front: tuple[PrintPanel, ...]
    back: tuple[PrintPanel, ...]

    def front_sha256(self) -> str:
        digest = hashlib.sha256()
        for panel in self.front:
            digest.update(panel.data)
        return digest.hexdigest()
