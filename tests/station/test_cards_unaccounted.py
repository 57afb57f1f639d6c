"""A card printed on the printer by something other than the station: the counter jumps by more
than the station printed, and the station says so and books it (issue 23)."""

from __future__ import annotations

from controller.devices.evolis_job import card_job, release
from evolis_wire.panels import CardPanels, PrintPanel, panel_size
from firmware.virtual_printer import VirtualPrinter
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until

NOTE = "counted by the printer, not printed by the station"


def print_elsewhere(printer: VirtualPrinter) -> None:
    """Another program prints a card on the printer, as libevolis would: job, then release."""
    colour = tuple(PrintPanel(name, 256, bytes(panel_size(256))) for name in "ymc")
    mono = tuple(PrintPanel(name, 2, bytes(panel_size(2))) for name in "ko")
    printer.feed(card_job(CardPanels(front=colour + mono, back=()), "ymcko", 0))
    printer.feed(release())


def codes(running, kind: str) -> list[str]:
    return [e.data["code"] for e in running.events(kind)]


def test_a_counter_that_jumps_by_two_between_cards_is_an_alert_an_event_and_booked(
    make_station,
):
    running = make_station(cards=50)
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: running.states()["printed"] == 1)
    print_elsewhere(running.printer)
    print_elsewhere(running.printer)
    assert running.printer.state.card_counter == 3
    assert running.events("cards.unaccounted") == []  # found when the next card starts

    running.store.intake.submit(payload(make_job(2)))
    wait_until(lambda: running.states()["printed"] == 2)
    (event,) = running.events("cards.unaccounted")
    assert event.job_id is None
    assert event.data == {"cards": 2, "counter_before": 1, "card_counter": 3}
    assert [e.data["card_counter"] for e in running.events("card.printed")] == [1, 4]
    wait_until(lambda: "cards_unaccounted" in codes(running, "alert.raised"))

    with running.store.db.reading() as conn:
        booked = conn.execute(
            "SELECT consumable, sum(delta) FROM ledger WHERE note LIKE ? GROUP BY consumable",
            (NOTE + "%",),
        ).fetchall()
    # a Primacy prints direct to the card: no film to book
    assert sorted(tuple(row) for row in booked) == [("cards", -2), ("ribbon", -2)]

    def books_agree() -> bool:
        with running.store.db.reading() as conn:
            cards = running.store.ledger.balances(conn)["cards"]
        return cards.holds and cards.remaining == running.printer.state.cards == 46

    wait_until(books_agree, what="the books equal to the printer's blanks")

    running.commands.handle("reload", {"consumable": "cards", "count": 46})  # a person counted
    wait_until(lambda: "cards_unaccounted" in codes(running, "alert.cleared"))
    running.store.intake.submit(payload(make_job(3)))
    wait_until(lambda: running.states()["printed"] == 3)
    assert len(running.events("cards.unaccounted")) == 1  # the station's own cards: none
