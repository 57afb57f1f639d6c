"""Photo and signature decoding: anything undecodable is a clear problem, never a crash."""

from __future__ import annotations

import base64

import pytest
from PIL import Image

from controller.render import RenderError, image_problems, render_card
from controller.render.front import SIGNATURE_BOX, background

from .samples import PHOTO_JPEG, SIGNATURE_PNG, encode, photo_image, sample_card


def test_the_sample_pictures_decode() -> None:
    assert image_problems(sample_card()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"photo_jpeg": None}, ("photo_jpeg", "is missing")),
        ({"photo_jpeg": 7}, ("photo_jpeg", "must be a base64 string")),
        ({"photo_jpeg": "not base64!"}, ("photo_jpeg", "is not valid base64")),
        ({"photo_jpeg": SIGNATURE_PNG}, ("photo_jpeg", "is not a JPEG image")),
        (
            {"photo_jpeg": base64.b64encode(b"hello").decode()},
            ("photo_jpeg", "is not a JPEG image"),
        ),
        ({"signature_png": PHOTO_JPEG}, ("signature_png", "is not a PNG image")),
        ({"signature_png": ""}, ("signature_png", "must be a base64 string")),
    ],
)
def test_undecodable_pictures_are_reported(changes: dict, expected: tuple[str, str]) -> None:
    assert image_problems(sample_card(**changes)) == [expected]


def _truncated(value: str) -> str:
    data = base64.b64decode(value)
    return base64.b64encode(data[: len(data) // 2]).decode()


@pytest.mark.parametrize(("name", "fmt"), [("photo_jpeg", "JPEG"), ("signature_png", "PNG")])
def test_truncated_pictures_are_damaged(name: str, fmt: str) -> None:
    card = sample_card(**{name: _truncated(sample_card()[name])})
    assert image_problems(card) == [(name, f"is damaged {fmt} data")]


def test_a_photo_of_huge_dimensions_is_refused_before_decoding() -> None:
    tall = encode(Image.new("RGB", (16, 2400), (200, 30, 30)), "JPEG", quality=50)
    assert image_problems(sample_card(photo_jpeg=tall)) == [
        ("photo_jpeg", "is larger than 2000 × 2000 pixels")
    ]


def test_a_photo_over_64_kib_is_refused() -> None:
    noisy = Image.effect_noise((600, 800), 120).convert("RGB")
    big = encode(noisy, "JPEG", quality=95)
    assert len(base64.b64decode(big)) > 64 * 1024
    assert image_problems(sample_card(photo_jpeg=big)) == [
        ("photo_jpeg", "is larger than 64 KiB decoded")
    ]


def test_rendering_with_a_bad_picture_raises() -> None:
    with pytest.raises(RenderError) as raised:
        render_card(sample_card(signature_png="%%%"))
    assert raised.value.problems == [("signature_png", "is not valid base64")]


def test_a_large_photo_is_scaled_down_to_its_box() -> None:
    big = encode(photo_image((1200, 1600)), "JPEG", quality=60)
    assert image_problems(sample_card(photo_jpeg=big)) == []
    render_card(sample_card(photo_jpeg=big))


def test_a_signature_on_white_paper_prints_only_its_strokes() -> None:
    paper = Image.new("RGB", (400, 160), (255, 255, 255))
    paper.paste((0, 0, 0), (40, 60, 360, 100))
    front = render_card(sample_card(signature_png=encode(paper, "PNG"))).front
    x, y, width, height = SIGNATURE_BOX
    corner = (x, y, x + 20, y + 20)
    assert front.crop(corner).tobytes() == background().crop(corner).tobytes()
    assert front.getpixel((x + width // 2, y + height // 2)) == (0, 0, 0)
