"""The kill matrix's requirement coverage: how many of a profile's MUST requirements have a fault of
their own, a reference-server fault written to break that requirement alone (its expectation names
it and nothing else). A requirement without one is checked only against bugs that other requirements
catch as well, so a weakened check of it could go unnoticed.

The figure comes from the fault data; a matrix run says which of those faults it ran and killed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from conformance import catalogue, profiles
from conformance.reference.faults import Fault, registry


@dataclass(frozen=True)
class Coverage:
    profile: str
    must: tuple[str, ...]  # the profile's MUST requirements, in catalogue order
    dedicated: Mapping[str, tuple[str, ...]]  # requirement -> the faults written for it alone

    @property
    def covered(self) -> tuple[str, ...]:
        return tuple(r for r in self.must if self.dedicated.get(r))

    @property
    def uncovered(self) -> tuple[str, ...]:
        return tuple(r for r in self.must if not self.dedicated.get(r))

    @property
    def ratio(self) -> float:
        return len(self.covered) / len(self.must) if self.must else 1.0

    def confirmed(self, killed: Iterable[str]) -> tuple[str, ...]:
        """The covered requirements one of whose dedicated faults is among ``killed``."""
        done = set(killed)
        return tuple(r for r in self.covered if done & set(self.dedicated[r]))

    def line(self, killed: Iterable[str] | None = None) -> str:
        text = (
            f"requirement coverage ({self.profile}): {len(self.covered)}/{len(self.must)} MUST requirements "
            f"({self.ratio:.1%}) have a fault of their own"
        )
        if killed is not None:
            text += f"; {len(self.confirmed(killed))} of them killed by it in this run"
        if self.uncovered:
            text += f"; without one: {', '.join(self.uncovered)}"
        return text


def coverage(profile: str = profiles.TIMEBACK, faults: Iterable[Fault] | None = None) -> Coverage:
    """``profile``'s coverage by ``faults`` (default: the registry's for the profile)."""
    profile = profiles.resolve(profile)
    must = tuple(rid for rid, r in catalogue.catalogue(profile).items() if r.level == "MUST")
    dedicated: dict[str, list[str]] = {}
    for fault in registry(profile).values() if faults is None else faults:
        expected = fault.expect(profile)
        if fault.harmful and len(expected) == 1:
            dedicated.setdefault(expected[0], []).append(fault.name)
    return Coverage(profile, must, {rid: tuple(names) for rid, names in dedicated.items()})
