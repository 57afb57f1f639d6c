"""Cards the printer counted that the station did not print.

The printer's card counter at a card's start is compared with the counter after the station's
last card (its last attempt's `counter_after`). Higher: something other than the station fed
that many blanks (another program on the printer, a test print at its panel). In the card's
start transaction they are booked in the ledger (`Ledger.used_outside`), a `cards.unaccounted`
event is written, and the running total is kept until a person reloads the blanks (having
counted them): the `cards_unaccounted` alert stands until then. Lower: the printer was changed
or its counter reset; that is logged, and nothing is booked. A print queue's counter (driver =
"ipp": the highest job number) counts jobs, not blanks, and books nothing.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from enum import Enum

import structlog

from contract.events import CardsUnaccounted
from controller.queue.db import get_meta, set_meta
from controller.queue.ledger import Ledger
from controller.queue.outbox import emit

log = structlog.get_logger(__name__)


class CounterKind(Enum):
    """What the driver's card counter counts."""

    BLANKS = "printer_count"  # the printer's own: every blank it fed
    JOBS = "queue_job_number"  # a print queue's job numbers: a job that fed no blank moves it too


UNACCOUNTED_KEY = "printer_cards_unaccounted"  # meta: counted outside since the blanks reload


def book_unaccounted(
    tx: sqlite3.Connection, ledger: Ledger, card_counter: int, at: datetime
) -> int:
    """At a card's start, in its transaction: the cards the printer counted since the station's
    last card that the station did not print, booked; how many."""
    row = tx.execute("SELECT counter_after FROM attempts ORDER BY id DESC LIMIT 1").fetchone()
    last = None if row is None else row[0]
    if last is None or card_counter == last:
        return 0
    if card_counter < last:
        log.warning("printer counter went back: another printer?", last=last, now=card_counter)
        return 0
    cards = card_counter - last
    note = f"counted by the printer, not printed by the station: counter {last} -> {card_counter}"
    log.error("the printer counted cards the station did not print", cards=cards, note=note)
    ledger.used_outside(tx, cards, note, at)
    set_meta(tx, UNACCOUNTED_KEY, str(unaccounted(tx) + cards))
    emit(tx, None, CardsUnaccounted(cards, last, card_counter), at)
    return cards


def unaccounted(conn: sqlite3.Connection) -> int:
    """Cards counted outside the station since the blanks were last reloaded."""
    return int(get_meta(conn, UNACCOUNTED_KEY) or 0)


def forget_unaccounted(tx: sqlite3.Connection) -> None:
    """A person reloaded the blanks, having counted them."""
    set_meta(tx, UNACCOUNTED_KEY, "0")
