"""Injected faults of the virtual printer: what goes wrong, at which card, for how long.

A fault is `{at_card, kind, seconds}`; `at_card` is the printer's card counter of the card it
concerns (1 for the first card the printer ever takes). Each fault fires at most once per
printer instance (a restarted station re-arms faults whose card has not been reached yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from contract.vocabulary import FaultKind

# Faults that act when the host starts card N (before it is fed) and those that act on card N
# itself, once it is fed; of these, the ones that spoil it (the first one present is the
# card's logged `fault`).
BEFORE_CARD = frozenset({FaultKind.COVER_OPEN, FaultKind.OVERHEAT})
ON_CARD = frozenset({FaultKind.JAM, FaultKind.RIBBON_BREAK, FaultKind.UNPLUG})
SPOILING = (FaultKind.JAM, FaultKind.RIBBON_BREAK)


class FaultLike(Protocol):
    """Anything with the three fault fields, e.g. the station config's fault entries."""

    at_card: int
    kind: str
    seconds: float


@dataclass(frozen=True)
class FaultSpec:
    at_card: int
    kind: FaultKind
    seconds: float = 0.0

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", FaultKind(self.kind))
        except ValueError:
            kinds = ", ".join(FaultKind)
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {kinds}") from None
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
        else:
            at_card, kind, seconds = value.at_card, value.kind, value.seconds
        return cls(int(at_card), cast(FaultKind, str(kind)), float(seconds))


@dataclass
class FaultPlan:
    """The configured faults, and which of them have fired."""

    faults: tuple[FaultSpec, ...] = ()
    _fired: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, faults: Iterable[FaultSpec | FaultLike | Mapping[str, Any]]) -> FaultPlan:
        return cls(tuple(FaultSpec.coerce(fault) for fault in faults))

    def fire(self, card: int, kinds: frozenset[FaultKind]) -> list[FaultSpec]:
        """The not yet fired faults of `kinds` for card `card`, now marked fired."""
        fired = []
        for index, fault in enumerate(self.faults):
            if fault.at_card == card and fault.kind in kinds and index not in self._fired:
                self._fired.add(index)
                fired.append(fault)
        return fired
