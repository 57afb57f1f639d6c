"""The holder's photo (JPEG) and signature (PNG), as the job's bytes: decoding and fitting.

How large the files may be is the job's rule (contract/jobspec.py); here an image is refused
for its pixel size, its format or damage.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

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
    end_marker: bytes  # how a complete file of the format ends


PHOTO = PictureSpec("photo_jpeg", "JPEG", b"\xff\xd9")  # EOI
SIGNATURE = PictureSpec("signature_png", "PNG", b"IEND\xaeB`\x82")  # IEND + CRC


def _fail(spec: PictureSpec, problem: str) -> RenderError:
    return RenderError([(spec.field, problem)])


def decode(data: bytes, spec: PictureSpec, size: tuple[int, int]) -> Image.Image:
    """Decode the file `data` of `spec`, at least as large as `size` where the format allows."""
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
