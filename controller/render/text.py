"""Measuring and wrapping text with the real font, and finding characters it cannot draw."""

from __future__ import annotations

import math
from functools import cache, lru_cache

from PIL import Image, ImageDraw, ImageFont

# A private-use code point no font defines: drawing it draws the font's "missing glyph" box.
_MISSING = "\U0010fffd"


@lru_cache(maxsize=4096)
def text_width(text: str, font: ImageFont.FreeTypeFont) -> int:
    """Pixels from the pen's start to the right end of the text, ink overhang included.

    Remembered: a kiosk's jobs repeat most values (province, regency, district, religion,
    occupation, common words of names and streets), and measuring is most of what checking a
    job costs at intake (bench/intake.py).
    """
    left, _, right, _ = font.getbbox(text, anchor="ls")
    return math.ceil(max(font.getlength(text), right)) - min(0, left)


def _glyph(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    size = font.size * 3
    image = Image.new("L", (size, size))
    ImageDraw.Draw(image).text((font.size, font.size), char, font=font, fill=255)
    return image.tobytes()


@cache
def _missing_box(font: ImageFont.FreeTypeFont) -> bytes:
    return _glyph(font, _MISSING)


@lru_cache(maxsize=8192)
def _missing(font: ImageFont.FreeTypeFont, char: str) -> bool:
    """Whether `font` draws `char` as its missing-glyph box (remembered: a kiosk's jobs are
    written in a few dozen characters; bounded: a hostile job may bring thousands)."""
    return _glyph(font, char) == _missing_box(font)


def undrawable(text: str, font: ImageFont.FreeTypeFont) -> bool:
    """Whether `text` has a character that `font` would draw as its missing-glyph box."""
    return any(_missing(font, char) for char in set(text) if char != " ")


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str] | None:
    """Split `text` at spaces into the fewest lines no wider than `width`, greedily.

    Runs of spaces between words become one space. Returns None when a single word is wider
    than `width`, since breaking inside a word would misspell a name.
    """
    lines: list[str] = []
    for word in text.split():
        if text_width(word, font) > width:
            return None
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(candidate, font) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines
