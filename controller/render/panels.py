"""Turning rendered images into printer panels (and back, through `evolis_wire.panel_images`).

Orientation: panels are portrait, 648 wide × 1016 high. The landscape card is turned a quarter
turn clockwise (`Image.Transpose.ROTATE_270`): the card's top edge becomes the panel's right
edge, and the card's left edge the panel's top row (the panel starts at the card's bottom-left
corner and runs up its left edge, as Evolis' own library sends it).

Levels: a panel pixel holds an ink level from 0 (no ink) to `levels - 1` (full ink). The front's
y, m and c panels take the inks complementary to blue, green and red at the depth of the
printer's model (`evolis_wire.models`: 256 levels for the Primacy family, 128 for the
Zenius): a pixel with red value `r` gets cyan level `round((255 - r) × (levels - 1) / 255)`,
likewise m from green and y from blue. Black text is also printed in colour (a rich black
under the K panel). Pixels are packed as `evolis_wire.panels` describes.

Panels per card: the front is y, m, c, k (2 levels: the front's black text, set where its
coverage is at least half) and o (2 levels, every pixel set: overlay everywhere); the back, for a
model that prints one, is k (2 levels: pixels darker than mid-grey) and o, as libevolis sends a
face with black and no colour.
"""

from __future__ import annotations

from functools import cache

from PIL import Image, ImageChops

from evolis_wire.panel_images import side_picture
from evolis_wire.panels import (
    DEFAULT_COLOUR_LEVELS,
    PLANE_BYTES,
    CardPanels,
    PrintPanel,
    pack_levels,
)

from .card import CardImages

TO_PANEL = Image.Transpose.ROTATE_270


def to_panel(image: Image.Image) -> Image.Image:
    """Turn a landscape card image into panel orientation."""
    return image.transpose(TO_PANEL)


def ink_level(value: int, levels: int) -> int:
    """The ink level for a channel value (255 = no ink) at `levels` levels."""
    return round((255 - value) * (levels - 1) / 255)


@cache
def _level_table(levels: int) -> tuple[int, ...]:
    """Channel value → its ink level (for 2 levels: 255 where inked, for a "1" image)."""
    if levels == 2:
        return tuple(255 if ink_level(value, 2) else 0 for value in range(256))
    return tuple(ink_level(value, levels) for value in range(256))


def pack(channel: Image.Image, levels: int) -> bytes:
    """A panel-oriented L channel (255 = no ink) as a panel's bytes at `levels` levels."""
    if levels == 2:
        return channel.point(_level_table(2), "1").tobytes()
    return pack_levels(channel.point(_level_table(levels)).tobytes(), levels)


@cache
def _overlay() -> bytes:
    return b"\xff" * PLANE_BYTES


def encode_panels(
    images: CardImages, colour_levels: int = DEFAULT_COLOUR_LEVELS, *, duplex: bool = True
) -> CardPanels:
    """The printer panels for a rendered card, colour at `colour_levels`; the back only for a
    `duplex` printer (see the docstring)."""
    red, green, blue = to_panel(images.front).split()
    colour = tuple(
        PrintPanel(name, colour_levels, pack(channel, colour_levels))
        for name, channel in (("y", blue), ("m", green), ("c", red))
    )
    text = ImageChops.invert(to_panel(images.front_black))
    front_k = PrintPanel("k", 2, pack(text, 2))
    overlay = PrintPanel("o", 2, _overlay())
    if not duplex:
        return CardPanels(front=(*colour, front_k, overlay), back=())
    back_k = PrintPanel("k", 2, pack(to_panel(images.back), 2))
    return CardPanels(front=(*colour, front_k, overlay), back=(back_k, overlay))


def preview_front(panels: CardPanels) -> Image.Image:
    """The front as the panels would print it, landscape RGB (k over y, m, c; o not shown)."""
    return side_picture(panels.front)


def preview_back(panels: CardPanels) -> Image.Image:
    """The back as its k panel would print it, landscape L (blank if no back is printed)."""
    return side_picture(panels.back).convert("L")
