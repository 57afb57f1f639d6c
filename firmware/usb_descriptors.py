"""USB descriptors of the virtual printer: one configuration, one printer-class interface.

The ids are the model's (`models.py`: vendor 0x0F49, Primacy 0x0B00, Zenius 0x0A00, as in Evolis'
own library's model table). Evolis' library matches a printer by these ids and its USB strings;
the IEEE 1284 device id below is the virtual printer's own (no real printer's id was seen).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import EVOLIS_VENDOR_ID, PrinterInfo

PRINTER_CLASS, PRINTER_SUBCLASS, PRINTER_BIDIRECTIONAL = 7, 1, 2
BULK = 0x02


@dataclass
class DeviceDescriptor:
    idVendor: int
    idProduct: int
    bus: int
    address: int
    bLength: int = 18
    bDescriptorType: int = 1
    bcdUSB: int = 0x0200
    bDeviceClass: int = 0
    bDeviceSubClass: int = 0
    bDeviceProtocol: int = 0
    bMaxPacketSize0: int = 64
    bcdDevice: int = 0x0100
    iManufacturer: int = 1
    iProduct: int = 2
    iSerialNumber: int = 3
    bNumConfigurations: int = 1
    port_number: int = 1
    port_numbers: tuple[int, ...] = (1,)
    speed: int = 3  # high speed


@dataclass
class ConfigurationDescriptor:
    bLength: int = 9
    bDescriptorType: int = 2
    wTotalLength: int = 9 + 9 + 7 + 7
    bNumInterfaces: int = 1
    bConfigurationValue: int = 1
    iConfiguration: int = 0
    bmAttributes: int = 0xC0
    bMaxPower: int = 50
    extra_descriptors: list[int] = field(default_factory=list)


@dataclass
class InterfaceDescriptor:
    bLength: int = 9
    bDescriptorType: int = 4
    bInterfaceNumber: int = 0
    bAlternateSetting: int = 0
    bNumEndpoints: int = 2
    bInterfaceClass: int = PRINTER_CLASS
    bInterfaceSubClass: int = PRINTER_SUBCLASS
    bInterfaceProtocol: int = PRINTER_BIDIRECTIONAL
    iInterface: int = 0
    extra_descriptors: list[int] = field(default_factory=list)


@dataclass
class EndpointDescriptor:
    bEndpointAddress: int
    bLength: int = 7
    bDescriptorType: int = 5
    bmAttributes: int = BULK
    wMaxPacketSize: int = 512
    bInterval: int = 0
    bRefresh: int = 0
    bSynchAddress: int = 0
    extra_descriptors: list[int] = field(default_factory=list)


def string_descriptor(text: str) -> bytes:
    """A USB string descriptor (UTF-16LE with its length and type)."""
    body = text.encode("utf-16-le")
    return bytes([2 + len(body), 3]) + body


def langid_descriptor() -> bytes:
    """String descriptor 0: the supported languages (US English)."""
    return bytes([4, 3, 0x09, 0x04])


def device_id_block(device_id: str, little_endian: bool = False) -> bytes:
    """The GET_DEVICE_ID answer: a 2-byte length (including itself), then the id."""
    body = device_id.encode("ascii")
    length = (len(body) + 2).to_bytes(2, "little" if little_endian else "big")
    return length + body


def device_id_string(info: PrinterInfo) -> str:
    """The IEEE 1284 device id of a model: maker, command set, model, class, description."""
    return f"MFG:{info.maker};CMD:EVOLIS;MDL:{info.model};CLS:PRINTER;DES:{info.full_name};"


@dataclass(frozen=True)
class PrinterDescriptors:
    """What the printer's device says about itself: its ids (the model's product id unless
    given), its bulk endpoints, its strings and its IEEE 1284 device id."""

    info: PrinterInfo
    vendor_id: int = EVOLIS_VENDOR_ID
    product_id: int | None = None
    ep_out: int = 0x01
    ep_in: int = 0x82
    device_id: str | None = None
    device_id_little_endian: bool = False

    def __post_init__(self) -> None:
        ep_out, ep_in = self.ep_out, self.ep_in
        if ep_out & 0x80 or not ep_in & 0x80 or not (ep_out & 0x0F and ep_in & 0x0F):
            raise ValueError("ep_out must be an OUT and ep_in an IN endpoint, neither 0")

    def device(self, address: int) -> DeviceDescriptor:
        product_id = self.info.product_id if self.product_id is None else self.product_id
        return DeviceDescriptor(self.vendor_id, product_id, bus=1, address=address)

    def endpoint(self, index: int) -> EndpointDescriptor:
        """The interface's endpoint `index`: 0 the bulk IN, 1 the bulk OUT."""
        return EndpointDescriptor(self.ep_in if index == 0 else self.ep_out)

    def string(self, index: int) -> bytes | None:
        """String descriptor `index` (0: the languages), None if there is none."""
        if index == 0:
            return langid_descriptor()
        strings = {1: self.info.maker, 2: self.info.full_name, 3: self.info.serial}
        return string_descriptor(strings[index]) if index in strings else None

    def device_id_block(self) -> bytes:
        """The GET_DEVICE_ID answer."""
        text = device_id_string(self.info) if self.device_id is None else self.device_id
        return device_id_block(text, self.device_id_little_endian)
