"""The station's MQTT link to the central office (CONTRACT.md, docs/mqtt.md)."""

from controller.mqtt.commands import CommandError, CommandHandler
from controller.mqtt.link import LinkTiming, MqttLink

__all__ = ["CommandError", "CommandHandler", "LinkTiming", "MqttLink"]
