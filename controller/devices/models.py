"""What a card uses on the station's printer, by its model (the model table is shared with the
virtual printer: `evolis_wire.models`).

Every card uses a blank and the ribbon; only a retransfer printer uses a film. Until the
printer has said which model it is, and for a printer not in the table (one behind a CUPS
queue, an HDP5000 say), every consumable is counted.
"""

from __future__ import annotations

from contract.vocabulary import Consumable
from evolis_wire.models import find_model

from .printer import Identity

EVERY_CONSUMABLE = frozenset(Consumable)


def consumables_used(identity: Identity | None) -> frozenset[Consumable]:
    """The consumables a card uses on the printer of `identity` (None: not known yet)."""
    if identity is None:
        return EVERY_CONSUMABLE
    model = find_model(identity.model)
    if model is None or model.film:
        return EVERY_CONSUMABLE
    return EVERY_CONSUMABLE - {Consumable.FILM}
