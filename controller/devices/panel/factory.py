"""The gpiozero pin factory for the operator panel: a named factory that fails, fails loudly."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # gpiozero is imported when a factory is opened, not to read the config
    from gpiozero.pins import Factory

FACTORIES: dict[str, str] = {
    "lgpio": "gpiozero.pins.lgpio:LGPIOFactory",
    "rpigpio": "gpiozero.pins.rpigpio:RPiGPIOFactory",
    "pigpio": "gpiozero.pins.pigpio:PiGPIOFactory",
    "native": "gpiozero.pins.native:NativeFactory",
    "mock": "gpiozero.pins.mock:MockFactory",
}


class PanelError(RuntimeError):
    """The panel cannot be built; the message is one line for the operator."""


def check_factory_name(name: str) -> None:
    """Raise PanelError unless `name` is "" (gpiozero's own choice) or a known factory."""
    if name and name not in FACTORIES:
        raise PanelError(
            f"[panel] pin_factory: unknown pin factory {name!r}, "
            f"expected one of {', '.join(FACTORIES)}"
        )


def open_factory(name: str) -> Factory | None:
    """The named pin factory, opened now; None for "" (gpiozero picks one on first use)."""
    check_factory_name(name)
    if not name:
        return None
    module_name, class_name = FACTORIES[name].split(":")
    try:
        factory_class = getattr(importlib.import_module(module_name), class_name)
        return factory_class()
    except Exception as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise PanelError(f"[panel] pin_factory {name!r}: cannot use the GPIO: {reason}") from exc
