"""The sample card renders exactly as the committed golden images.

After an intended change to the layout (or a Pillow upgrade that changes text rasterising),
regenerate the golden images, and the README pictures drawn from the same card, with:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/render/test_golden.py

and look at the new PNGs before committing them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from controller.render import render_card

from .samples import PICTURES, sample_card

GOLDEN = Path(__file__).parent / "golden"
DOCS = Path(__file__).parents[2] / "docs" / "images"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _differing_pixels(expected: Image.Image, actual: Image.Image) -> int:
    difference = ImageChops.difference(expected, actual).convert("L")
    return sum(count for value, count in enumerate(difference.histogram()) if value)


@pytest.mark.parametrize("side", ["front", "back"])
def test_sample_card_matches_golden_image(side: str, tmp_path: Path) -> None:
    actual: Image.Image = getattr(render_card(sample_card(), *PICTURES), side)
    golden = GOLDEN / f"card-{side}.png"
    if UPDATE:
        actual.save(golden, optimize=True)
        actual.save(DOCS / f"card-{side}.png", optimize=True)
    with Image.open(golden) as stored:
        expected = stored.copy()
    assert (expected.mode, expected.size) == (actual.mode, actual.size)
    if expected.tobytes() != actual.tobytes():
        actual.save(tmp_path / f"card-{side}.png")
        pytest.fail(
            f"{side} differs from {golden} in {_differing_pixels(expected, actual)} pixels; "
            f"rendered image saved to {tmp_path}; see this module's docstring to regenerate"
        )
