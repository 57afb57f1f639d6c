"""The station's MQTT link to the central office (docs/interface.md, docs/mqtt.md)."""

from controller.mqtt.link import LinkTiming, MqttLink
from controller.mqtt.requests import CommandHandler

__all__ = ["CommandHandler", "LinkTiming", "MqttLink"]
