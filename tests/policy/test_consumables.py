"""Low/empty alert rules and the "can this card finish" check."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from contract.vocabulary import Consumable
from controller.policy.consumables import can_finish_card, empty_alert, empty_reasons, low_alert


def test_names_are_the_contract_names() -> None:
    assert [c.value for c in Consumable] == ["cards", "ribbon", "film"]


def test_low_fires_once_at_the_threshold_and_rearms_only_above_the_hysteresis() -> None:
    low = False
    emitted = []
    for remaining in [12, 11, 10, 9, 8, 12, 15, 14, 10, 16, 10, 9]:
        emit, low = low_alert(remaining, threshold=10, already_low=low, hysteresis=5)
        emitted.append(emit)
    assert [i for i, emit in enumerate(emitted) if emit] == [2, 10]
    assert low


@given(
    st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=40),
    st.integers(min_value=0, max_value=20),
    st.integers(min_value=0, max_value=10),
)
def test_low_alerts_match_the_crossings(counts: list[int], threshold: int, hysteresis: int) -> None:
    low = False
    for remaining in counts:
        armed = not low
        emit, low = low_alert(remaining, threshold, low, hysteresis)
        assert emit == (armed and remaining <= threshold)
        assert low == (
            remaining <= threshold or (not armed and remaining <= threshold + hysteresis)
        )


def test_empty_fires_when_reaching_zero_from_above() -> None:
    assert empty_alert(1, 0)
    assert not empty_alert(0, 0)
    assert not empty_alert(5, 4)
    assert not empty_alert(0, 3)


def test_a_card_can_finish_only_with_every_consumable_at_one_or_more() -> None:
    assert can_finish_card({"cards": 1, "ribbon": 1, "film": 1})
    assert not can_finish_card({"cards": 0, "ribbon": 5, "film": 5})
    assert not can_finish_card({"cards": 5, "ribbon": 5})
    assert empty_reasons({"cards": 0, "ribbon": 5}) == ["cards_empty", "film_empty"]
    assert empty_reasons({"cards": 3, "ribbon": -1, "film": 2}) == ["ribbon_empty"]
    # A printer without a film (direct to card): the film is not needed to start.
    assert empty_reasons({"cards": 3, "ribbon": 2}, {"cards", "ribbon"}) == []
    assert empty_reasons({"cards": 0, "ribbon": 2}, {"cards", "ribbon"}) == ["cards_empty"]
