"""Card rendering: a job's `card` fields, photo and signature → front and back images → panels.

    problems = field_problems(card) + image_problems(photo, signature)  # intake: reject if any
    images = render_card(card, photo, signature)  # raises RenderError if not
    panels = encode_panels(images)  # evolis_wire.panels.CardPanels

The photo (JPEG) and signature (PNG) are the files' bytes, as the job's validation decoded them
from base64 once (contract/jobspec.py) and the store keeps them.

Rendering is deterministic: the same card gives byte-identical images and panels. The fonts
ship inside the package and are laid out without Raqm, so the host's libraries do not matter
beyond the Pillow version itself.
"""

from .card import CardImages, field_problems, image_problems, render_card, save_png
from .errors import Problem, RenderError
from .fields import FIELD_MAX_CHARS
from .panels import encode_panels, preview_back, preview_front

__all__ = [
    "FIELD_MAX_CHARS",
    "CardImages",
    "Problem",
    "RenderError",
    "encode_panels",
    "field_problems",
    "image_problems",
    "preview_back",
    "preview_front",
    "render_card",
    "save_png",
]
