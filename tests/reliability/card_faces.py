"""A job's card face as the printer's log records it (the SHA-256 of its front): the station's
rendering of the job, as the printer gets it straight (`direct`) or through a CUPS queue
(`through_cups`: the document's pages, as the vendor-style backend prints them)."""

from __future__ import annotations

import json
from typing import Any

from contract.jobspec import parse_job
from controller.devices.ipp_document import card_document
from controller.devices.ipp_settings import IppSettings
from controller.queue.intake import layout_problems
from controller.render import encode_panels, render_card
from evolis_wire.panels import CardPanels
from testkit.cups_backend import card_images
from testkit.jobs import station_today


def rendered(job: dict[str, Any]) -> CardPanels:
    """The panels the station renders for `job` (a valid job's payload)."""
    spec = parse_job(json.dumps(job).encode(), station_today(), layout_problems)
    assert not hasattr(spec, "code"), spec
    return encode_panels(render_card(spec.card, spec.photo, spec.signature))  # type: ignore[union-attr]


def direct(panels: CardPanels) -> str:
    return panels.front_sha256()


def through_cups(panels: CardPanels) -> str:
    document = card_document(panels, IppSettings(queue="card"))
    return encode_panels(card_images(document)).front_sha256()
