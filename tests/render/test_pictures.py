"""Photo and signature decoding: anything undecodable is a clear problem, never a crash.

The pictures come as the files' bytes: base64 and the size limits are the job's validation's
(tests/queue/test_jobspec.py).
"""

from __future__ import annotations

import random

import pytest
from PIL import Image

from controller.render import RenderError, image_problems, pictures, render_card
from controller.render.front import PHOTO_BOX, SIGNATURE_BOX, background

from .samples import PHOTO_JPEG, PICTURES, SIGNATURE_PNG, encode, photo_image, sample_card


def test_the_sample_pictures_decode() -> None:
    assert image_problems(*PICTURES) == []


@pytest.mark.parametrize(
    ("photo", "signature", "expected"),
    [
        (SIGNATURE_PNG, SIGNATURE_PNG, ("photo_jpeg", "is not a JPEG image")),
        (b"hello", SIGNATURE_PNG, ("photo_jpeg", "is not a JPEG image")),
        (PHOTO_JPEG, PHOTO_JPEG, ("signature_png", "is not a PNG image")),
    ],
)
def test_undecodable_pictures_are_reported(
    photo: bytes, signature: bytes, expected: tuple[str, str]
) -> None:
    assert image_problems(photo, signature) == [expected]


def _halved(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("photo", "signature", "expected"),
    [
        (_halved(PHOTO_JPEG), SIGNATURE_PNG, ("photo_jpeg", "is damaged JPEG data")),
        (PHOTO_JPEG, _halved(SIGNATURE_PNG), ("signature_png", "is damaged PNG data")),
    ],
)
def test_truncated_pictures_are_damaged(
    photo: bytes, signature: bytes, expected: tuple[str, str]
) -> None:
    assert image_problems(photo, signature) == [expected]


def test_a_photo_of_huge_dimensions_is_refused_before_decoding() -> None:
    tall = encode(Image.new("RGB", (16, 2400), (200, 30, 30)), "JPEG", quality=50)
    assert image_problems(tall, SIGNATURE_PNG) == [
        ("photo_jpeg", "is larger than 2000 × 2000 pixels")
    ]


def test_rendering_with_a_bad_picture_raises() -> None:
    with pytest.raises(RenderError) as raised:
        render_card(sample_card(), PHOTO_JPEG, b"%%%")
    assert raised.value.problems == [("signature_png", "is not a PNG image")]


def test_a_large_photo_is_scaled_down_to_its_box() -> None:
    big = encode(photo_image((1200, 1600)), "JPEG", quality=60)
    assert image_problems(big, SIGNATURE_PNG) == []
    render_card(sample_card(), big, SIGNATURE_PNG)


def test_a_signature_on_white_paper_prints_only_its_strokes() -> None:
    paper = Image.new("RGB", (400, 160), (255, 255, 255))
    paper.paste((0, 0, 0), (40, 60, 360, 100))
    front = render_card(sample_card(), PHOTO_JPEG, encode(paper, "PNG")).front
    x, y, width, height = SIGNATURE_BOX
    corner = (x, y, x + 20, y + 20)
    assert front.crop(corner).tobytes() == background().crop(corner).tobytes()
    assert front.getpixel((x + width // 2, y + height // 2)) == (0, 0, 0)


def _damaged_photos(count: int) -> list[bytes]:
    """The sample photo with a few bytes overwritten (its end marker kept), seeded."""
    rng = random.Random(20261207)
    photos = []
    for _ in range(count):
        data = bytearray(PHOTO_JPEG)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data) - 2)] = rng.randrange(256)
        photos.append(bytes(data))
    return photos


def test_the_intake_check_refuses_what_rendering_would() -> None:
    """The intake decodes the photo at the smallest scale (a JPEG at 1/8, for speed): every
    photo it accepts must decode at the size the card prints it, and every one it refuses
    must not."""
    refused = 0
    for photo in _damaged_photos(400):
        at_intake = image_problems(photo, SIGNATURE_PNG)
        try:
            pictures.decode(photo, pictures.PHOTO, (PHOTO_BOX[2], PHOTO_BOX[3]))
            for_the_card = []
        except RenderError as error:
            for_the_card = error.problems
        assert at_intake == for_the_card
        refused += bool(at_intake)
    assert refused >= 20  # the damage reaches the decoder, not only the header
