"""The holder's photo (base64 JPEG) and signature (base64 PNG): decoding and fitting."""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageChops, ImageOps

from .errors import RenderError

MAX_DIMENSION = 2000
"""Largest width or height accepted, checked before decoding (a small file can hold a huge
image)."""


@dataclass(frozen=True)
class PictureSpec:
    """What one picture field must hold."""

    field: str
    format: str
    max_bytes: int
    end_marker: bytes  # how a complete file of the format ends


PHOTO = PictureSpec("photo_jpeg", "JPEG", 64 * 1024, b"\xff\xd9")  # EOI
SIGNATURE = PictureSpec("signature_png", "PNG", 32 * 1024, b"IEND\xaeB`\x82")  # IEND + CRC


def _fail(spec: PictureSpec, problem: str) -> RenderError:
    return RenderError([(spec.field, problem)])


def decode(card: dict[str, Any], spec: PictureSpec, size: tuple[int, int]) -> Image.Image:
    """Decode `spec.field` of `card`, at least as large as `size` where the format allows."""
    value = card.get(spec.field)
    if not isinstance(value, str) or not value:
        raise _fail(spec, "is missing" if value is None else "must be a base64 string")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(spec, "is not valid base64") from None
    if len(data) > spec.max_bytes:
        raise _fail(spec, f"is larger than {spec.max_bytes // 1024} KiB decoded")
    too_large = _fail(spec, f"is larger than {MAX_DIMENSION} × {MAX_DIMENSION} pixels")
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[spec.format])
    except Image.DecompressionBombError:
        raise too_large from None  # the header claims more pixels than Pillow allows
    except (OSError, SyntaxError, ValueError):
        raise _fail(spec, f"is not a {spec.format} image") from None
    bomb = any(issubclass(w.category, Image.DecompressionBombWarning) for w in warned)
    if bomb or max(image.size) > MAX_DIMENSION:
        raise too_large
    if spec.format == "JPEG":
        image.draft("RGB", size)
    damaged = _fail(spec, f"is damaged {spec.format} data")
    if not data.rstrip(b"\0").endswith(spec.end_marker):
        raise damaged  # cut short: Pillow decodes a PNG without its IEND chunk
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise damaged from None
    return image


def fit_photo(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The photo in RGB, upright by its EXIF orientation, scaled to fit `size` keeping its
    aspect ratio."""
    upright = ImageOps.exif_transpose(image).convert("RGB")
    return ImageOps.contain(upright, size, Image.Resampling.LANCZOS)


def signature_ink(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The signature as ink coverage (L, 255 = full ink) scaled to fit `size`.

    Dark strokes are ink; light or transparent pixels are not, so a signature scanned on white
    paper and one drawn on a transparent background both print as strokes only.
    """
    rgba = image.convert("RGBA")
    darkness = ImageOps.invert(rgba.convert("L"))
    ink = ImageChops.multiply(darkness, rgba.getchannel("A"))
    return ImageOps.contain(ink, size, Image.Resampling.LANCZOS)
