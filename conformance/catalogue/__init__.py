"""The requirements catalogue: what the suite checks, as data (``requirements.toml``).

Every check declares the requirement IDs it validates (``checks.registry``); the verdict counts MUST
requirements only. A requirement about an outcome of operations says which (``aspect``): the
requirement a request built to succeed breaks, a malformed success body breaks, or a wrong 404 breaks.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from conformance import profiles
from conformance.contract.operations import by_id

Level = Literal["MUST", "SHOULD", "INFO"]
LEVELS: tuple[Level, ...] = ("MUST", "SHOULD", "INFO")
Aspect = Literal["success", "schema", "not-found"]
ASPECTS: tuple[Aspect, ...] = ("success", "schema", "not-found")
ID_PATTERN = re.compile(r"^(GEN|GB|PP|INTEROP)(-[A-Z0-9]+)+$")


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    level: Level
    area: str
    title: str
    statement: str
    source: str  # a public document and the part of it cited (``catalogue.sources``: the forms)
    source_url: str  # where that document opens: an https URL, or a page of the project's docs/
    operations: tuple[str, ...] = ()
    aspect: Aspect | None = None  # which outcome of its operations it is about, if it is about one

    @property
    def service(self) -> str:
        return {"GB": "Gradebook", "PP": "PowerPath"}.get(self.id.split("-", 1)[0], "General")


class UnknownRequirement(KeyError):
    pass


def catalogue(profile: str) -> dict[str, Requirement]:
    """The requirements of a profile, in catalogue order."""
    return _catalogue(profiles.get(profile).name)


def _rows(name: str) -> list[dict[str, Any]]:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    rows = list(tomllib.loads(text)["requirement"])
    ids = [row["id"] for row in rows]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:  # a second row would silently replace the first
        raise ValueError(f"{name} holds these IDs more than once: {twice}")
    for row in rows:
        if ("source" in row) != ("source_url" in row):  # a reworded source comes with its own URL
            raise ValueError(f"{name}: {row['id']} has a source without its source_url, or the reverse")
        if row.get("aspect") is not None and (row["aspect"] not in ASPECTS or not row.get("operations")):
            raise ValueError(f"{name}: {row['id']} has aspect {row['aspect']!r} (one of {ASPECTS}, with operations)")
    return rows


@functools.cache
def _catalogue(profile: str) -> dict[str, Requirement]:
    """``requirements.toml`` holds every requirement in its TimeBack wording; a row's ``profiles``
    (default: every profile offering its service) says where it applies (a profile answers to its
    ``Profile.requirements`` name), and the profile's wording file (``Profile.wording``, e.g.
    ``requirements.1edtech.toml``) rewords a requirement for another dialect (statement, title,
    source with its source_url, level), keyed by the same stable ID."""
    chosen = profiles.get(profile)
    services = chosen.services
    overrides: dict[str, dict[str, Any]] = {}
    if chosen.wording is not None:
        overrides = {row["id"]: row for row in _rows(chosen.wording)}
    found: dict[str, Requirement] = {}
    for row in _rows("requirements.toml"):
        if row.get("retired"):
            continue
        service = _SERVICES.get(row["id"].split("-", 1)[0])
        applies = row.get("profiles") or [chosen.requirements]
        if chosen.requirements not in applies or (service is not None and service not in services):
            continue
        worded = row | overrides.pop(row["id"], {})
        requirement = Requirement(
            id=worded["id"],
            level=worded["level"],
            area=worded["area"],
            title=worded["title"],
            statement=worded["statement"],
            source=worded["source"],
            source_url=worded["source_url"],
            # The operations the profile has: a TimeBack-only route drops out of the official profile.
            operations=tuple(op for op in worded.get("operations", ()) if op in by_id(profile)),
            aspect=worded.get("aspect"),
        )
        found[requirement.id] = requirement
    if overrides:
        raise ValueError(f"{chosen.wording} rewords requirements that do not apply: {sorted(overrides)}")
    return found


_SERVICES = {"GB": "gradebook", "PP": "powerpath"}  # GEN applies to every service


def get(requirement_id: str, profile: str) -> Requirement:
    """A requirement of a profile; ``UnknownRequirement`` when it has none such."""
    try:
        return catalogue(profile)[requirement_id]
    except KeyError:
        raise UnknownRequirement(f"unknown requirement ID {requirement_id!r}") from None


def applies(requirement_id: str, profile: str) -> bool:
    """Whether a requirement is part of a profile."""
    return requirement_id in catalogue(profile)
