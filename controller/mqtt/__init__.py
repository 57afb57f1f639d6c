"""The station's MQTT link to the central office (docs/interface.md, docs/mqtt.md)."""

from controller.mqtt.link import MqttLink
from controller.mqtt.requests import CommandHandler
from controller.mqtt.timing import LinkTiming

__all__ = ["CommandHandler", "LinkTiming", "MqttLink"]
