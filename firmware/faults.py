"""Injected faults of the virtual printer: what goes wrong, at which card, when, for how long.

A fault is `{at_card, kind, seconds, stage}`; `at_card` is the printer's card counter of the
card it concerns (1 for the first card the printer ever takes); `stage` (`FaultStage`) when it
strikes: before the card (the job cannot start: a condition that lasts `seconds`), on the card
once fed (spoiled before the claim is raised), or after the host released the card's claim
(spoiled while it prints). Each fault fires at most once per printer instance (a restarted
station re-arms faults whose card has not been reached yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from contract.vocabulary import FaultKind, FaultStage

K = FaultKind
# The kinds each stage takes; a kind's default stage is the first that takes it.
STAGE_KINDS: dict[FaultStage, frozenset[FaultKind]] = {
    FaultStage.BEFORE_CARD: frozenset({K.COVER_OPEN, K.OVERHEAT, K.FEEDER_EMPTY, K.RIBBON_END}),
    FaultStage.ON_CARD: frozenset({K.JAM, K.RIBBON_BREAK, K.RIBBON_END, K.COVER_OPEN, K.UNPLUG}),
    FaultStage.AFTER_RELEASE: frozenset({K.JAM, K.RIBBON_BREAK, K.RIBBON_END, K.COVER_OPEN}),
}
# The kinds that spoil a fed card (the first one present is the card's logged `fault`).
SPOILING = (K.JAM, K.RIBBON_BREAK, K.RIBBON_END, K.COVER_OPEN)


class FaultLike(Protocol):
    """Anything with the three fault fields, e.g. the station config's fault entries."""

    at_card: int
    kind: str
    seconds: float
    stage: str | None


@dataclass(frozen=True)
class FaultSpec:
    at_card: int
    kind: FaultKind
    seconds: float = 0.0
    stage: FaultStage | None = None  # None: the kind's default stage

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", FaultKind(self.kind))
        except ValueError:
            kinds = ", ".join(FaultKind)
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {kinds}") from None
        if self.stage is None:
            stage = next(stage for stage, kinds in STAGE_KINDS.items() if self.kind in kinds)
            object.__setattr__(self, "stage", stage)
        try:
            object.__setattr__(self, "stage", FaultStage(self.stage))
        except ValueError:
            raise ValueError(f"unknown fault stage {self.stage!r}") from None
        if self.kind not in STAGE_KINDS[FaultStage(self.stage)]:
            raise ValueError(f"a {self.kind} fault cannot strike at stage {self.stage}")
        if self.at_card < 1:
            raise ValueError(f"fault at_card must be 1 or more, got {self.at_card}")
        if self.seconds < 0:
            raise ValueError(f"fault seconds must be 0 or more, got {self.seconds}")

    @classmethod
    def coerce(cls, value: FaultSpec | FaultLike | Mapping[str, Any]) -> FaultSpec:
        """A fault from a dict `{at_card, kind, seconds}` or an object with those attributes."""
        if isinstance(value, FaultSpec):
            return value
        if isinstance(value, Mapping):
            at_card, kind, seconds = value["at_card"], value["kind"], value.get("seconds", 0.0)
            stage = value.get("stage")
        else:
            at_card, kind, seconds = value.at_card, value.kind, value.seconds
            stage = value.stage or None
        return cls(
            int(at_card), cast(FaultKind, str(kind)), float(seconds), cast(FaultStage, stage)
        )


@dataclass
class FaultPlan:
    """The configured faults, and which of them have fired."""

    faults: tuple[FaultSpec, ...] = ()
    _fired: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, faults: Iterable[FaultSpec | FaultLike | Mapping[str, Any]]) -> FaultPlan:
        return cls(tuple(FaultSpec.coerce(fault) for fault in faults))

    def fire(self, card: int, stage: FaultStage) -> list[FaultSpec]:
        """The not yet fired faults of `stage` for card `card`, now marked fired."""
        fired = []
        for index, fault in enumerate(self.faults):
            if fault.at_card == card and fault.stage == stage and index not in self._fired:
                self._fired.add(index)
                fired.append(fault)
        return fired
