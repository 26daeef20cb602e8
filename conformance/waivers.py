"""Known failures a team cannot fix yet, waived until a date and never hidden.

A waiver file is TOML, one ``[[waiver]]`` table per known failure::

    [[waiver]]
    requirement = "GB-LIST-SORT"
    reason = "TICKET-12: sorting by dateLastModified lands in the next release"
    expires = 2027-01-31
    match = "sort=dateLastModified"   # optional: waive only failures whose text contains this

A failed requirement whose every failure an unexpired waiver covers is reported ``waived``: it does
not fail the verdict, and summary.json, summary.md, the certificate and the verdict line all say
which requirement was waived, why and until when. A waiver past its date fails the run and says
which, so that a waiver is a deadline and not a way to forget. ``waivers update`` adds an entry for
each failure of a run that no waiver covers; ``waivers prune`` drops the entries whose requirement
a run passed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from conformance import toml_file

KEYS = frozenset({"requirement", "reason", "expires", "match"})


class WaiverError(Exception):
    """A waiver file that cannot be used; the message is one line."""


@dataclass(frozen=True)
class Waiver:
    requirement: str
    reason: str
    expires: date
    match: str = ""

    def covers(self, message: str) -> bool:
        return not self.match or self.match in message

    def expired(self, today: date) -> bool:
        return today > self.expires

    def to_dict(self) -> dict[str, str]:
        entry = {"requirement": self.requirement, "reason": self.reason, "expires": self.expires.isoformat()}
        return entry | ({"match": self.match} if self.match else {})


def today() -> date:
    return datetime.now(UTC).date()


def load(path: str | Path, known: Collection[str]) -> tuple[Waiver, ...]:
    """The waivers of ``path``; ``known`` are the requirement IDs a waiver may name (the profile's)."""
    where = Path(path)
    data = toml_file.read(where, "waiver file", WaiverError)
    extra = set(data) - {"waiver"}
    if extra:
        raise WaiverError(f"waiver file {where}: unknown key {sorted(extra)[0]!r} (each entry is a [[waiver]] table)")
    entries = data.get("waiver", [])
    if not isinstance(entries, list):
        raise WaiverError(f"waiver file {where}: 'waiver' must be [[waiver]] tables")
    return tuple(_waiver(where, i, entry, known) for i, entry in enumerate(entries, 1))


def _waiver(where: Path, number: int, entry: Any, known: Collection[str]) -> Waiver:
    at = f"waiver file {where}, entry {number}"
    if not isinstance(entry, dict):
        raise WaiverError(f"{at}: must be a table")
    if extra := set(entry) - KEYS:
        raise WaiverError(f"{at}: unknown key {sorted(extra)[0]!r} (keys: {', '.join(sorted(KEYS))})")
    requirement, reason, expires, match = (entry.get(k) for k in ("requirement", "reason", "expires", "match"))
    if not isinstance(requirement, str) or requirement not in known:
        raise WaiverError(f"{at}: requirement {requirement!r} is no requirement of this profile")
    if not isinstance(reason, str) or not reason.strip():
        raise WaiverError(f"{at}: a waiver needs a reason (a ticket, a date, who decided)")
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError:
            raise WaiverError(f"{at}: expires must be a date such as 2027-01-31, not {expires!r}") from None
    if isinstance(expires, datetime) or not isinstance(expires, date):
        raise WaiverError(f"{at}: a waiver needs expires, a date such as 2027-01-31")
    if match is not None and (not isinstance(match, str) or not match):
        raise WaiverError(f"{at}: match must be non-empty text when given")
    return Waiver(requirement, reason.strip(), expires, match or "")


@dataclass
class Applied:
    """What the waivers did to a run's rows."""

    waived: list[dict[str, Any]]  # the waivers that waived a failure, with the requirement
    expired: list[dict[str, Any]]  # past their date: each fails the run
    unused: list[dict[str, Any]]  # their requirement did not fail (prune candidates)


def apply(rows: list[dict[str, Any]], waivers: Iterable[Waiver], on: date) -> Applied:
    """Mark each failed row whose every failure an unexpired waiver covers ``waived`` (in place)."""
    waivers = tuple(waivers)
    expired = [w for w in waivers if w.expired(on)]
    live = [w for w in waivers if not w.expired(on)]
    used: dict[Waiver, None] = {}  # in the order they waived
    for row in rows:
        if row["status"] != "failed":
            continue
        mine = [w for w in live if w.requirement == row["id"]]
        messages = [str(f.get("message", "")) for f in row["failures"]] or [""]
        covering = [next((w for w in mine if w.covers(m)), None) for m in messages]
        if mine and all(covering):
            row["status"] = "waived"
            row["waivers"] = [w.to_dict() for w in dict.fromkeys(c for c in covering if c is not None)]
            used.update(dict.fromkeys(c for c in covering if c is not None))
    unused = [w for w in live if w not in used]
    return Applied([w.to_dict() for w in used], [w.to_dict() for w in expired], [w.to_dict() for w in unused])


def render(waivers: Iterable[Waiver]) -> str:
    """A waiver file's text for ``waivers``."""
    blocks = []
    for w in waivers:
        lines = ["[[waiver]]", f"requirement = {_quoted(w.requirement)}", f"reason = {_quoted(w.reason)}"]
        lines.append(f"expires = {w.expires.isoformat()}")
        if w.match:
            lines.append(f"match = {_quoted(w.match)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
