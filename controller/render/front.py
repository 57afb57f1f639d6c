"""The front of the card, laid out like an Indonesian e-KTP (landscape, 1016 × 648 at 300 dpi).

Left: the province and regency centred as a header, the NIK in large bold type, then label and
value rows. Right: the photo, the place and date of issue, and the holder's signature. The
name, the place and date of birth, and the address may take two lines each; the rows below
them move down.
"""

from __future__ import annotations

import math
from functools import cache

from PIL import Image, ImageDraw

from .fields import shown
from .fonts import font
from .sheet import Sheet

WIDTH, HEIGHT = 1016, 648
MARGIN = 24

HEADER_FONT = font(30, bold=True)
NIK_FONT = font(38, bold=True)
ROW_FONT = font(23)
SMALL_FONT = font(19)

HEADER_BASELINES = (46, 84)
NIK_BASELINE = 142
NIK_VALUE_X = 176
FIRST_ROW_BASELINE = 186
ROW_PITCH = 30
LABEL_X, SUB_LABEL_X, COLON_X, VALUE_X = MARGIN, MARGIN + 22, 252, 268
VALUE_WIDTH = 758 - VALUE_X
BLOOD_LABEL_X, BLOOD_COLON_X, BLOOD_VALUE_X = 500, 632, 648

PHOTO_BOX = (780, 112, 216, 288)
SIDE_X, SIDE_WIDTH = 768, 240
SIDE_FIRST_BASELINE, SIDE_PITCH = 428, 24
SIGNATURE_BOX = (780, 500, 216, 120)

TINT_TOP = (222, 238, 250)
TINT_BOTTOM = (184, 216, 240)
GUILLOCHE = (238, 246, 252)
GUILLOCHE_SPACING = 22


def layout_front(values: dict[str, str]) -> Sheet:
    """Lay out the front's text; problems name the fields that do not fit."""
    sheet = Sheet()
    header_box = (MARGIN, 0, WIDTH - 2 * MARGIN)
    for baseline, text, name in zip(
        HEADER_BASELINES,
        (f"PROVINSI {values['province']}", values["regency"]),
        ("province", "regency"),
        strict=True,
    ):
        sheet.text(
            name, text, HEADER_FONT, (header_box[0], baseline, header_box[2]), align="centre"
        )

    sheet.label("NIK", NIK_FONT, LABEL_X, NIK_BASELINE)
    sheet.label(":", NIK_FONT, NIK_VALUE_X - 26, NIK_BASELINE)
    sheet.text("nik", values["nik"], NIK_FONT, (NIK_VALUE_X, NIK_BASELINE, VALUE_WIDTH))

    birth = f"{values['birth_place']}, {shown(values, 'birth_date')}"
    rows: tuple[tuple[str, str, str, int], ...] = (
        ("Nama", "name", values["name"], 2),
        ("Tempat/Tgl Lahir", "birth_place", birth, 2),
        ("Jenis Kelamin", "sex", shown(values, "sex"), 1),
        ("Alamat", "address", values["address"], 2),
        ("RT/RW", "rt_rw", values["rt_rw"], 1),
        ("Kel/Desa", "village", values["village"], 1),
        ("Kecamatan", "district", values["district"], 1),
        ("Agama", "religion", values["religion"], 1),
        ("Status Perkawinan", "marital_status", values["marital_status"], 1),
        ("Pekerjaan", "occupation", values["occupation"], 1),
        ("Kewarganegaraan", "nationality", values["nationality"], 1),
        ("Berlaku Hingga", "valid_until", shown(values, "valid_until"), 1),
    )
    baseline = FIRST_ROW_BASELINE
    for label, name, text, max_lines in rows:
        indented = name in ("rt_rw", "village", "district")
        sheet.label(label, ROW_FONT, SUB_LABEL_X if indented else LABEL_X, baseline)
        sheet.label(":", ROW_FONT, COLON_X, baseline)
        width = BLOOD_LABEL_X - VALUE_X - 12 if name == "sex" else VALUE_WIDTH
        box = (VALUE_X, baseline, width)
        used = sheet.text(name, text, ROW_FONT, box, max_lines=max_lines, pitch=ROW_PITCH)
        if name == "sex":
            sheet.label("Gol. Darah", ROW_FONT, BLOOD_LABEL_X, baseline)
            sheet.label(":", ROW_FONT, BLOOD_COLON_X, baseline)
            sheet.label(values["blood_type"], ROW_FONT, BLOOD_VALUE_X, baseline)
        baseline += used * ROW_PITCH

    side = (SIDE_X, SIDE_FIRST_BASELINE, SIDE_WIDTH)
    used = sheet.text(
        "issued_place",
        values["issued_place"],
        SMALL_FONT,
        side,
        max_lines=2,
        pitch=SIDE_PITCH,
        align="centre",
    )
    date_box = (SIDE_X, SIDE_FIRST_BASELINE + used * SIDE_PITCH, SIDE_WIDTH)
    sheet.text("issued_date", shown(values, "issued_date"), SMALL_FONT, date_box, align="centre")
    return sheet


@cache
def background() -> Image.Image:
    """The light blue tint: a top-to-bottom gradient crossed by faint wavy guilloche lines."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    for y in range(HEIGHT):
        t = y / (HEIGHT - 1)
        colour = tuple(
            round(top + (bottom - top) * t)
            for top, bottom in zip(TINT_TOP, TINT_BOTTOM, strict=True)
        )
        draw.line([(0, y), (WIDTH - 1, y)], fill=colour)
    for offset in range(-HEIGHT, HEIGHT, GUILLOCHE_SPACING):
        points = [(x, offset + x * 0.35 + 14 * math.sin(x / 37)) for x in range(0, WIDTH + 8, 8)]
        draw.line(points, fill=GUILLOCHE, width=1)
    return image


def paste_centred(
    card: Image.Image,
    picture: Image.Image,
    box: tuple[int, int, int, int],
    mask: Image.Image | None = None,
) -> None:
    """Paste `picture` (already scaled to fit) centred in `box` = (x, y, width, height)."""
    x, y, width, height = box
    position = (x + (width - picture.width) // 2, y + (height - picture.height) // 2)
    if mask is None:
        card.paste(picture, position)
    else:
        card.paste(picture, position, mask)
