"""The API dialects the suite certifies (docs/api.md#two-dialects): one suite, one profile per dialect.

A profile is everything that differs between dialects, named once here: its schemas
(``schemas/`` for TimeBack, ``schemas/1edtech/`` for the official binding), the operation table
it builds, its requirements and their wording, and its dialect — the one object the suite and the
reference server ask how payloads and answers are shaped (``conformance.dialect``). Nothing
outside these definitions compares profile names: a third dialect is a new ``Profile`` here (its
``Dialect`` subclass, and the reference server's when it answers differently), its schema folder
and its catalogue wording.

A process serves one profile at a time: ``run``, ``serve`` and the pytest plugin activate it once,
at start; code that must look at another (the project's own tests) passes ``profile=`` explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.dialect import Dialect, Official

TIMEBACK = "timeback"
ONEEDTECH = "1edtech"
DEFAULT = TIMEBACK  # the profile a command speaks when none is named


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    title: str
    schema_subdir: str  # under schemas/: "" for the first profile's files at its root
    services: tuple[str, ...]
    source: str  # the document the dialect's shapes come from
    dialect: Dialect  # how payloads and answers are shaped (conformance.dialect)
    operations: str  # the builder of its operation table (contract.operations.TABLES)
    # The name requirements.toml's ``profiles = [...]`` lists give the rows this profile takes: its
    # own, or that of the profile whose requirements it shares.
    requirements: str
    wording: str | None  # the catalogue file rewording requirements.toml for this dialect, if any
    # What tells this profile's files and keys (kill-matrix reports) from the first profile's: "" for
    # the first, whose names predate the profiles.
    file_tag: str


PROFILES: dict[str, Profile] = {
    TIMEBACK: Profile(
        name=TIMEBACK,
        title="TimeBack OneRoster 1.2 Gradebook and PowerPath",
        schema_subdir="",
        services=("gradebook", "powerpath"),
        source="reference/timeback-oneroster-openapi.yaml",
        dialect=Dialect(),
        operations="timeback",
        requirements=TIMEBACK,
        wording=None,
        file_tag="",
    ),
    ONEEDTECH: Profile(
        name=ONEEDTECH,
        title="1EdTech OneRoster 1.2 Gradebook (official binding)",
        schema_subdir="1edtech",
        services=("gradebook",),
        source="reference/1edtech-oneroster-1p2-gradebook-openapi.yaml",
        dialect=Official(),
        operations="1edtech",
        requirements=ONEEDTECH,
        wording="requirements.1edtech.toml",
        file_tag=ONEEDTECH,
    ),
}
NAMES: tuple[str, ...] = tuple(PROFILES)


class UnknownProfile(LookupError):
    pass


def get(name: str) -> Profile:
    """The named profile; ``UnknownProfile`` (a one-line message) for a name no profile has."""
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfile(f"unknown profile {name!r} (known: {', '.join(PROFILES)})") from None


def resolve(name: str | None) -> str:
    """``name``, checked, or the default profile's name when None (tools that take no profile)."""
    return get(name or DEFAULT).name


def unless_default(name: str, text: str) -> str:
    """``text`` for a profile other than the default, "" for the default: output that names the
    profile only where naming it tells the reader something."""
    return "" if get(name).name == DEFAULT else text
