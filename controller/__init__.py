"""printstation: the controller of an e-KTP card printing kiosk."""

from importlib.metadata import version

__version__ = version("printstation")  # the installed distribution's: VERSION at the root
