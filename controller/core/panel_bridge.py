"""The operator panel joined to the core loop: buttons post to it, its state lights the panel."""

from __future__ import annotations

import structlog

from contract.vocabulary import AttemptOutcome, Resolution
from controller.core.loop import Station
from controller.core.operations import Operations
from controller.devices.panel.board import Panel

log = structlog.get_logger(__name__)


class StationPanelActions:
    """`PanelActions` for the station: every gesture becomes a message to the core loop."""

    def __init__(self, station: Station) -> None:
        self._station, self._operations = station, Operations(station)

    def toggle_pause(self) -> None:
        station = self._station
        station.post(lambda: station.set_paused(not station.paused))

    def resolve_review(self, outcome: Resolution) -> None:
        self._station.post(lambda: self._operations.resolve_oldest_review(outcome))

    def cabinet_changed(self, is_open: bool) -> None:
        self._station.post(lambda: self._station.set_cabinet_open(is_open))

    def power_failed(self) -> None:
        self._station.post(self._station.power_failed)


def attach_panel(station: Station, panel: Panel) -> None:
    """Show the station's state on the panel, chirp on each good card, run the fan."""

    def show() -> None:
        panel.show(station.state, station.head_temp_c, station.needs_person)
        panel.tick()

    def on_card(outcome: AttemptOutcome) -> None:
        if outcome is AttemptOutcome.PRINTED:
            panel.chirp(AttemptOutcome.PRINTED)

    station.status_listeners.append(show)
    station.lane.card_listeners.append(on_card)
