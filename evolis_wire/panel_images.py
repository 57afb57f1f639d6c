"""Panels back into pictures: what a card printed from its panels looks like.

A panel (`panels.py`: portrait 648 × 1016, a pixel's value is its ink level) decodes to a
portrait L image of its levels. A side's picture is landscape, the panel turned a quarter turn
anticlockwise (the renderer turns the card the other way, controller/render/panels.py): y, m
and c take ink off blue, green and red; k prints black on top; o (overlay) is not drawn.
The virtual printer saves these pictures of the cards it prints; the renderer's previews are
the same pictures.
"""

from __future__ import annotations

from collections.abc import Iterable

from PIL import Image, ImageChops

from .panels import PANEL_HEIGHT, PANEL_WIDTH, PrintPanel, unpack_levels

PANEL_SIZE = (PANEL_WIDTH, PANEL_HEIGHT)
FROM_PANEL = Image.Transpose.ROTATE_90


def decode_levels(levels: int, data: bytes) -> Image.Image:
    """Panel bytes at `levels` levels as a portrait L image of ink levels."""
    if levels == 2:
        return Image.frombytes("1", PANEL_SIZE, data).convert("L").point(lambda value: value and 1)
    return Image.frombytes("L", PANEL_SIZE, unpack_levels(data, levels))


def decode_panel(panel: PrintPanel) -> Image.Image:
    """A panel as a portrait L image of its ink levels (0 … `panel.levels - 1`)."""
    return decode_levels(panel.levels, panel.data)


def coverage(panel: PrintPanel) -> Image.Image:
    """A panel as a portrait L image of ink coverage, 0 (none) to 255 (full)."""
    top = panel.levels - 1
    return decode_panel(panel).point(lambda level: round(level * 255 / top))


def side_picture(panels: Iterable[PrintPanel]) -> Image.Image:
    """One side of the card as its panels print it: RGB, landscape."""
    inked = {panel.name: coverage(panel) for panel in panels}
    blank = Image.new("L", PANEL_SIZE, 0)
    image = Image.merge("RGB", [ImageChops.invert(inked.get(name, blank)) for name in "cmy"])
    if "k" in inked:
        image.paste((0, 0, 0), (0, 0, *PANEL_SIZE), inked["k"])
    return image.transpose(FROM_PANEL)
