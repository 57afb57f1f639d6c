"""Field checks: values that cannot be printed whole are refused, never clipped."""

from __future__ import annotations

import pytest

from controller.render import FIELD_MAX_CHARS, RenderError, field_problems, render_card
from controller.render.fields import TEXT_FIELDS

from .samples import PICTURES, sample_card, typical_text


def problem_fields(card: dict) -> list[str]:
    return [name for name, _ in field_problems(card)]


def test_the_sample_card_has_no_problems() -> None:
    assert field_problems(sample_card()) == []


def test_every_text_field_has_a_limit() -> None:
    assert set(FIELD_MAX_CHARS) == set(TEXT_FIELDS)


@pytest.mark.parametrize(
    "name",
    [
        "name",
        "birth_place",
        "address",
        "rt_rw",
        "village",
        "district",
        "regency",
        "province",
        "religion",
        "marital_status",
        "occupation",
        "nationality",
        "valid_until",
        "issued_place",
    ],
)
def test_typical_text_at_the_character_limit_fits(name: str) -> None:
    assert field_problems(sample_card(**{name: typical_text(FIELD_MAX_CHARS[name])})) == []


@pytest.mark.parametrize("name", ["name", "address", "village", "issued_place"])
def test_one_character_over_the_limit_is_refused(name: str) -> None:
    card = sample_card(**{name: typical_text(FIELD_MAX_CHARS[name] + 1)})
    assert field_problems(card) == [(name, f"is longer than {FIELD_MAX_CHARS[name]} characters")]


def test_a_name_of_wide_letters_within_the_limit_is_measured_and_refused() -> None:
    name = " ".join(["MMMMMMMM", "WWWWWWWW"] * 3)
    assert len(name) <= FIELD_MAX_CHARS["name"]
    (problem,) = field_problems(sample_card(name=name))
    assert problem[0] == "name"
    assert "needs 3 lines" in problem[1]


def test_a_too_long_address_is_refused() -> None:
    address = "JL. MMMMMMMMMM WWWWWWWWW MMMMMMMMM WWWWWWWWWW MMMM NO. 1000"
    assert len(address) <= FIELD_MAX_CHARS["address"]
    assert problem_fields(sample_card(address=address)) == ["address"]


def test_a_word_wider_than_its_box_is_refused() -> None:
    (problem,) = field_problems(sample_card(name="W" * 40))
    assert problem[0] == "name"
    assert "word wider" in problem[1]


def test_a_too_wide_single_line_field_is_refused() -> None:
    village = "WWWWWWWWWW WWWWWWWWWW WWWWWWW"
    assert len(village) <= FIELD_MAX_CHARS["village"]
    assert problem_fields(sample_card(village=village)) == ["village"]


def test_problems_never_quote_the_value() -> None:
    name = "MMMMMMMM WWWWWWWW MMMMMMMM WWWWWWWW MMMMMMMM WWWWWWWW"
    for field, problem in field_problems(sample_card(name=name, address="X" * 100)):
        assert "MMMM" not in problem and "XXXX" not in problem, (field, problem)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": None}, ("name", "is missing")),
        ({"name": 42}, ("name", "must be a string")),
        ({"name": "   "}, ("name", "is empty")),
        ({"name": "SITI\nRAHAYU"}, ("name", "has a control or non-printable character")),
        ({"name": "SITI 一"}, ("name", "has a character the card font cannot print")),
        ({"birth_date": "23-01-1990"}, ("birth_date", "must be a date YYYY-MM-DD")),
        ({"issued_date": "2026-02-30"}, ("issued_date", "must be a date YYYY-MM-DD")),
        ({"sex": "X"}, ("sex", "must be L or P")),
        ({"blood_type": "C"}, ("blood_type", "must be one of A, B, AB, O, -")),
    ],
)
def test_malformed_values_are_reported(changes: dict, expected: tuple[str, str]) -> None:
    assert field_problems(sample_card(**changes)) == [expected]


def test_a_missing_key_is_reported() -> None:
    card = sample_card()
    del card["rt_rw"]
    assert field_problems(card) == [("rt_rw", "is missing")]


def test_rendering_a_card_that_does_not_fit_raises_with_every_problem() -> None:
    card = sample_card(name=" ".join(["MMMMMMMM", "WWWWWWWW"] * 3), sex="X")
    with pytest.raises(RenderError) as raised:
        render_card(card, *PICTURES)
    assert [name for name, _ in raised.value.problems] == ["sex", "name"]
    assert "name: needs 3 lines" in str(raised.value)


def test_real_long_values_fit() -> None:
    card = sample_card(
        province="DAERAH KHUSUS IBUKOTA JAKARTA",
        regency="KABUPATEN ADM. KEPULAUAN SERIBU",
        birth_place="TANJUNG BALAI KARIMUN",
        religion="KEPERCAYAAN TERHADAP TUHAN YME",
        marital_status="KAWIN BELUM TERCATAT",
        occupation="ANGGOTA DPRD KABUPATEN/KOTA",
        issued_place="KAB. TANJUNG JABUNG TIMUR",
        valid_until="2031-01-23",
    )
    assert field_problems(card) == []
