"""The station prints one card to `ippeveprinter`, CUPS' own IPP Everywhere printer, through a
raw queue of the private cupsd (CUPS' `ipp` backend)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.devices.ipp_document import card_pixels, document_pages
from testkit.cups import EvePrinter
from testkit.waiting import wait_until
from tools.demo import sample_jobs

from .conftest import CupsRig, IppStation

pytestmark = pytest.mark.slow  # D-Bus, avahi-daemon and ippeveprinter start: ~3 s


@pytest.fixture
def eve(tmp_path: Path) -> Iterator[EvePrinter]:
    printer = EvePrinter(tmp_path / "eve")
    try:
        printer.start()
        yield printer
    finally:
        printer.stop()


def test_one_card_is_printed_by_ippeveprinter(make_rig, make_station, eve: EvePrinter) -> None:
    rig: CupsRig = make_rig()
    rig.cups.add_ipp_queue("eve", eve.uri)
    running: IppStation = make_station(rig, queue="eve")
    assert running.store.intake.submit(sample_jobs()[0]).outcome == "accepted"
    wait_until(lambda: running.states()["printed"] == 1, 60, "the card printed by ippeveprinter")
    documents = eve.documents()  # kept as N-<job name>.dat
    assert len(documents) == 1
    pages = document_pages(documents[0].read_bytes())
    assert [page.size for page in pages] == [card_pixels(300)] * 2  # front and back
    assert rig.cards() == []  # the virtual printer's queue took nothing
