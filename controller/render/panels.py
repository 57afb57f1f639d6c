"""Turning rendered images into printer panels, and panels back into images.

Orientation: panels are portrait, 648 wide × 1016 high. The landscape card is turned a quarter
turn clockwise (`Image.Transpose.ROTATE_270`): the card's top edge becomes the panel's right
edge, and the card's left edge the panel's top row.

Levels: a panel pixel holds an ink level from 0 (no ink) to `levels - 1` (full ink). The front's
y, m and c panels take 32 levels of the inks complementary to blue, green and red: a pixel with
red value `r` gets cyan level `round((255 - r) × 31 / 255)`, likewise m from green and y from
blue. Black text is also printed in colour (a rich black under the K panel).

Bit-planes: a panel at `levels` levels is `BITS_PER_LEVELS[levels]` bit-planes, each
`BITPLANE_BYTES` bytes. Plane b (b = 0 first) holds bit b of every pixel's level, pixels in
row-major order from the panel's top-left, eight to a byte with the first pixel in the most
significant bit (648 pixels make 81 whole bytes a row, so rows need no padding). The
`BITPLANE_IMAGE_BYTES` of the image are followed by zero bytes up to `BITPLANE_BYTES`.

Panels per card: the front is y, m, c (32 levels), k (2 levels: the front's black text, set
where its coverage is at least half) and o (2 levels, every pixel set: overlay everywhere);
the back is a single k panel (2 levels: pixels darker than mid-grey).
"""

from __future__ import annotations

from functools import cache

from PIL import Image, ImageChops

from controller.render.card_panels import (
    BITPLANE_BYTES,
    BITPLANE_IMAGE_BYTES,
    BITS_PER_LEVELS,
    PANEL_HEIGHT,
    PANEL_WIDTH,
    CardPanels,
    PrintPanel,
)

from .card import CardImages

TO_PANEL = Image.Transpose.ROTATE_270
FROM_PANEL = Image.Transpose.ROTATE_90
COLOUR_LEVELS = 32
_PADDING = bytes(BITPLANE_BYTES - BITPLANE_IMAGE_BYTES)


def to_panel(image: Image.Image) -> Image.Image:
    """Turn a landscape card image into panel orientation."""
    return image.transpose(TO_PANEL)


def from_panel(image: Image.Image) -> Image.Image:
    """Turn a panel-oriented image back into a landscape card image."""
    return image.transpose(FROM_PANEL)


def ink_level(value: int, levels: int) -> int:
    """The ink level for a channel value (255 = no ink) at `levels` levels."""
    return round((255 - value) * (levels - 1) / 255)


@cache
def _plane_table(levels: int, bit: int) -> tuple[int, ...]:
    """Channel value → 255 where bit `bit` of its ink level is set, else 0."""
    return tuple(255 if ink_level(value, levels) >> bit & 1 else 0 for value in range(256))


def _pack(channel: Image.Image, levels: int) -> bytes:
    """Pack a panel-oriented L channel (255 = no ink) into bit-planes of ink levels."""
    planes = []
    for bit in range(BITS_PER_LEVELS[levels]):
        planes.append(channel.point(_plane_table(levels, bit), "1").tobytes())
        planes.append(_PADDING)
    return b"".join(planes)


@cache
def _overlay() -> bytes:
    return b"\xff" * BITPLANE_IMAGE_BYTES + _PADDING


def encode_panels(images: CardImages) -> CardPanels:
    """The printer panels for a rendered card (see the module docstring for the format)."""
    red, green, blue = to_panel(images.front).split()
    colour = tuple(
        PrintPanel(name, COLOUR_LEVELS, _pack(channel, COLOUR_LEVELS))
        for name, channel in (("y", blue), ("m", green), ("c", red))
    )
    text = ImageChops.invert(to_panel(images.front_black))
    front_k = PrintPanel("k", 2, _pack(text, 2))
    back_k = PrintPanel("k", 2, _pack(to_panel(images.back), 2))
    return CardPanels(front=(*colour, front_k, PrintPanel("o", 2, _overlay())), back=(back_k,))


def decode_panel(panel: PrintPanel) -> Image.Image:
    """A panel as a portrait L image of its ink levels (0 … `panel.levels - 1`)."""
    size = (PANEL_WIDTH, PANEL_HEIGHT)
    levels = Image.new("L", size, 0)
    for bit in range(BITS_PER_LEVELS[panel.levels]):
        start = bit * BITPLANE_BYTES
        plane = Image.frombytes("1", size, panel.data[start : start + BITPLANE_IMAGE_BYTES])
        weight = plane.convert("L").point(lambda value, b=bit: value and 1 << b)
        levels = ImageChops.add(levels, weight)
    return levels


def _ink_to_channel(levels_image: Image.Image, levels: int) -> Image.Image:
    """Ink levels back to a channel value, 255 = no ink."""
    return levels_image.point(lambda level: 255 - round(level * 255 / (levels - 1)))


def preview_front(panels: CardPanels) -> Image.Image:
    """The front as the panels would print it, landscape RGB (k over y, m, c; o not shown)."""
    by_name = {panel.name: panel for panel in panels.front}
    channels = [
        _ink_to_channel(decode_panel(by_name[name]), by_name[name].levels) for name in "cmy"
    ]
    image = Image.merge("RGB", channels)
    if "k" in by_name:
        ink = decode_panel(by_name["k"]).point(lambda level: level * 255)
        image.paste((0, 0, 0), (0, 0, *image.size), ink)
    return from_panel(image)


def preview_back(panels: CardPanels) -> Image.Image:
    """The back as its k panel would print it, landscape L."""
    k = next(panel for panel in panels.back if panel.name == "k")
    return from_panel(_ink_to_channel(decode_panel(k), k.levels))
