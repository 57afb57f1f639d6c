"""The demo's cards (tools/demo.py) printed by the station through the virtual printer, over
pyusb and over the network driver."""

from __future__ import annotations

import json

import pytest

from testkit.waiting import wait_until
from tools.demo import sample_jobs


@pytest.mark.parametrize(
    ("network", "model", "panels"),
    [(False, "primacy", 7), (True, "primacy", 7), (False, "zenius", 5)],
    ids=["pyusb", "network", "pyusb-zenius"],
)
def test_the_demo_cards_are_printed(make_station, network: bool, model: str, panels: int) -> None:
    """A Zenius takes colour at 128 levels and one face (y, m, c, k, o), a Primacy 256 levels
    and a back (k, o): the station asks which it is (the virtual Zenius drops a job with a back
    face, so every card printed shows none was sent)."""
    running = make_station(network=network, model=model)
    outcomes = [running.store.intake.submit(job).outcome for job in sample_jobs()]
    assert outcomes == ["accepted"] * 4 + ["rejected"]  # the fifth job's NIK is wrong
    wait_until(lambda: running.states()["printed"] == 4, 60, "the demo's cards")
    log = running.config.state_dir / "virtual-printer" / "cards.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["counter"], r["result"], r["panels"]) for r in records] == [
        (n, "printed", panels) for n in range(1, 5)
    ]
    printed = running.events("card.printed")
    assert sorted(e.data["card_counter"] for e in printed) == [1, 2, 3, 4]
    assert running.printer.state.cards == 46
