"""libevolis as the reference for the card stream: the station's bytes for a card against
libevolis' `print_to_file` for the same card, item by item (every command, its parameters,
every text tag), for the Primacy and the Zenius, one- and two-sided.

Both ribbons a colour card can be printed with are compared on the Primacy (YMCKO and
YMCKOK: libevolis names the ribbon in `Pr` and `Pwres`; it takes no YMCKOK for a Zenius).
libevolis writes its PRN for the printer it is connected to (the virtual printer, presenting
as the model): it takes a back face from a Primacy's caller and refuses one on a Zenius. The
differences that remain are `DROPPED` and `NORMALISED` below, each with its reason
(docs/printer-protocol.md lists them too); everything else must be equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    import evolis
except OSError as error:  # libevolis has no build for this machine, or cannot load
    pytest.skip(f"libevolis cannot load here: {error}", allow_module_level=True)

from controller.devices.evolis_job import card_job, release
from controller.render import encode_panels, render_card
from evolis_wire.models import model_named
from evolis_wire.panels import panel_size
from firmware.models import MODELS
from tests.render.samples import PICTURES, sample_card

EPOCH = 1_800_000_000
# What the station sends otherwise than libevolis, and why (docs/printer-protocol.md).
DROPPED = {
    "Pida": "libevolis' figures computed from the picture by its own image processing, of "
    "unknown meaning: the station sends none",
}
NORMALISED = {
    "Ppws": "the job's time: each sender's own clock",
    "Db": "y, m, c only by their size: libevolis' own colour processing (test_libevolis.py "
    "bounds the difference); k and o byte for byte",
}

Item = tuple[Any, ...]


def items(data: bytes) -> Iterator[Item]:
    """The stream as ("tag", text) and ("cmd", name, params..., payload) items; NULs skipped."""
    at = 0
    while at < len(data):
        byte = data[at]
        if byte == 0:
            at += 1
        elif byte == ord("<"):
            end = data.index(b">", at)
            yield ("tag", data[at : end + 1].decode("ascii"))
            at = end + 1
        elif byte == 0x1B and data.startswith(b"Db;", at + 1):
            name, panel, levels, _ = data[at + 1 : at + 40].split(b";", 3)
            start = at + 1 + len(b"%s;%s;%s;" % (name, panel, levels))
            end = start + panel_size(int(levels))
            assert data[end] == 0x0D, "panel data not followed by CR"
            yield ("cmd", "Db", panel.decode(), levels.decode(), data[start:end])
            at = end + 1
        elif byte == 0x1B:
            end = data.index(b"\r", at)
            yield ("cmd", *data[at + 1 : end].decode("ascii").split(";"))
            at = end + 1
        else:
            raise AssertionError(f"byte {byte:#x} outside a command or a tag at {at}")


def comparable(data: bytes) -> list[Item]:
    """The items, with the accepted differences taken out."""
    result = []
    for item in items(data):
        if item[0] == "cmd" and item[1] in DROPPED:
            continue
        if item[:2] == ("cmd", "Ppws"):
            item = ("cmd", "Ppws", "<time>")
        if item[:2] == ("cmd", "Db") and item[2] in "ymc":
            item = (*item[:4], len(item[4]))
        result.append(item)
    return result


def libevolis_prn(
    connection: Any, directory: Path, two_sided: bool, ribbon: Any = evolis.RibbonType.YMCKO
) -> tuple[bytes, bool]:
    """libevolis' PRN for the sample card, and whether it took the back face."""
    images = render_card(sample_card(), *PICTURES)
    images.front.convert("RGB").save(directory / "front.bmp")
    # A black layer as libevolis takes one: a 1-bit bitmap, black = k ink.
    images.front_black.point(lambda v: 0 if v >= 128 else 255).convert("1").save(
        directory / "black.bmp"
    )
    images.back.point(lambda v: 0 if v < 128 else 255).convert("1").save(directory / "back.bmp")
    session = evolis.PrintSession(connection, ribbon)
    assert session.set_image(evolis.CardFace.FRONT, str(directory / "front.bmp"))
    assert session.set_black(evolis.CardFace.FRONT, str(directory / "black.bmp"))
    back = two_sided and session.set_black(evolis.CardFace.BACK, str(directory / "back.bmp"))
    assert session.print_to_file(str(directory / "card.prn")) == evolis.ReturnCode.OK
    return (directory / "card.prn").read_bytes(), back


def station_stream(model_name: str, two_sided: bool, ribbon: int) -> bytes:
    """The station's card for a printer of `model_name`: the card, then the release."""
    model = model_named(model_name)
    images = render_card(sample_card(), *PICTURES)
    panels = encode_panels(images, model.colour_levels, duplex=model.duplex and two_sided)
    return card_job(panels, ribbon, EPOCH) + release()


@pytest.mark.parametrize("two_sided", [False, True], ids=["one-sided", "two-sided"])
@pytest.mark.parametrize(
    ("model", "ribbon"),
    # libevolis takes no YMCKOK ribbon for a Zenius (PRINT_EUNKNOWNRIBBON)
    [("primacy", "YMCKO"), ("primacy", "YMCKOK"), ("zenius", "YMCKO")],
)
def test_the_station_streams_a_card_as_libevolis_does(
    open_printer, tmp_path, model, two_sided, ribbon
):
    ribbon_type = evolis.RibbonType[ribbon]
    connection, _ = open_printer(info=MODELS[model])
    theirs, took_back = libevolis_prn(connection, tmp_path, two_sided, ribbon_type)
    ours = station_stream(MODELS[model].model, two_sided, ribbon_type.value)
    assert took_back == (two_sided and model == "primacy")  # libevolis: no back on a Zenius
    assert comparable(ours) == comparable(theirs)


def test_the_comparison_sees_a_difference(open_printer, tmp_path):
    """The comparison fails on a stream that differs (a back face sent to a Zenius)."""
    connection, _ = open_printer(info=MODELS["zenius"])
    theirs, _ = libevolis_prn(connection, tmp_path, two_sided=True)
    images = render_card(sample_card(), *PICTURES)
    with_back = card_job(encode_panels(images, 128, duplex=True), 0, EPOCH) + release()
    assert comparable(with_back) != comparable(theirs)
    assert ("cmd", "Sv") in comparable(with_back)
    assert ("cmd", "Sv") not in comparable(theirs)


def test_each_difference_left_is_listed_in_the_docs():
    docs = (Path(__file__).parents[2] / "docs" / "printer-protocol.md").read_text()
    for command in (*DROPPED, *NORMALISED):
        assert f"`{command}" in docs, command
