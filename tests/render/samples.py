"""A sample card for rendering tests, with a photo and a signature drawn by Pillow."""

from __future__ import annotations

import io
import math
from typing import Any

from PIL import Image, ImageDraw

from testkit.jobs import CONTRACT_CARD_TEXT

WORDS = ("MUHAMMAD", "ABDURRAHMAN", "WAHYUDI", "SAPUTRA", "KUSUMANEGARA", "PRAWIRO", "SETIABUDI")


def typical_text(length: int) -> str:
    """Upper-case words of ordinary widths, exactly `length` characters, no trailing space."""
    text = " ".join(WORDS * 10)[:length]
    return text[:-1] + "A" if text.endswith(" ") else text


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    """`image` saved as `fmt`: the file's bytes, as a job's validation hands them on."""
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def photo_image(size: tuple[int, int] = (300, 400)) -> Image.Image:
    """A passport-style portrait on red: hair, face, neck and a dark jacket with a collar."""
    width, height = size
    image = Image.new("RGB", size, (190, 30, 36))
    draw = ImageDraw.Draw(image)

    def box(left: float, top: float, right: float, bottom: float) -> list[float]:
        return [left * width, top * height, right * width, bottom * height]

    draw.pieslice(box(0.12, 0.72, 0.88, 1.3), 180, 360, fill=(28, 36, 70))
    draw.polygon(
        [
            (0.42 * width, 0.74 * height),
            (0.5 * width, 0.86 * height),
            (0.58 * width, 0.74 * height),
        ],
        fill=(240, 240, 240),
    )
    draw.rectangle(box(0.43, 0.55, 0.57, 0.75), fill=(214, 170, 138))
    draw.ellipse(box(0.3, 0.16, 0.7, 0.62), fill=(226, 184, 150))
    draw.chord(box(0.28, 0.1, 0.72, 0.42), 180, 360, fill=(34, 26, 24))
    for eye in (0.41, 0.59):
        draw.ellipse(box(eye - 0.025, 0.37, eye + 0.025, 0.4), fill=(40, 30, 28))
    draw.arc(box(0.42, 0.44, 0.58, 0.53), 20, 160, fill=(150, 80, 70), width=3)
    return image


def signature_image() -> Image.Image:
    """A looping signature stroke and an underline on a transparent background."""
    image = Image.new("RGBA", (400, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    stroke = []
    for step in range(241):
        t = step / 240
        x = 30 + 300 * t + 22 * math.sin(7 * math.pi * t)
        y = 82 - 42 * math.cos(7 * math.pi * t) * (1 - 0.5 * t)
        stroke.append((x, y))
    draw.line(stroke, fill=(0, 0, 0, 255), width=5, joint="curve")
    draw.line([(60, 134), (370, 118)], fill=(0, 0, 0, 255), width=4)
    return image


PHOTO_JPEG = encode(photo_image(), "JPEG", quality=88)
SIGNATURE_PNG = encode(signature_image(), "PNG")
PICTURES = (PHOTO_JPEG, SIGNATURE_PNG)  # render_card(sample_card(), *PICTURES)


def sample_card(**changes: Any) -> dict[str, Any]:
    """The contract's example card's text fields, with `changes` applied."""
    return {**CONTRACT_CARD_TEXT, **changes}
