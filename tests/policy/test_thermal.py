"""The head model: defaults, validation, closed form against brute force, clock jumps."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.policy.thermal import ThermalModel

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
US = timedelta(microseconds=1)


def replay(model: ThermalModel, starts: list[datetime], at: datetime) -> float:
    """Independent replay: heat of starts after `at` has not decayed at all."""
    total = model.ambient_c
    for s in starts:
        age = max(0.0, (at - s).total_seconds())
        total += model.heat_per_card_c * math.exp(-age / model.cooling_tau_s)
    return total


def fits(model: ThermalModel, starts: list[datetime], at: datetime) -> bool:
    return replay(model, starts, at) + model.heat_per_card_c <= model.max_head_c


def test_defaults_allow_ten_back_to_back_from_cold_and_not_eleven() -> None:
    model = ThermalModel()
    burst = [NOW] * 10
    assert model.earliest_start(burst[:9], NOW) == NOW
    assert model.head_temp(burst, NOW) == pytest.approx(model.max_head_c)
    assert model.earliest_start(burst, NOW) > NOW


def test_defaults_sustain_one_card_about_every_fifty_seconds() -> None:
    model = ThermalModel()
    starts: list[datetime] = []
    at = NOW
    for _ in range(200):
        at = model.earliest_start(starts, at)
        starts.append(at)
    gaps = [(b - a).total_seconds() for a, b in zip(starts[-20:], starts[-19:], strict=False)]
    assert all(40 <= g <= 60 for g in gaps)
    assert gaps[-1] == pytest.approx(480 * math.log(10 / 9), abs=1e-5)


def test_cooling_follows_the_exponential() -> None:
    model = ThermalModel()
    later = NOW + timedelta(seconds=model.cooling_tau_s)
    assert model.head_temp([NOW], later) == pytest.approx(25 + 6 / math.e)
    assert model.head_temp([], later) == model.ambient_c


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"heat_per_card_c": 61.0}, "heat_per_card_c"),
        ({"heat_per_card_c": 60.0}, "heat_per_card_c"),
        ({"max_head_c": 20.0}, "heat_per_card_c"),
        ({"cooling_tau_s": 0.0}, "cooling_tau_s"),
        ({"heat_per_card_c": 0.0}, "heat_per_card_c"),
        ({"ambient_c": math.nan}, "finite"),
    ],
)
def test_impossible_parameters_are_a_config_error(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ThermalModel(**kwargs)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ThermalModel().earliest_start([], NOW.replace(tzinfo=None))


def test_a_backward_clock_jump_does_not_allow_a_burst() -> None:
    model = ThermalModel()
    burst = [NOW] * 10
    normal = model.earliest_start(burst, NOW)
    for back in (timedelta(seconds=1), timedelta(hours=1), timedelta(days=2)):
        assert model.head_temp(burst, NOW - back) == pytest.approx(model.max_head_c)
        assert model.earliest_start(burst, NOW - back) == normal
    exact = NOW + timedelta(seconds=480 * math.log(10 / 9))
    assert abs(normal - exact) <= US


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(min_value=-3600, max_value=600), max_size=15),
    st.integers(min_value=0, max_value=7200),
)
def test_the_head_never_looks_cooler_after_the_clock_went_back(
    offsets: list[int], back: int
) -> None:
    model = ThermalModel()
    starts = [NOW + timedelta(seconds=o) for o in offsets]
    earlier = NOW - timedelta(seconds=back)
    assert model.head_temp(starts, earlier) >= model.head_temp(starts, NOW) - 1e-12


quarter = st.integers(min_value=0, max_value=400).map(lambda q: q / 4)


@st.composite
def models_and_histories(draw: st.DrawFn) -> tuple[ThermalModel, list[datetime]]:
    ambient = draw(st.integers(min_value=40, max_value=140).map(lambda q: q / 4))
    headroom = draw(st.integers(min_value=8, max_value=320).map(lambda q: q / 4))
    heat = draw(st.integers(min_value=1, max_value=int(headroom * 4) - 1).map(lambda q: q / 4))
    tau = draw(st.integers(min_value=30, max_value=600))
    model = ThermalModel(ambient, heat, float(tau), ambient + headroom)
    offsets = draw(
        st.lists(st.integers(min_value=-3_000_000_000, max_value=300_000_000), max_size=12)
    )
    return model, [NOW + timedelta(microseconds=o) for o in offsets]


@settings(max_examples=150, deadline=None)
@given(models_and_histories())
def test_closed_form_matches_a_brute_force_search(
    case: tuple[ThermalModel, list[datetime]],
) -> None:
    model, starts = case
    found = model.earliest_start(starts, NOW)
    assert found >= NOW
    assert replay(model, [*starts, found], found) <= model.max_head_c + 1e-9
    assert model.head_temp([*starts, found], found) <= model.max_head_c + 1e-9
    if found > NOW:
        assert not fits(model, starts, found - 2 * US)
    step = timedelta(seconds=model.cooling_tau_s / 500)
    grid = NOW
    while not fits(model, starts, grid):
        grid += step
    assert grid - step < found <= grid + US
