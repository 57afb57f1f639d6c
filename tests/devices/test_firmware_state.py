"""The virtual printer's files: state.json, cards.jsonl, their agreement after a crash, PNGs."""

from __future__ import annotations

import json
import os

from PIL import Image

from evolis_wire.panels import PANEL_WIDTH, PLANE_BYTES, panel_size
from firmware.state import CardRecord, PrinterState, StateStore


def _print(printer, front: bytes, back: bytes | None = None) -> int:
    """Stream one card; the printer's card counter after it."""
    commands = [b"Ss", b"Sr", b"Db;k;2;" + front]
    if back is not None:
        commands += [b"Sv", b"Db;k;2;" + back]
    assert printer.feed(b"".join(b"\x1b" + c + b"\r" for c in [*commands, b"Se"])) == []
    return printer.state.card_counter


def test_first_start_loads_the_constructor_consumables_once(make_printer):
    first = make_printer(cards=10, ribbon=20, film=30)
    assert first.state == PrinterState.loaded(10, 20, 30)
    assert _print(first, bytes(panel_size(2))) == 1
    again = make_printer(cards=99, ribbon=99, film=99)
    # A Primacy prints direct to the card: its film (none) is not used.
    assert (again.state.cards, again.state.ribbon, again.state.film) == (9, 19, 30)
    assert again.state.card_counter == 1
    stored = json.loads((again.directory / "state.json").read_text())
    assert stored["card_counter"] == 1


def test_a_crash_between_the_log_line_and_the_state_file_is_replayed(state_dir):
    store = StateStore(state_dir / "virtual-printer")
    state = store.load(PrinterState.loaded(5, 5, 5))
    store.append(CardRecord(1, "printed", "a" * 64, "2026-11-22T01:00:00Z", 6))
    store.append(CardRecord(2, "spoiled", "b" * 64, "2026-11-22T01:01:00Z", 6))
    # The process died before saving the state: state.json still says counter 0.
    assert json.loads(store.state_path.read_text())["card_counter"] == 0

    recovered = StateStore(state_dir / "virtual-printer").load(state)
    assert recovered.card_counter == 2
    assert (recovered.cards, recovered.ribbon, recovered.film) == (3, 3, 3)
    assert recovered.panels_printed == 12 and recovered.reject_box == 1
    assert json.loads(store.state_path.read_text())["card_counter"] == 2


def test_a_torn_last_line_is_cut_before_appending(state_dir):
    store = StateStore(state_dir / "virtual-printer")
    store.load(PrinterState.loaded(5, 5, 5))
    store.append(CardRecord(1, "printed", "a" * 64, "2026-11-22T01:00:00Z", 1))
    with open(store.log_path, "ab") as handle:
        handle.write(b'{"counter":2,"res')
    state = store.load(PrinterState())
    assert state.card_counter == 1
    store.append(CardRecord(2, "printed", "c" * 64, "2026-11-22T01:02:00Z", 1))
    assert [r.counter for r in store.records()] == [1, 2]


def test_reloads_are_stored(make_printer):
    printer = make_printer(cards=3)
    assert printer.feed(b"\x1bXrl;cards;100;200\r")[0].startswith(b"OK\x00")
    assert make_printer().state.cards == 100
    assert make_printer().state.cards_capacity == 200


def _plane(pixel_on) -> bytes:
    """One bit-plane with the pixels where pixel_on(x, y) holds set."""
    image = Image.new("1", (PANEL_WIDTH, 1016), 0)
    image.putdata(
        [1 if pixel_on(i % PANEL_WIDTH, i // PANEL_WIDTH) else 0 for i in range(PANEL_WIDTH * 1016)]
    )
    data = image.tobytes()
    assert len(data) == PLANE_BYTES
    return data


def test_saved_pictures_show_the_panels(make_printer, tmp_path):
    printer = make_printer(save_cards=tmp_path / "cards")
    left_half = _plane(lambda x, y: x < PANEL_WIDTH // 2)
    # Cyan at 256 levels, level 255 everywhere, on the front.
    commands = [b"Ss", b"Sr", b"Db;c;256;" + b"\xff" * panel_size(256), b"Db;k;2;" + left_half]
    commands += [b"Sv", b"Db;k;2;" + left_half, b"Se"]
    printer.feed(b"".join(b"\x1b" + command + b"\r" for command in commands))
    front = Image.open(tmp_path / "cards" / "000001-front.png")
    back = Image.open(tmp_path / "cards" / "000001-back.png")
    assert front.size == back.size == (1016, PANEL_WIDTH)  # landscape
    # Panel column x becomes picture row (width - 1 - x) after a quarter turn anticlockwise.
    assert front.getpixel((500, PANEL_WIDTH - 1 - 10)) == (0, 0, 0)  # k over cyan
    assert front.getpixel((500, PANEL_WIDTH - 1 - 600)) == (0, 255, 255)  # cyan only
    assert back.getpixel((500, PANEL_WIDTH - 1 - 600)) == (255, 255, 255)


def test_saved_training_pictures_expire(make_printer, tmp_path, clock):
    """Issue 15, item 4: training-mode card pictures (a face and a name) stayed forever."""
    cards = tmp_path / "cards"
    cards.mkdir()
    now = clock.now().timestamp()
    old, fresh = cards / "000001-front.png", cards / "000002-front.png"
    for path, age_s in ((old, 7200), (fresh, 60)):
        path.write_bytes(b"png")
        os.utime(path, (now - age_s, now - age_s))
    printer = make_printer(save_cards=cards, keep_cards_s=3600)
    assert not old.exists() and fresh.exists()  # at start
    clock.advance(3600)
    commands = (b"Ss", b"Sr", b"Db;k;2;" + _plane(lambda x, y: True), b"Se")
    printer.feed(b"".join(b"\x1b" + command + b"\r" for command in commands))
    assert not fresh.exists()  # at the next card
    assert [p.name for p in cards.iterdir()] == ["000001-front.png"]  # the new card only


def test_a_printer_without_a_film_replays_its_log_without_one(state_dir):
    store = StateStore(state_dir / "virtual-printer", film=False)
    state = store.load(PrinterState.loaded(5, 5, 5))
    store.append(CardRecord(1, "printed", "a" * 64, "2026-11-22T01:00:00Z", 7))
    recovered = StateStore(state_dir / "virtual-printer", film=False).load(state)
    assert (recovered.card_counter, recovered.cards, recovered.ribbon) == (1, 4, 4)
    assert recovered.film == 5  # a Primacy prints direct to the card
