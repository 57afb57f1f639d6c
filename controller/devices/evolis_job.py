"""A card as the stream of bytes an Evolis printer takes (the PRN of Evolis' own library).

Part 1 is the whole card in one piece: the header (`Pcla;1` asks the printer to hold the job
until it is told to let go, `Pr;<ribbon>;t` names the ribbon), `Ss`, `Sr` and the front panels,
`Sv` and the back panels when there are any, and `Se`, with libevolis' `Psync` markers and text
tags around them (a printer skips what is not ESC-framed). Part 2 (`Pcla;0` and the end marker)
is sent once the printer shows `INF_CLAIM`. No command in either part is answered on its own.
Every command ends `CR NUL`, as libevolis ends them.
"""

from __future__ import annotations

from evolis_wire.panels import CardPanels, PrintPanel

# `Pr;<code>;t`: libevolis' ribbon type codes.
RIBBON_CODES = {"ymcko": 0, "ko": 1, "ymckok": 4, "k": 100}
COMMAND_END = b"\r"


def command(*fields: str, payload: bytes | None = None) -> bytes:
    """`ESC f1;f2... CR`, with a binary payload after the last `;` for `Db`."""
    body = ";".join(fields).encode("ascii")
    if payload is not None:
        body += b";" + payload
    return b"\x1b" + body + COMMAND_END


def request(*fields: str) -> bytes:
    """One command as a request on its own: ended by NUL, as libevolis sends it."""
    return command(*fields) + b"\x00"


def _panel(panel: PrintPanel) -> bytes:
    data = command("Db", panel.name, str(panel.levels), payload=panel.data)
    return b"<BINARY Size=%d>" % len(data) + data + b"</BINARY>"


def _face(side: str, panels: tuple[PrintPanel, ...]) -> bytes:
    return b"".join(
        [
            command("Psync", "9", "1"),
            b"<FACE>",
            command("Psync", "9", "0"),
            command(side),
            *(_panel(panel) for panel in panels),
            command("Psync", "10", "1"),
            b"</FACE>",
            command("Psync", "10", "0"),
        ]
    )


def card_job(panels: CardPanels, ribbon: str, epoch: int) -> bytes:
    """Part 1: the whole card, from the header to `Se` and the end of the document."""
    header = [
        command("Psync", "1", "0"),
        b"<HEADER>",
        command("Psmgr", "1"),
        command("Ppws", str(epoch)),
        command("Pcla", "1"),
        command("Pr", str(RIBBON_CODES[ribbon]), "t"),
        command("Pwres", "300", "300", "0"),
        command("Psync", "2"),
        b"</HEADER>",
        command("Psync", "3", "1"),
        b"<DOC Duplex=%d>" % (1 if panels.back else 0),
        command("Psync", "3", "0"),
        command("Psync", "5", "1"),
        b"<CARD>",
        command("Psync", "5", "0"),
        command("Ss"),
    ]
    faces = [_face("Sr", panels.front)]
    if panels.back:
        faces.append(_face("Sv", panels.back))
    end = [
        command("Se"),
        command("Psync", "6", "1"),
        b"</CARD>",
        command("Psync", "6", "0"),
        command("Psync", "4", "1"),
        b"</DOC>",
        command("Psync", "4", "0"),
    ]
    return b"".join([*header, *faces, *end]) + b"\x00"


def release() -> bytes:
    """Part 2: let the printer go on with the claimed job."""
    parts = [command("Pcla", "0"), command("Psync", "11", "1"), b"<END>"]
    return b"".join([*parts, command("Psync", "11", "0")]) + b"\x00"
