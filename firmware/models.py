"""Who the virtual printer says it is: an Evolis printer of the ESC command family.

It presents as an Evolis Primacy (or Zenius): USB vendor 0x0F49 and the model's real product id,
`Rtp` "Evolis <model>", `Rtp;d` "<model>", `Roem` "Evolis" (the ids are those of Evolis' own
library's model table). How it prints (its faces, its colour depth) is the shared model table's
(`evolis_wire.models`). The serial number and firmware version are the virtual printer's own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from evolis_wire.models import MODELS as PRINTER_MODELS
from evolis_wire.models import PrinterModel, PrintMethod, model_named

EVOLIS_VENDOR_ID = 0x0F49


@dataclass(frozen=True)
class PrinterInfo:
    """What the printer says about itself."""

    model: str = "Primacy"
    product_id: int = 0x0B00
    serial: str = "VP0000001"
    firmware: str = "VP-1.0.0"
    head_kit: str = "VK-0001"
    zone: str = "0"
    maker: str = "Evolis"
    # How it prints, in place of the table's: a retransfer printer (film) played by this one
    # where the table has none, as the printer behind the tests' CUPS backend (None: the table's).
    method: PrintMethod | None = None

    @property
    def kind(self) -> PrinterModel:
        """How this model prints, from the model table (or `method`)."""
        model = model_named(self.model)
        return model if self.method is None else replace(model, method=self.method)

    @property
    def full_name(self) -> str:
        """The `Rtp` answer and the USB product string: "<maker> <model>"."""
        return f"{self.maker} {self.model}"


# The models it can play: those of the table with a known USB product id.
MODELS = {
    model.name.lower(): PrinterInfo(model=model.name, product_id=model.product_id)
    for model in PRINTER_MODELS
    if model.product_id is not None
}
