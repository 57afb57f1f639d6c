"""A card as a CUPS job: its document (the sides as pages) and its options.

The document is a TIFF (`image/tiff`, which CUPS' filters take for any queue with a driver and
a raw queue passes on untouched): page 1 the front (RGB), page 2 the back (greyscale) when the
card has one and `duplex` is on, each a whole ID-1 card (85.6 × 54 mm) at the printer's
resolution. The options: `sides`, and the queue's own ribbon and film options when the config
names them.
"""

from __future__ import annotations

import io

from PIL import Image

from controller.render.panels import preview_back, preview_front
from evolis_wire.panels import CardPanels

from .ipp_settings import IppSettings

DOCUMENT_FORMAT = "image/tiff"
CARD_MM = (85.6, 54.0)
MM_PER_INCH = 25.4


def card_pixels(dpi: int) -> tuple[int, int]:
    """A landscape card's size in pixels at `dpi`."""
    return tuple(round(side * dpi / MM_PER_INCH) for side in CARD_MM)  # type: ignore[return-value]


def card_document(panels: CardPanels, settings: IppSettings) -> bytes:
    """The card's pages as one TIFF at `settings.resolution_dpi`."""
    size, dpi = card_pixels(settings.resolution_dpi), settings.resolution_dpi
    pages = [preview_front(panels).resize(size)]
    if settings.duplex and panels.back:
        pages.append(preview_back(panels).resize(size))
    out = io.BytesIO()
    pages[0].save(
        out, "TIFF", save_all=True, append_images=pages[1:], dpi=(dpi, dpi), compression="tiff_lzw"
    )
    return out.getvalue()


def job_options(settings: IppSettings, two_sided: bool) -> dict[str, str]:
    """The job's options: `sides`, and the vendor's ribbon and film options if named."""
    options = {"sides": "two-sided-long-edge" if two_sided else "one-sided"}
    if settings.ribbon_option:
        options[settings.ribbon_option] = settings.ribbon_type
    if settings.film_option:
        options[settings.film_option] = "true" if settings.film else "false"
    return options


def document_pages(document: bytes) -> list[Image.Image]:
    """The pages of a card document, as a backend or a test reads them."""
    with Image.open(io.BytesIO(document)) as tiff:
        pages = []
        for index in range(getattr(tiff, "n_frames", 1)):
            tiff.seek(index)
            pages.append(tiff.copy())
        return pages
