"""The Evolis printer models of the ESC command family: how each prints, the one table the
station's driver and the virtual printer both read.

A model is named as the printer's `Rtp;d` answers (`Rtp` without the maker). For each: how it
prints (direct to the card, or on a film transferred to the card: only a retransfer printer
uses a film), whether it prints both faces, the depth of its colour panels, and its USB
product id where known. Duplex is libevolis' (9.4.1): it takes a back face for each model here
but the Zenius. The colour depths are libevolis' too (docs/printer-protocol.md, Panels).
Every model of this family libevolis knows prints direct to the card; the retransfer printers
(Avansia) speak another protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PrintMethod(StrEnum):
    DIRECT_TO_CARD = "direct_to_card"
    RETRANSFER = "retransfer"  # printed on a film, the film laid on the card


@dataclass(frozen=True)
class PrinterModel:
    name: str  # as `Rtp;d` answers
    method: PrintMethod
    duplex: bool  # prints a back face
    colour_levels: int  # levels of the y, m, c panels (k and o: 2)
    product_id: int | None = None  # its USB product id, vendor 0x0F49

    @property
    def film(self) -> bool:
        """Whether a card uses a film (only a retransfer printer has one)."""
        return self.method is PrintMethod.RETRANSFER


MODELS: tuple[PrinterModel, ...] = (
    PrinterModel("Primacy", PrintMethod.DIRECT_TO_CARD, True, 256, 0x0B00),
    PrinterModel("Primacy 2", PrintMethod.DIRECT_TO_CARD, True, 256),
    PrinterModel("Elypso", PrintMethod.DIRECT_TO_CARD, True, 256),
    PrinterModel("KC200", PrintMethod.DIRECT_TO_CARD, True, 256),
    PrinterModel("Zenius", PrintMethod.DIRECT_TO_CARD, False, 128, 0x0A00),
)
_BY_NAME = {model.name.lower(): model for model in MODELS}


def find_model(name: str) -> PrinterModel | None:
    """The model a printer names (`Primacy`, `Evolis Zenius`, ...); None if not in the table."""
    key = name.strip().lower().removeprefix("evolis ").strip()
    return _BY_NAME.get(key)


def model_named(name: str) -> PrinterModel:
    """The model of the table a printer names; a model not in it is taken as a Primacy (the
    family's reference: 256 colour levels, duplex, no film) under its own name."""
    model = find_model(name)
    if model is not None:
        return model
    reference = _BY_NAME["primacy"]
    return PrinterModel(name.strip(), reference.method, reference.duplex, reference.colour_levels)
