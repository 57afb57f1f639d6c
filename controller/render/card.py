"""Rendering a job's card (text fields, photo, signature) into front and back images, after
checking that everything fits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from . import front, pictures
from .back import draw_back, layout_back
from .errors import Problem, RenderError
from .fields import check_fields
from .sheet import Sheet

BLACK = (0, 0, 0)


@dataclass(frozen=True)
class CardImages:
    """A rendered card, landscape 1016 × 648 at 300 dpi.

    `front` is RGB; `front_black` is the coverage (L, 255 = full) of the front's black text,
    which the printer lays down with its K panel; `back` is greyscale, black only.
    """

    front: Image.Image
    front_black: Image.Image
    back: Image.Image


def _first_per_field(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    first: list[Problem] = []
    for name, problem in problems:
        if name not in seen:
            seen.add(name)
            first.append((name, problem))
    return first


def _layouts(card: dict[str, Any]) -> tuple[Sheet, Sheet, list[Problem]]:
    checked = check_fields(card)
    front_sheet = front.layout_front(checked.values)
    back_sheet = layout_back(checked.values)
    problems = checked.problems + front_sheet.problems + back_sheet.problems
    return front_sheet, back_sheet, _first_per_field(problems)


def field_problems(card: dict[str, Any]) -> list[Problem]:
    """(field, problem) pairs for text fields that are missing, malformed or do not fit."""
    return _layouts(card)[2]


def _pictures(
    photo: bytes, signature: bytes, smallest: bool = False
) -> tuple[list[Image.Image], list[Problem]]:
    """The decoded photo and signature, or the problems that stop them being decoded; with
    `smallest`, decoded at the smallest scale the format allows (a JPEG at 1/8: every byte is
    still read, a fraction of the pixels computed)."""
    decoded: list[Image.Image] = []
    problems: list[Problem] = []
    for data, spec, box in (
        (photo, pictures.PHOTO, front.PHOTO_BOX),
        (signature, pictures.SIGNATURE, front.SIGNATURE_BOX),
    ):
        try:
            size = (1, 1) if smallest else (box[2], box[3])
            decoded.append(pictures.decode(data, spec, size))
        except RenderError as error:
            problems.extend(error.problems)
    return decoded, problems


def image_problems(photo: bytes, signature: bytes) -> list[Problem]:
    """(field, problem) pairs for a photo (JPEG) or signature (PNG) that cannot be decoded."""
    return _pictures(photo, signature, smallest=True)[1]


def render_card(card: dict[str, Any], photo: bytes, signature: bytes) -> CardImages:
    """Render `card`'s text fields with the `photo` (JPEG) and `signature` (PNG); raise
    RenderError listing every problem rather than clip anything."""
    front_sheet, back_sheet, problems = _layouts(card)
    decoded, picture_problems = _pictures(photo, signature)
    if problems or picture_problems:
        raise RenderError(problems + picture_problems)
    photo_image, signature_image = decoded

    image = front.background().copy()
    photo_size = (front.PHOTO_BOX[2], front.PHOTO_BOX[3])
    front.paste_centred(image, pictures.fit_photo(photo_image, photo_size), front.PHOTO_BOX)
    box = front.SIGNATURE_BOX
    ink = pictures.signature_ink(signature_image, (box[2], box[3]))
    front.paste_centred(image, Image.new("RGB", ink.size, BLACK), box, ink)
    black = Image.new("L", image.size, 0)
    front_sheet.draw(ImageDraw.Draw(black), 255)
    image.paste(BLACK, (0, 0, *image.size), black)
    return CardImages(front=image, front_black=black, back=draw_back(back_sheet))


def save_png(images: CardImages, directory: Path | str, stem: str) -> tuple[Path, Path]:
    """Write `{stem}-front.png` and `{stem}-back.png` into `directory`; return their paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / f"{stem}-front.png", folder / f"{stem}-back.png")
    images.front.save(paths[0], format="PNG")
    images.back.save(paths[1], format="PNG")
    return paths
