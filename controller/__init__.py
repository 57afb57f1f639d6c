"""printstation: the controller of an e-KTP card printing kiosk."""

__version__ = "0.1.0"
