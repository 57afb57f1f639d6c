"""Panel encoding: sizes and depths per printer model, pixel packing, orientation, decoding."""

from __future__ import annotations

import pytest
from PIL import Image

from controller.render import (
    CardImages,
    encode_panels,
    preview_back,
    preview_front,
    render_card,
)
from controller.render.panels import ink_level, to_panel
from evolis_wire.models import model_named
from evolis_wire.panel_images import decode_panel
from evolis_wire.panels import (
    PANEL_HEIGHT,
    PANEL_WIDTH,
    PLANE_BYTES,
    panel_size,
)

from .samples import PICTURES, sample_card

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


@pytest.mark.parametrize(
    ("name", "levels", "colour_bytes", "back"),
    [
        ("Evolis Primacy", 256, 658_368, [("k", 2, 82_296), ("o", 2, 82_296)]),
        ("Primacy 2", 256, 658_368, [("k", 2, 82_296), ("o", 2, 82_296)]),
        ("Evolis Zenius", 128, 576_072, []),  # one face only
    ],
)
def test_panels_are_sized_and_deep_as_the_model_takes_them(
    name: str, levels: int, colour_bytes: int, back: list[tuple[str, int, int]]
) -> None:
    model = model_named(name)
    assert model.colour_levels == levels
    images = render_card(sample_card(), *PICTURES)
    panels = encode_panels(images, model.colour_levels, duplex=model.duplex)
    assert [(p.name, p.levels, len(p.data)) for p in panels.front] == [
        ("y", levels, colour_bytes),
        ("m", levels, colour_bytes),
        ("c", levels, colour_bytes),
        ("k", 2, 82_296),
        ("o", 2, 82_296),
    ]
    assert [(p.name, p.levels, len(p.data)) for p in panels.back] == back


def test_a_panel_is_82296_bytes_per_bit_of_depth() -> None:
    assert PLANE_BYTES == PANEL_WIDTH * PANEL_HEIGHT // 8 == 82_296
    assert [panel_size(levels) for levels in (2, 128, 256)] == [82_296, 576_072, 658_368]


def test_ink_levels_span_none_to_full() -> None:
    assert [ink_level(v, 256) for v in (255, 0, 128)] == [0, 255, 127]
    assert [ink_level(v, 128) for v in (255, 0, 128)] == [0, 127, 63]


@pytest.mark.parametrize("levels", [256, 128])
@pytest.mark.parametrize(("name", "channel"), [("y", 2), ("m", 1), ("c", 0)])
def test_decoding_a_colour_panel_gives_back_the_quantised_channel(
    name: str, channel: int, levels: int
) -> None:
    image = _gradient()
    panel = next(p for p in encode_panels(_images(image), levels).front if p.name == name)
    expected = to_panel(image.getchannel(channel)).point(lambda v: ink_level(v, levels))
    assert decode_panel(panel).tobytes() == expected.tobytes()


def _one_pixel_cyan(levels: int) -> bytes:
    image = Image.new("RGB", SIZE, (255, 255, 255))
    # Card pixel (0, 10) turns to panel row 0, column 647 - 10 = 637.
    image.putpixel((0, 10), (74, 255, 255))
    return next(p for p in encode_panels(_images(image), levels).front if p.name == "c").data


def test_at_256_levels_a_pixel_is_one_byte() -> None:
    expected = bytearray(658_368)
    expected[637] = ink_level(74, 256)
    assert expected[637] == 181
    assert _one_pixel_cyan(256) == bytes(expected)


def test_at_128_levels_pixels_are_packed_7_bits_most_significant_first() -> None:
    level = ink_level(74, 128)
    assert level == 0b1011010
    # Pixel 637 starts at bit 637 × 7 = 4459 = byte 557, bit 3 from the top.
    expected = bytearray(576_072)
    expected[557], expected[558] = 0b00010110, 0b10000000
    assert _one_pixel_cyan(128) == bytes(expected)


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


def test_overlay_covers_the_whole_card() -> None:
    overlay = encode_panels(render_card(sample_card(), *PICTURES)).front[-1]
    assert (overlay.name, overlay.data) == ("o", b"\xff" * 82_296)


def test_the_back_is_its_black_text() -> None:
    images = render_card(sample_card(), *PICTURES)
    k, overlay = encode_panels(images).back
    assert (overlay.name, overlay.data) == ("o", b"\xff" * 82_296)
    assert from_card_box(decode_panel(k)) == images.back.point(lambda v: 255 * (v < 128)).getbbox()


def test_previews_show_what_the_panels_print() -> None:
    images = render_card(sample_card(), *PICTURES)
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
