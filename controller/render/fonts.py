"""The fonts shipped inside the package (DejaVu Sans, see fonts/LICENSE.txt).

Fonts are loaded with Pillow's basic layout engine, never Raqm, so that text is laid out the
same on every host whether or not libraqm is installed: the output is byte-identical.
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources

from PIL import ImageFont

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"


@cache
def _font_bytes(name: str) -> bytes:
    return (resources.files(__package__) / "fonts" / name).read_bytes()


@cache
def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (or Sans Bold) at `size` pixels."""
    data = io.BytesIO(_font_bytes(BOLD if bold else REGULAR))
    return ImageFont.truetype(data, size, layout_engine=ImageFont.Layout.BASIC)
