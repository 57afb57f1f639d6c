"""Panel encoding: sizes, bit-plane packing, orientation, and decoding back."""

from __future__ import annotations

import pytest
from PIL import Image

from controller.render import (
    CardImages,
    decode_panel,
    encode_panels,
    preview_back,
    preview_front,
    render_card,
)
from controller.render.card_panels import (
    BITPLANE_BYTES,
    BITPLANE_IMAGE_BYTES,
    PANEL_HEIGHT,
    PANEL_WIDTH,
    panel_size,
)
from controller.render.panels import ink_level, to_panel

from .samples import sample_card

SIZE = (1016, 648)


def _images(front: Image.Image, black: Image.Image | None = None) -> CardImages:
    return CardImages(
        front=front,
        front_black=black or Image.new("L", SIZE, 0),
        back=Image.new("L", SIZE, 255),
    )


def _gradient() -> Image.Image:
    """Every red, green and blue value somewhere in the image."""
    red = Image.linear_gradient("L").resize(SIZE)
    green = red.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    blue = Image.radial_gradient("L").resize(SIZE)
    return Image.merge("RGB", (red, green, blue))


def test_panels_are_named_sized_and_deep_as_the_printer_expects() -> None:
    panels = encode_panels(render_card(sample_card()))
    assert [(p.name, p.levels) for p in panels.front] == [
        ("y", 32),
        ("m", 32),
        ("c", 32),
        ("k", 2),
        ("o", 2),
    ]
    assert [(p.name, p.levels) for p in panels.back] == [("k", 2)]
    for panel in (*panels.front, *panels.back):
        assert len(panel.data) == panel_size(panel.levels)


def test_ink_levels_span_none_to_full() -> None:
    assert [ink_level(v, 32) for v in (255, 0, 128)] == [0, 31, 15]


@pytest.mark.parametrize(("name", "channel"), [("y", 2), ("m", 1), ("c", 0)])
def test_decoding_a_colour_panel_gives_back_the_quantised_channel(name: str, channel: int) -> None:
    image = _gradient()
    panel = next(p for p in encode_panels(_images(image)).front if p.name == name)
    expected = to_panel(image.getchannel(channel)).point(lambda v: ink_level(v, 32))
    assert decode_panel(panel).tobytes() == expected.tobytes()


def test_one_pixel_lands_in_the_documented_bit_of_each_plane() -> None:
    image = Image.new("RGB", SIZE, (255, 255, 255))
    # Card pixel (0, 10) turns to panel column 647 - 10 = 637, row 0: byte 79, bit 2 from the top.
    image.putpixel((0, 10), (74, 255, 255))
    level = ink_level(74, 32)
    assert level == 0b10110
    cyan = next(p for p in encode_panels(_images(image)).front if p.name == "c")
    for bit in range(5):
        plane = cyan.data[bit * BITPLANE_BYTES : (bit + 1) * BITPLANE_BYTES]
        expected = bytearray(BITPLANE_BYTES)
        if level >> bit & 1:
            expected[79] = 0b00000100
        assert plane == bytes(expected), bit


def test_the_card_top_left_is_the_panel_top_right() -> None:
    image = Image.new("RGB", SIZE, (255, 255, 255))
    image.paste((0, 0, 0), (0, 0, 40, 20))
    cyan = decode_panel(next(p for p in encode_panels(_images(image)).front if p.name == "c"))
    assert cyan.size == (PANEL_WIDTH, PANEL_HEIGHT)
    assert cyan.getbbox() == (PANEL_WIDTH - 20, 0, PANEL_WIDTH, 40)


def test_k_takes_black_text_at_half_coverage_or_more() -> None:
    black = Image.new("L", SIZE, 0)
    black.paste(128, (100, 100, 200, 150))
    black.paste(127, (300, 100, 400, 150))
    k = next(p for p in encode_panels(_images(_gradient(), black)).front if p.name == "k")
    assert from_card_box(decode_panel(k)) == (100, 100, 200, 150)


def from_card_box(panel_image: Image.Image) -> tuple[int, int, int, int] | None:
    """The bounding box of a panel image's set pixels, in card (landscape) coordinates."""
    return panel_image.transpose(Image.Transpose.ROTATE_90).getbbox()


def test_overlay_covers_the_whole_card_and_padding_stays_zero() -> None:
    overlay = encode_panels(render_card(sample_card())).front[-1]
    assert overlay.name == "o"
    assert overlay.data == b"\xff" * BITPLANE_IMAGE_BYTES + bytes(
        BITPLANE_BYTES - BITPLANE_IMAGE_BYTES
    )


def test_every_plane_is_padded_with_zeros() -> None:
    panels = encode_panels(render_card(sample_card()))
    for panel in (*panels.front, *panels.back):
        for start in range(BITPLANE_IMAGE_BYTES, len(panel.data), BITPLANE_BYTES):
            assert not any(panel.data[start : start + BITPLANE_BYTES - BITPLANE_IMAGE_BYTES])


def test_the_back_is_its_black_text() -> None:
    images = render_card(sample_card())
    (k,) = encode_panels(images).back
    assert from_card_box(decode_panel(k)) == images.back.point(lambda v: 255 * (v < 128)).getbbox()


def test_previews_show_what_the_panels_print() -> None:
    images = render_card(sample_card())
    panels = encode_panels(images)
    front, back = preview_front(panels), preview_back(panels)
    assert (front.mode, front.size, back.mode, back.size) == ("RGB", SIZE, "L", SIZE)
    assert back.tobytes() == images.back.point(lambda v: 0 if v < 128 else 255).tobytes()
    x, y = 900, 250  # inside the photo: colour survives quantising to within one level
    assert all(
        abs(a - b) <= 5
        for a, b in zip(front.getpixel((x, y)), images.front.getpixel((x, y)), strict=True)
    )
    assert front.getpixel((30, 130)) == images.front.getpixel((30, 130)) == (0, 0, 0)
