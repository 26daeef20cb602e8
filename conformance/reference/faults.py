"""The reference server's fault switches: named, plausible vendor bugs (and harmless variations).

Each fault is described once, in ``faults.toml`` beside this module (what it does, where it
applies, which requirement must catch it, whether CI runs it), and implemented at exactly one
decisive spot in the server, guarded by ``faults.on("name")``. ``harmful`` faults break a
documented requirement, so the suite must fail them; benign ones (``harmful=False``) vary only what
the sources leave open or what any correct client must tolerate, so the suite must still pass them.
``serve --fault a,b`` switches them on.

A fault belongs to the profiles (dialects) where it means something: PowerPath, PATCH and
TimeBack's page fields exist in one dialect only, and what is benign in one may break the other
(an ``X-Total-Count`` header is optional in TimeBack, required in the official binding). A fault
shared by both dialects is the same bug in each dialect's shapes; ``wording`` words it for a
profile whose shapes its first description would misdescribe.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from conformance import catalogue, profiles
from conformance.contract.operations import ENTITY

DATA = "faults.toml"
# The default profiles of a fault: the two it was written for. A later profile takes a fault only
# when the data names it, so a new dialect never inherits expectations nobody checked for it.
BOTH = (profiles.TIMEBACK, profiles.ONEEDTECH)


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    description: str
    category: str
    harmful: bool = True
    profiles: tuple[str, ...] = BOTH
    wording: tuple[tuple[str, str], ...] = ()  # (profile, description) where a profile's differs
    # (profile, requirement IDs) for each profile of a harmful fault: pairs, so the Fault stays hashable.
    expects: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ci: tuple[str, ...] = ()  # the profiles whose CI subset runs it
    # (profile, requirement IDs) for a benign fault that real clients still trip over: the SHOULD
    # requirements a run fails with it on, and no others (its MUST verdict stays conformant).
    shoulds: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def describe(self, profile: str | None = None) -> str:
        """What the fault does in ``profile`` (None: the default one)."""
        return dict(self.wording).get(profiles.resolve(profile), self.description)

    def expect(self, profile: str | None = None) -> tuple[str, ...]:
        """The requirement IDs a run in ``profile`` must fail with this fault on (none for a benign one)."""
        return dict(self.expects).get(profiles.resolve(profile), ())

    def should(self, profile: str | None = None) -> tuple[str, ...]:
        """The SHOULD requirement IDs a run in ``profile`` fails with this benign fault on."""
        return dict(self.shoulds).get(profiles.resolve(profile), ())

    def in_ci(self, profile: str | None = None) -> bool:
        return profiles.resolve(profile) in self.ci


class FaultDataError(ValueError):
    """The fault data breaks its own rules; the message is one line naming the fault."""


_KEYS = frozenset(
    {"category", "description", "wording", "harmful", "profiles", "expect", "should", "ci", "each_entity"}
)
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ENTITY_MARK = "{ENTITY}"  # in an each_entity template: the entity's singular name, upper-cased


def load(text: str, source: str = DATA) -> tuple[Fault, ...]:
    """The faults ``text`` (TOML, the format ``faults.toml`` documents) declares, in its order.

    Raises FaultDataError for anything a reader of the file could get wrong silently: an unknown key
    or profile, a harmful fault without an expectation for one of its profiles, a benign one with."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FaultDataError(f"{source}: {exc}") from None
    if set(raw) - {"fault"}:
        raise FaultDataError(f"{source}: unknown top-level key(s) {sorted(set(raw) - {'fault'})}")
    table = raw.get("fault", {})
    if not isinstance(table, dict) or not table:
        raise FaultDataError(f"{source}: no [fault.<name>] table")
    found: list[Fault] = []
    for name, entry in table.items():
        where = f"{source}: [fault.{name}]"
        fault = _fault(name, entry, where)
        found += [fault, *_per_entity(fault, entry.get("each_entity"), where)]
    return tuple(found)


def _per_entity(fault: Fault, template: Any, where: str) -> list[Fault]:
    """A fault's variants confined to one entity each (``<name>@<entity>``), each expected to be caught
    by that entity's own requirement: ``template`` with the entity for {ENTITY}. A variant applies to
    the fault's profiles whose catalogue has that requirement as a MUST."""
    if template is None:
        return []
    if not fault.harmful or not isinstance(template, str) or ENTITY_MARK not in template:
        raise FaultDataError(f"{where}: each_entity is a harmful fault's requirement ID template with {ENTITY_MARK}")
    variants = []
    for entity in ENTITY.values():
        requirement = template.replace(ENTITY_MARK, entity.singular.upper())
        applies = tuple(p for p in fault.profiles if _is_must(requirement, p))
        if not applies:
            continue
        variants.append(
            Fault(
                f"{fault.name}@{entity.singular}",
                f"{fault.description}; {entity.plural} only",
                fault.category,
                True,
                applies,
                tuple((p, f"{text}; {entity.plural} only") for p, text in fault.wording if p in applies),
                tuple((p, (requirement,)) for p in applies),
            )
        )
    if not variants:
        raise FaultDataError(f"{where}: each_entity {template!r} names no MUST requirement of any of its profiles")
    return variants


def _is_must(requirement: str, profile: str) -> bool:
    found = catalogue.catalogue(profile).get(requirement)
    return found is not None and found.level == "MUST"


def _fault(name: str, entry: Any, where: str) -> Fault:
    if not _NAME.fullmatch(name):
        raise FaultDataError(f"{where}: a name is lower-case words joined by '-'")
    if not isinstance(entry, dict):
        raise FaultDataError(f"{where}: not a table")
    if set(entry) - _KEYS:
        raise FaultDataError(f"{where}: unknown key(s) {sorted(set(entry) - _KEYS)}")
    category, description = _text(entry, "category", where), _text(entry, "description", where)
    harmful = entry.get("harmful", True)
    if not isinstance(harmful, bool):
        raise FaultDataError(f"{where}: harmful must be true or false")
    applies = _profiles(entry.get("profiles", list(BOTH)), "profiles", where, tuple(profiles.PROFILES))
    if not applies:
        raise FaultDataError(f"{where}: profiles must name at least one profile")
    ci = _profiles(entry.get("ci", []), "ci", where, applies)
    raw_wording = entry.get("wording", {})
    if not isinstance(raw_wording, dict):
        raise FaultDataError(f"{where}: wording is a table of profile = description")
    wording = tuple((p, _text(raw_wording, p, where)) for p in _profiles(list(raw_wording), "wording", where, applies))
    if not harmful:
        if "expect" in entry:
            raise FaultDataError(f"{where}: a benign fault expects no failure: drop 'expect'")
        shoulds = _per_profile(entry, "should", applies, where) if "should" in entry else ()
        return Fault(name, description, category, False, applies, wording, (), ci, shoulds)
    if "should" in entry:
        raise FaultDataError(f"{where}: 'should' is for benign faults; a harmful one names them in 'expect'")
    if "expect" not in entry:
        raise FaultDataError(f"{where}: a harmful fault needs 'expect', the requirement(s) that catch it")
    return Fault(name, description, category, True, applies, wording, _per_profile(entry, "expect", applies, where), ci)


def _per_profile(
    entry: dict[str, Any], key: str, applies: tuple[str, ...], where: str
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A list of IDs that holds in every profile, or a table naming each profile's own (a profile's
    list may be empty in a ``should`` table: that profile's catalogue has no such SHOULD)."""
    value = entry[key]
    if not isinstance(value, dict):
        ids = _ids(value, key, where)
        return tuple((p, ids) for p in applies)
    if set(value) != set(applies):
        raise FaultDataError(
            f"{where}: {'an' if key == 'expect' else 'a'} {key} table names each of the profiles {list(applies)}"
        )
    return tuple((p, _ids(value[p], f"{key}.{p}", where, empty=key == "should")) for p in applies)


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise FaultDataError(f"{where}: {key} must be a non-empty string")
    return value


def _profiles(value: Any, key: str, where: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(set(value)) != len(value):
        raise FaultDataError(f"{where}: {key} must be a list of distinct profile names")
    if set(value) - set(allowed):
        raise FaultDataError(f"{where}: {key} may name only {list(allowed)}, not {sorted(set(value) - set(allowed))}")
    return tuple(p for p in allowed if p in value)  # listings show profiles in one order


def _ids(value: Any, key: str, where: str, *, empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not (value or empty) or not all(isinstance(v, str) and v for v in value):
        raise FaultDataError(f"{where}: {key} must be a non-empty list of requirement IDs")
    return tuple(value)


def _read() -> tuple[Fault, ...]:
    return load(resources.files(__package__).joinpath(DATA).read_text(encoding="utf-8"))


_ALL: tuple[Fault, ...] = _read()
ALL: dict[str, Fault] = {fault.name: fault for fault in _ALL}  # TOML tables cannot repeat a name


def registry(profile: str | None = None) -> dict[str, Fault]:
    """The faults that apply to ``profile`` (None: the default one), in registry order."""
    name = profiles.resolve(profile)
    return {fault.name: fault for fault in _ALL if name in fault.profiles}


# The first profile's faults: what code written before the second profile reads.
REGISTRY: dict[str, Fault] = registry(profiles.TIMEBACK)


class UnknownFault(ValueError):
    """A fault name that is not in the registry, or not in the server's profile; the message is one line."""


class Faults:
    """The set of faults switched on for one server. ``on`` rejects unregistered names, so a typo
    at a fault's decisive spot fails loudly instead of silently never firing; a fault of another
    profile is simply never on."""

    __slots__ = ("_active",)

    def __init__(self, names: Iterable[str] = (), profile: str | None = None) -> None:
        active = frozenset(names)
        unknown = sorted(active - ALL.keys())
        if unknown:
            raise UnknownFault(f"unknown fault {unknown[0]!r} (list them with 'serve --list-faults')")
        name = profiles.resolve(profile)
        elsewhere = sorted(fault for fault in active if name not in ALL[fault].profiles)
        if elsewhere:
            raise UnknownFault(
                f"fault {elsewhere[0]!r} does not apply to the {name} profile"
                f" (list its faults with 'serve --profile {name} --list-faults')"
            )
        self._active = active

    def on(self, name: str, entity: str | None = None) -> bool:
        """Whether fault ``name`` is on; with ``entity``, also when its variant for that entity is."""
        if name not in ALL:
            raise KeyError(f"fault {name!r} is not registered")
        return name in self._active or (entity is not None and f"{name}@{entity}" in self._active)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._active))

    def __bool__(self) -> bool:
        return bool(self._active)


NONE = Faults()


def parse(text: str, profile: str | None = None) -> tuple[str, ...]:
    """``"a, b"`` → ``("a", "b")``; raises ``UnknownFault`` for a name not in ``profile``'s registry."""
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    Faults(names, profile)
    return names


def listing(profile: str | None = None) -> str:
    """What ``serve --list-faults`` prints: one fault of the profile a line, with every profile it applies to."""
    shown = registry(profile)
    width = max(len(name) for name in shown)
    return "\n".join(
        f"{f.name:<{width}}  {'harmful' if f.harmful else 'benign ':<7}  {f.category:<15}  "
        f"{','.join(f.profiles):<16}  {f.describe(profile)}"
        for f in shown.values()
    )
