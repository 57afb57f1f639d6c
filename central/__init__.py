"""The central office's reference service: station events in, exactly one SMS per printed card.

See docs/central.md. It shares `contract` (vocabulary, topics) with the station.
"""

from importlib.metadata import version

__version__ = version("printstation-central")  # the installed distribution's: VERSION
