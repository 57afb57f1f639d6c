"""The station's MQTT link to the central office (docs/interface.md, docs/mqtt.md)."""
