"""The central office's reference service: station events in, exactly one SMS per printed card.

See docs/central.md. It shares `contract` (vocabulary, topics) with the station.
"""
