"""The requirements catalogue: what the suite checks, as data (``requirements.toml``).

Every check names the requirement IDs it validates; the verdict counts MUST requirements only.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Literal

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


@functools.cache
def catalogue() -> dict[str, Requirement]:
    text = resources.files(__name__).joinpath("requirements.toml").read_text(encoding="utf-8")
    found: dict[str, Requirement] = {}
    for row in tomllib.loads(text)["requirement"]:
        if row.get("retired"):
            continue
        requirement = Requirement(
            id=row["id"],
            level=row["level"],
            area=row["area"],
            title=row["title"],
            statement=row["statement"],
            source=row["source"],
            operations=tuple(row.get("operations", ())),
        )
        found[requirement.id] = requirement
    return found


def get(requirement_id: str) -> Requirement:
    try:
        return catalogue()[requirement_id]
    except KeyError:
        raise UnknownRequirement(f"unknown requirement ID {requirement_id!r}") from None


def entity_requirement(entity: str, suffix: str) -> str:
    """The per-entity ID, e.g. ``entity_requirement("result", "PUT-UPSERT")`` → ``GB-RESULT-PUT-UPSERT``."""
    return get(f"GB-{entity.upper()}-{suffix}").id
