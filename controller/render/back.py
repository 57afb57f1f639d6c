"""The back of the card: black only, a title, the owner's notice and the issue line."""

from __future__ import annotations

from PIL import Image, ImageDraw

from .fields import shown
from .fonts import font
from .sheet import Sheet

WIDTH, HEIGHT = 1016, 648
MARGIN = 48
TEXT_WIDTH = WIDTH - 2 * MARGIN

TITLE_FONT = font(34, bold=True)
NOTICE_FONT = font(24)
ISSUE_FONT = font(22, bold=True)

TITLE = ("REPUBLIK INDONESIA", "KARTU TANDA PENDUDUK ELEKTRONIK")
NOTICE = (
    "Kartu ini milik Pemerintah Republik Indonesia.",
    "Barang siapa menemukan kartu ini harap mengembalikannya",
    "kepada Dinas Kependudukan dan Pencatatan Sipil setempat.",
    "Kartu ini berlaku di seluruh wilayah Republik Indonesia.",
)
TITLE_BASELINES = (120, 166)
NOTICE_FIRST_BASELINE, NOTICE_PITCH = 276, 36
RULE_Y = 500
ISSUE_BASELINES = (552, 590)


def layout_back(values: dict[str, str]) -> Sheet:
    """Lay out the back's text; problems name the fields that do not fit."""
    sheet = Sheet()
    centre = WIDTH // 2
    for baseline, text in zip(TITLE_BASELINES, TITLE, strict=True):
        sheet.label(text, TITLE_FONT, centre, baseline, align="centre")
    for index, text in enumerate(NOTICE):
        baseline = NOTICE_FIRST_BASELINE + index * NOTICE_PITCH
        sheet.label(text, NOTICE_FONT, centre, baseline, align="centre")
    nik_line = f"NIK {values['nik']}"
    issue_line = f"Diterbitkan di {values['issued_place']}, {shown(values, 'issued_date')}"
    for baseline, name, text in zip(
        ISSUE_BASELINES, ("nik", "issued_place"), (nik_line, issue_line), strict=True
    ):
        sheet.text(name, text, ISSUE_FONT, (MARGIN, baseline, TEXT_WIDTH), align="centre")
    return sheet


def draw_back(sheet: Sheet) -> Image.Image:
    """The back as a greyscale image: black text and a rule on white."""
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle([MARGIN, 40, WIDTH - MARGIN - 1, 43], fill=0)
    draw.rectangle([MARGIN, RULE_Y, WIDTH - MARGIN - 1, RULE_Y + 1], fill=0)
    sheet.draw(draw, 0)
    return image
