"""Turning the panels a card was printed with back into pictures (the `save_cards` option).

Panel format (evolis_wire/panels.py): portrait 648 × 1016, pixels packed at
log2(levels) bits each, most significant bit first, a value is an ink level. y, m, c take ink
off blue, green, red; k prints black on top; o (overlay) is not drawn.
The saved picture is landscape (the panel turned a quarter turn anticlockwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageChops

from controller.render.panels import decode_levels
from evolis_wire.panels import PANEL_HEIGHT, PANEL_WIDTH

SIZE = (PANEL_WIDTH, PANEL_HEIGHT)
SidePanels = Sequence[tuple[str, int, bytes]]


def ink(levels: int, data: bytes) -> Image.Image:
    """A panel as an L image of ink coverage, 0 (none) to 255 (full)."""
    top = levels - 1
    return decode_levels(levels, data).point(lambda level: round(level * 255 / top))


def picture(panels: SidePanels) -> Image.Image:
    """One side of the card as RGB, landscape."""
    coverage = {name: ink(levels, data) for name, levels, data in panels}
    blank = Image.new("L", SIZE, 0)
    channels = [ImageChops.invert(coverage.get(name, blank)) for name in "cmy"]
    image = Image.merge("RGB", channels)
    if "k" in coverage:
        image.paste((0, 0, 0), (0, 0, *SIZE), coverage["k"])
    return image.transpose(Image.Transpose.ROTATE_90)


def expire_pictures(directory: Path, keep_s: float, now: float) -> list[Path]:
    """Delete the saved card pictures older than `keep_s` (at wall time `now`): pictures of
    training cards carry a person's face and data as well. Returns what was deleted."""
    expired = []
    for path in sorted(directory.glob("*.png")) if directory.is_dir() else []:
        try:
            if path.stat().st_mtime < now - keep_s:
                path.unlink()
                expired.append(path)
        except FileNotFoundError:
            continue
    return expired


def save_card(directory: Path, counter: int, front: SidePanels, back: SidePanels) -> list[Path]:
    """Save `{counter:06d}-front.png` (and `-back.png` when the back has panels)."""
    directory.mkdir(parents=True, exist_ok=True)
    saved = []
    for side, panels in (("front", front), ("back", back)):
        if panels:
            path = directory / f"{counter:06d}-{side}.png"
            picture(panels).save(path)
            saved.append(path)
    return saved
