"""The panels of one card, as the printer receives them.

The renderer produces a `CardPanels`; a printer driver sends it. The front panels' bytes, in
order, identify the card: the virtual printer logs their SHA-256 so that two good cards for one
person can be found.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

PANEL_WIDTH = 648
PANEL_HEIGHT = 1016
PANEL_NAMES = ("y", "m", "c", "k", "o")
PANEL_LEVELS = (2, 32, 64, 128)


# Evolis guide A5013 gives a panel at 2 levels as 84,624 bytes and deeper panels as that many
# bytes per bit (423,120 at 32 levels). The image itself needs 648 × 1016 / 8 = 82,296 bytes per
# bit-plane; each plane is padded with zero bytes to the guide's size.
BITPLANE_BYTES = 84_624
BITPLANE_IMAGE_BYTES = PANEL_WIDTH * PANEL_HEIGHT // 8
BITS_PER_LEVELS = {2: 1, 32: 5, 64: 6, 128: 7}


def panel_size(levels: int) -> int:
    """Bytes in one panel at `levels` grey levels, as the Evolis guide gives them."""
    return BITPLANE_BYTES * BITS_PER_LEVELS[levels]


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
