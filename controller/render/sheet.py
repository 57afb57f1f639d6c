"""A side of the card as positioned lines of text, checked to fit before anything is drawn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from PIL import ImageDraw, ImageFont

from .errors import Problem
from .text import text_width, undrawable, wrap

Align = Literal["left", "centre"]


@dataclass(frozen=True)
class Line:
    """One line of text; `y` is its baseline, `x` its left end or, centred, its middle."""

    x: int
    y: int
    text: str
    font: ImageFont.FreeTypeFont
    align: Align = "left"


@dataclass
class Sheet:
    """Lines laid out for one side, and the fields whose values did not fit."""

    lines: list[Line] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def label(
        self, text: str, font: ImageFont.FreeTypeFont, x: int, y: int, align: Align = "left"
    ) -> None:
        """Place fixed text of the layout itself (a label, a colon, a title)."""
        self.lines.append(Line(x, y, text, font, align))

    def text(
        self,
        name: str,
        text: str,
        font: ImageFont.FreeTypeFont,
        box: tuple[int, int, int],
        *,
        max_lines: int = 1,
        pitch: int = 0,
        align: Align = "left",
    ) -> int:
        """Place field `name`'s value in `box` = (left, first baseline, width); return lines used.

        A value that needs more than `max_lines` lines of `pitch` pixels, has a word wider than
        the box, or has a character the font lacks is recorded in `problems` instead.
        """
        x, y, width = box
        if undrawable(text, font):
            self.problems.append((name, "has a character the card font cannot print"))
            return 1
        lines = wrap(text, font, width) if max_lines > 1 else [text]
        if lines is None:
            self.problems.append((name, f"has a word wider than its {width} px box"))
            return 1
        if max_lines == 1 and text_width(text, font) > width:
            self.problems.append((name, f"is wider than its {width} px box"))
            return 1
        if len(lines) > max_lines:
            self.problems.append(
                (
                    name,
                    f"needs {len(lines)} lines in its {width} px box, the card holds {max_lines}",
                )
            )
            return max_lines
        left = x + width // 2 if align == "centre" else x
        for index, line in enumerate(lines):
            self.lines.append(Line(left, y + index * pitch, line, font, align))
        return max(1, len(lines))

    def draw(self, draw: ImageDraw.ImageDraw, fill: int | tuple[int, ...]) -> None:
        """Draw every line onto `draw`'s image in `fill`."""
        for line in self.lines:
            anchor = "ms" if line.align == "centre" else "ls"
            draw.text((line.x, line.y), line.text, font=line.font, fill=fill, anchor=anchor)
