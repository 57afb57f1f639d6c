"""The layout keeps every line on the card, clear of the photo, whatever fits the fields."""

from __future__ import annotations

from typing import Any

from PIL import Image

from controller.render import FIELD_MAX_CHARS, render_card
from controller.render.front import HEIGHT, PHOTO_BOX, SIGNATURE_BOX, WIDTH, background

from .samples import PICTURES, SIGNATURE_PNG, encode, sample_card, typical_text

EDGE = 12
MULTI_LINE = ("name", "birth_place", "address", "issued_place")


def _largest_card() -> dict[str, Any]:
    return sample_card(**{name: typical_text(FIELD_MAX_CHARS[name]) for name in MULTI_LINE})


def _ink_inside(mask: Image.Image, box: tuple[int, int, int, int]) -> bool:
    return mask.crop(box).getbbox() is not None


def test_longest_fields_leave_the_margins_blank() -> None:
    black = render_card(_largest_card(), *PICTURES).front_black
    assert black.getbbox() is not None
    edges = (
        (0, 0, WIDTH, EDGE),
        (0, HEIGHT - EDGE, WIDTH, HEIGHT),
        (0, 0, EDGE, HEIGHT),
        (WIDTH - EDGE, 0, WIDTH, HEIGHT),
    )
    for box in edges:
        assert not _ink_inside(black, box), box


def test_text_stays_out_of_the_photo_and_signature_boxes() -> None:
    black = render_card(_largest_card(), *PICTURES).front_black
    for x, y, width, height in (PHOTO_BOX, SIGNATURE_BOX):
        assert not _ink_inside(black, (x, y, x + width, y + height))


def test_a_long_name_moves_the_rows_below_it_down() -> None:
    short = render_card(sample_card(), *PICTURES).front_black.getbbox()
    long_name = sample_card(name=typical_text(FIELD_MAX_CHARS["name"]))
    long = render_card(long_name, *PICTURES).front_black
    assert short is not None
    assert long.getbbox()[3] == short[3] + 30


def test_a_wide_photo_keeps_its_aspect_ratio_centred_in_its_box() -> None:
    green = Image.new("RGB", (400, 200), (0, 160, 0))
    front = render_card(sample_card(), encode(green, "JPEG", quality=95), SIGNATURE_PNG).front
    x, y, width, height = PHOTO_BOX
    scaled_height = width * 200 // 400
    top = y + (height - scaled_height) // 2
    above = (x, y, x + width, top)
    assert front.crop(above).tobytes() == background().crop(above).tobytes()
    below = (x, top + scaled_height, x + width, y + height)
    assert front.crop(below).tobytes() == background().crop(below).tobytes()
    for column in (x + 2, x + width // 2, x + width - 3):
        red, grn, blue = front.getpixel((column, top + scaled_height // 2))
        assert grn > 120 and red < 40 and blue < 40
