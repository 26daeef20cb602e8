"""The requirements catalogue: what the suite checks, as data (``requirements.toml``).

Every check names the requirement IDs it validates; the verdict counts MUST requirements only.
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
ID_PATTERN = re.compile(r"^(GEN|GB|PP)(-[A-Z0-9]+)+$")


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    level: Level
    area: str
    title: str
    statement: str
    source: str
    operations: tuple[str, ...] = ()

    @property
    def service(self) -> str:
        return {"GB": "Gradebook", "PP": "PowerPath"}.get(self.id.split("-", 1)[0], "General")


class UnknownRequirement(KeyError):
    pass


def catalogue(profile: str | None = None) -> dict[str, Requirement]:
    """The requirements of a profile (None: the active one), in catalogue order."""
    return _catalogue(profiles.resolve(profile))


def _rows(name: str) -> list[dict[str, Any]]:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return list(tomllib.loads(text)["requirement"])


@functools.cache
def _catalogue(profile: str) -> dict[str, Requirement]:
    """``requirements.toml`` holds every requirement in its TimeBack wording; a row's ``profiles``
    (default: every profile offering its service) says where it applies, and
    ``requirements.<profile>.toml`` rewords a requirement for another dialect (statement, title,
    source, level), keyed by the same stable ID."""
    services = profiles.get(profile).services
    overrides: dict[str, dict[str, Any]] = {}
    if profile != profiles.TIMEBACK:
        overrides = {row["id"]: row for row in _rows(f"requirements.{profile}.toml")}
    found: dict[str, Requirement] = {}
    for row in _rows("requirements.toml"):
        if row.get("retired"):
            continue
        service = _SERVICES.get(row["id"].split("-", 1)[0])
        applies = row.get("profiles") or [p for p in profiles.NAMES if service is None or service in services]
        if profile not in applies or (service is not None and service not in services):
            continue
        worded = row | overrides.pop(row["id"], {})
        requirement = Requirement(
            id=worded["id"],
            level=worded["level"],
            area=worded["area"],
            title=worded["title"],
            statement=worded["statement"],
            source=worded["source"],
            # The operations the profile has: a TimeBack-only route drops out of the official profile.
            operations=tuple(op for op in worded.get("operations", ()) if op in by_id(profile)),
        )
        found[requirement.id] = requirement
    if overrides:
        raise ValueError(f"requirements.{profile}.toml rewords requirements that do not apply: {sorted(overrides)}")
    return found


_SERVICES = {"GB": "gradebook", "PP": "powerpath"}  # GEN applies to every service


def get(requirement_id: str) -> Requirement:
    try:
        return catalogue()[requirement_id]
    except KeyError:
        raise UnknownRequirement(f"unknown requirement ID {requirement_id!r}") from None


def applies(requirement_id: str, profile: str | None = None) -> bool:
    """Whether a requirement is part of a profile (None: the active one)."""
    return requirement_id in catalogue(profile)


def entity_requirement(entity: str, suffix: str) -> str:
    """The per-entity ID, e.g. ``entity_requirement("result", "PUT-UPSERT")`` → ``GB-RESULT-PUT-UPSERT``."""
    return get(f"GB-{entity.upper()}-{suffix}").id
