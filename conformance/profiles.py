"""The API dialects the suite certifies (API.md, "Two dialects"): one suite, one profile per dialect.

A profile picks the schemas (``schemas/`` for TimeBack, ``schemas/1edtech/`` for the official
binding), the operation table, the catalogue's requirements and the reference server's behaviour.
A process serves one profile at a time: ``run``, ``serve`` and the pytest plugin activate it once,
at start; code that must look at another (the project's own tests) passes ``profile=`` explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

TIMEBACK = "timeback"
ONEEDTECH = "1edtech"


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    title: str
    schema_subdir: str  # under schemas/: "" for the first profile's files at its root
    services: tuple[str, ...]
    source: str  # the document the dialect's shapes come from


PROFILES: dict[str, Profile] = {
    TIMEBACK: Profile(
        TIMEBACK,
        "TimeBack OneRoster 1.2 Gradebook and PowerPath",
        "",
        ("gradebook", "powerpath"),
        "reference/timeback-oneroster-openapi.yaml",
    ),
    ONEEDTECH: Profile(
        ONEEDTECH,
        "1EdTech OneRoster 1.2 Gradebook (official binding)",
        "1edtech",
        ("gradebook",),
        "reference/1edtech-oneroster-1p2-gradebook-openapi.yaml",
    ),
}
NAMES: tuple[str, ...] = tuple(PROFILES)

_ACTIVE = {"name": TIMEBACK}  # this process's profile


class UnknownProfile(LookupError):
    pass


def get(name: str | None = None) -> Profile:
    """The named profile, or the active one."""
    key = _ACTIVE["name"] if name is None else name
    try:
        return PROFILES[key]
    except KeyError:
        raise UnknownProfile(f"unknown profile {key!r} (known: {', '.join(NAMES)})") from None


def current() -> str:
    return _ACTIVE["name"]


def activate(name: str) -> Profile:
    """Make ``name`` the profile of this process; returns it. Unknown names raise ``UnknownProfile``."""
    profile = get(name)
    _ACTIVE["name"] = profile.name
    return profile


def resolve(name: str | None) -> str:
    """``name``, checked, or the active profile's name when None."""
    return get(name).name
