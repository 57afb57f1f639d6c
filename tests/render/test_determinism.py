"""The same card always gives byte-identical images, PNG files and panels."""

from __future__ import annotations

from pathlib import Path

from controller.render import encode_panels, render_card, save_png

from .samples import PICTURES, sample_card


def test_rendering_twice_gives_identical_images() -> None:
    first, second = render_card(sample_card(), *PICTURES), render_card(sample_card(), *PICTURES)
    for side in ("front", "front_black", "back"):
        assert getattr(first, side).tobytes() == getattr(second, side).tobytes()


def test_encoding_twice_gives_identical_panels() -> None:
    first = encode_panels(render_card(sample_card(), *PICTURES))
    second = encode_panels(render_card(sample_card(), *PICTURES))
    assert first == second
    assert first.front_sha256() == second.front_sha256()


def test_saved_pngs_are_identical(tmp_path: Path) -> None:
    one = save_png(render_card(sample_card(), *PICTURES), tmp_path / "one", "card")
    two = save_png(render_card(sample_card(), *PICTURES), tmp_path / "two", "card")
    assert [path.name for path in one] == ["card-front.png", "card-back.png"]
    for first, second in zip(one, two, strict=True):
        assert first.read_bytes() == second.read_bytes()


def test_a_different_card_gives_a_different_front() -> None:
    first = encode_panels(render_card(sample_card(), *PICTURES))
    second = encode_panels(render_card(sample_card(name="SITI RAHAYU PUTRI"), *PICTURES))
    assert first.front_sha256() != second.front_sha256()
