"""A run's fixtures when no file names them: discovered or provisioned, then written as a fixtures
file, which the run (and each of its workers) reads like any other.

The file is the hand-off: a discovered set written with ``--write-fixtures FILE`` makes the next run
repeatable with ``--fixtures FILE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance import profiles
from conformance.client import SuiteClient
from conformance.discovery.discover import discover
from conformance.discovery.provision import Provisioned, provision
from conformance.discovery.reader import Reader
from conformance.fixtures import dump
from conformance.guard import Guard
from conformance.target import ConfigError, Target

DISCOVER, PROVISION = "discover", "provision"
MODES = (DISCOVER, PROVISION)


@dataclass
class Settled:
    """The target reading the settled fixtures file, what to say about them, and what to remove."""

    target: Target
    mode: str
    path: Path
    lines: list[str] = field(default_factory=list)
    provisioned: Provisioned | None = None


def mode_of(values: dict[str, Any]) -> str | None:
    """How the run gets its fixtures: ``discover``, ``provision``, or None (a file, or the packaged
    default for the embedded server). A remote target without ``--fixtures`` is discovered: the
    packaged records exist only in the reference server."""
    given = values.get("fixtures")
    if given in MODES:
        return str(given)
    if not given and values.get("base_url"):
        return DISCOVER
    return None


def settle(target: Target, mode: str, *, prefix: str, reports: Path, write_to: str | None, guard: Guard) -> Settled:
    """Discover or provision ``target``'s fixtures and write them; raises ``ConfigError`` (exit 2,
    one line), or ``TargetUnreachable`` when the target stops answering."""
    if mode == PROVISION and target.read_only:
        raise ConfigError("--fixtures provision writes records to the target: it cannot go with --read-only")
    profile = profiles.get(target.profile)
    powerpath = "powerpath" in profile.services
    slash = profile.dialect.collection_slash
    client = SuiteClient(target, guard=guard)
    provisioned = None
    try:
        if mode == DISCOVER:
            found = discover(Reader(client, slash), powerpath)
            fixtures, lines = found.fixtures, found.lines
        else:
            fixtures, provisioned = provision(client, slash, prefix, powerpath)
            lines = provisioned.lines
    finally:
        if provisioned is None:
            client.close()
    path = Path(write_to) if write_to else reports / f"fixtures.{mode}ed.toml"
    when = datetime.now(UTC).isoformat(timespec="seconds")
    header = f"Fixtures {mode}ed on {target.base_url} ({target.profile} profile) at {when}.\n" + "\n".join(lines)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(fixtures, header), encoding="utf-8")
    except OSError as exc:
        if provisioned is not None:
            provisioned.remove()
        raise ConfigError(f"cannot write the {mode}ed fixtures to {path}: {exc.strerror or exc}") from None
    return Settled(replace(target, fixtures_path=str(path)), mode, path, lines, provisioned)
