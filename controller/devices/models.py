"""What a card uses on the station's printer, by its model (the model table is shared with the
virtual printer: `evolis_wire.models`).

Every card uses a blank and the ribbon; only a retransfer printer uses a film. Until the
printer has said which model it is, every consumable is counted.
"""

from __future__ import annotations

from contract.vocabulary import Consumable
from evolis_wire.models import model_named

from .printer import Identity

EVERY_CONSUMABLE = frozenset(Consumable)


def consumables_used(identity: Identity | None) -> frozenset[Consumable]:
    """The consumables a card uses on the printer of `identity` (None: not known yet)."""
    if identity is None:
        return EVERY_CONSUMABLE
    if model_named(identity.model).film:
        return EVERY_CONSUMABLE
    return EVERY_CONSUMABLE - {Consumable.FILM}
