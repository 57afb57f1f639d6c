"""The printer never waits for the renderer: the next card is rendered while the current one
prints, and a card rendered ahead is used only for exactly that job on that model."""

from __future__ import annotations

import threading
from typing import Any

from controller.core import cards_ahead
from controller.core.cards_ahead import CardsAhead, card_panels
from controller.queue.job_queries import PrintableJob
from controller.render import render_card
from evolis_wire.models import model_named
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until
from tests.render.samples import PICTURES, sample_card


def test_the_next_card_is_rendered_while_the_current_one_prints(make_station, monkeypatch):
    running = make_station(paused=True, seconds_per_card=0.5)
    renders: list[tuple[str, int]] = []  # (the thread, the jobs printing then)

    def recorded(*args: Any) -> Any:
        renders.append((threading.current_thread().name, running.states()["printing"]))
        return render_card(*args)

    monkeypatch.setattr(cards_ahead, "render_card", recorded)
    for n in (1, 2):
        running.store.intake.submit(payload(make_job(n)))
    running.commands.handle("resume", {})
    wait_until(lambda: running.states()["printed"] == 2, 30, "both cards printed")
    assert len(renders) == 2  # each card rendered once
    thread, printing = renders[1]
    assert thread.startswith("render-ahead") and printing == 1  # while the first one printed


def test_a_card_rendered_ahead_is_used_only_for_that_job_and_model():
    ahead = CardsAhead()
    primacy, zenius = model_named("Primacy"), model_named("Zenius")
    job = PrintableJob("JOB-1", sample_card(), *PICTURES)
    changed = PrintableJob("JOB-1", sample_card(name="SITI RAHAYU PUTRI"), *PICTURES)
    try:
        ahead.render_ahead(job, primacy)
        assert ahead.panels(job, primacy) == card_panels(job, primacy)
        ahead.render_ahead(job, primacy)
        assert ahead.panels(changed, primacy) == card_panels(changed, primacy)
        ahead.render_ahead(job, primacy)
        assert ahead.panels(job, zenius) == card_panels(job, zenius)
    finally:
        ahead.close()
