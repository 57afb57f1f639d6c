"""A card as the stream of bytes an Evolis printer takes: libevolis' PRN (`print_to_file`),
command for command (tests/devices/test_libevolis_stream.py compares them).

Part 1 is the whole card in one piece: the header (`Pcla;1` asks the printer to hold the job
until it is told to let go, `Pr;<ribbon>;t` and `Pwres` name the ribbon the printer reports,
and libevolis' print settings at their values), libevolis' `<OPTION Dpi=300x300>`, `Ss`,
`Mr;s`, `Sr` and the front, `Sv` and the back when there is one, and `Se`, with libevolis'
`Psync` markers and text tags around them (a printer skips what is not ESC-framed). Each face
starts with libevolis' contrast and luminosity at 10 (`Pc`, `Pl`); its y, m and c panels go
in one `<BINARY>`, as libevolis groups them. Part 2 (`Pcla;0` and the end marker) is sent
once the printer shows `INF_CLAIM`. No command in either part is answered on its own. Every
command ends `CR`; a request on its own ends `CR NUL`, as libevolis sends them. What the
station sends otherwise than libevolis, and why, is listed in docs/printer-protocol.md.
"""

from __future__ import annotations

from evolis_wire.panels import CardPanels, PrintPanel

# The ribbons a colour card can be printed with, by libevolis' type code (`Rrt;all`'s `type`,
# sent back in `Pr;<code>;t` and `Pwres;300;300;<code>`, as libevolis sends them).
COLOUR_RIBBONS = {0: "YMCKO", 4: "YMCKOK"}
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


# libevolis' print settings (its defaults: the header's and each face's).
PRINT_SETTINGS = (("Psk", "10"), ("Piqla", "a", "d"), ("Pmc", "h"), ("Peoic", "k", "D"))
FACE_SETTINGS = (
    ("Pc", "a", "=", "10"),
    ("Pl", "a", "=", "10"),
    ("Pc", "k", "=", "10"),
    ("Pc", "o", "=", "10"),
    ("Pc", "l", "=", "10"),
    ("Pc", "f", "=", "10"),
    ("Pl", "f", "=", "10"),
)
COLOUR_PANELS = frozenset("ymc")


def _binary(panels: tuple[PrintPanel, ...]) -> bytes:
    data = b"".join(command("Db", p.name, str(p.levels), payload=p.data) for p in panels)
    return b"<BINARY Size=%d>" % len(data) + data + b"</BINARY>"


def _blocks(panels: tuple[PrintPanel, ...]) -> list[bytes]:
    """The face's panels in `<BINARY>` blocks: y, m and c together, k and o each alone."""
    colour = tuple(panel for panel in panels if panel.name in COLOUR_PANELS)
    others = [_binary((panel,)) for panel in panels if panel.name not in COLOUR_PANELS]
    return [_binary(colour), *others] if colour else others


def _face(side: str, panels: tuple[PrintPanel, ...]) -> bytes:
    return b"".join(
        [
            command("Psync", "9", "1"),
            b"<FACE>",
            command("Psync", "9", "0"),
            command(side),
            *(command(*fields) for fields in FACE_SETTINGS),
            *_blocks(panels),
            command("Psync", "10", "1"),
            b"</FACE>",
            command("Psync", "10", "0"),
        ]
    )


def card_job(panels: CardPanels, ribbon: int, epoch: int) -> bytes:
    """Part 1: the whole card, from the header to `Se` and the end of the document; `ribbon`
    is the ribbon's type code (`COLOUR_RIBBONS`)."""
    header = [
        command("Psync", "1", "0"),
        b"<HEADER>",
        command("Psmgr", "1"),
        command("Ppws", str(epoch)),
        command("Pcla", "1"),
        command("Ppmode", "0"),
        command("Pr", str(ribbon), "t"),
        command("Pwres", "300", "300", str(ribbon)),
        *(command(*fields) for fields in PRINT_SETTINGS),
        command("Psync", "2"),
        b"</HEADER>",
        command("Psync", "12", "1"),
        b"<OPTION Dpi=300x300>",
        command("Psync", "13", "0"),
        b"</OPTION>",
        command("Psync", "3", "1"),
        b"<DOC Duplex=%d>" % (1 if panels.back else 0),
        command("Psync", "3", "0"),
        command("Psync", "5", "1"),
        b"<CARD>",
        command("Psync", "5", "0"),
        command("Ss"),
        command("Mr", "s"),
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
