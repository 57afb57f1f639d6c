"""The fonts shipped inside the package (DejaVu Sans, see fonts/LICENSE.txt).

Fonts are loaded with Pillow's basic layout engine, never Raqm, so that text is laid out the
same on every host whether or not libraqm is installed: the output is byte-identical.
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from pathlib import Path

from PIL import ImageFont

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"


@cache
def _font_bytes(name: str) -> bytes:
    return (resources.files(__package__) / "fonts" / name).read_bytes()


@cache
def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (or Sans Bold) at `size` pixels."""
    name = BOLD if bold else REGULAR
    where = resources.files(__package__) / "fonts" / name
    # From the file where there is one: FreeType then reads only the tables it needs, where a
    # font made from bytes keeps its own copy of the whole file (7 fonts, 5 MB resident).
    source = str(where) if isinstance(where, Path) else io.BytesIO(_font_bytes(name))
    return ImageFont.truetype(source, size, layout_engine=ImageFont.Layout.BASIC)
