"""Cards rendered ahead: the next card's panels are made while the current card prints, so the
printer does not wait for the renderer between two cards.

The card rendered ahead is used only if it is exactly the job that is then printed (the same
fields and pictures) for the same printer model; otherwise it is dropped and the card is
rendered then. A rendering error comes out when the card is printed, as if rendered then.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from controller.queue.job_queries import PrintableJob
from controller.render import encode_panels, render_card
from evolis_wire.models import PrinterModel
from evolis_wire.panels import CardPanels


def card_panels(job: PrintableJob, model: PrinterModel) -> CardPanels:
    """The job's card rendered and encoded for the model (its colour depth, its faces)."""
    images = render_card(job.card, job.photo, job.signature)
    return encode_panels(images, model.colour_levels, duplex=model.duplex)


@dataclass(frozen=True)
class _Ahead:
    job: PrintableJob
    model: PrinterModel
    panels: Future[CardPanels]


class CardsAhead:
    """One card rendered ahead on a thread of its own."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render-ahead")
        self._ahead: _Ahead | None = None

    def render_ahead(self, job: PrintableJob | None, model: PrinterModel) -> None:
        """Start rendering `job`, the one likely to print next (None: nothing is queued)."""
        self._drop()
        if job is not None:
            self._ahead = _Ahead(job, model, self._pool.submit(card_panels, job, model))

    def panels(self, job: PrintableJob, model: PrinterModel) -> CardPanels:
        """`job`'s panels: the ones rendered ahead if they are this job's, else rendered now."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.job == job and ahead.model == model:
            return ahead.panels.result()
        if ahead is not None:
            ahead.panels.cancel()
        return card_panels(job, model)

    def close(self) -> None:
        self._drop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _drop(self) -> None:
        if self._ahead is not None:
            self._ahead.panels.cancel()
            self._ahead = None
