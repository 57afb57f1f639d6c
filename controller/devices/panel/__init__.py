"""The operator panel on the Pi's GPIO (gpiozero): lamps, buzzer, buttons, cover, fan, UPS."""

from .board import Panel, PanelActions
from .factory import PanelError

__all__ = ["Panel", "PanelActions", "PanelError"]
