"""The shipped udev rule: every line can match a real device event, nothing is run blind."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULE = ROOT / "config" / "udev" / "60-printstation.rules"
UNIT = ROOT / "systemd" / "printstation.service"


def rules() -> list[str]:
    return [line for line in RULE.read_text().splitlines() if line and not line.startswith("#")]


def test_no_rule_runs_a_program() -> None:
    """A RUN+= shell hides its errors (and the old one built unpadded /dev/bus/usb paths)."""
    assert not [line for line in rules() if "RUN" in line]


def test_every_rule_matches_the_device_node_and_grants_the_services_group() -> None:
    groups = re.search(r"^SupplementaryGroups=(.*)$", UNIT.read_text(), re.M)
    assert groups is not None
    for line in rules():
        assert 'SUBSYSTEM=="usb"' in line and 'ENV{DEVTYPE}=="usb_device"' in line
        assert re.search(r'ATTR\{idVendor\}=="[0-9a-f]{4}"', line), line
        group = re.search(r'GROUP="([a-z]+)"', line)
        assert group and group.group(1) in groups.group(1).split(), line
