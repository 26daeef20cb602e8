"""The property inventory (``inventory.toml``): every documented field, query parameter, filter
operator and PowerPath rule, with the requirement that checks it or the reason nothing does.

``python -m conformance.catalogue.inventory docs/inventory.md`` writes the page; a test fails when it
is stale, and when a documented field or operator has no entry.
"""

from __future__ import annotations

import functools
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import catalogue, profiles
from conformance.contract.generated_page import write_page

SECTIONS = {
    "field": "Fields",
    "query": "Query parameters",
    "filter": "The filter grammar",
    "rule": "PowerPath rules",
}


class InventoryError(ValueError):
    """The inventory data is malformed: a missing meaning, both or neither of checked/not_checked."""


@dataclass(frozen=True, slots=True)
class Entry:
    section: str  # field, query, filter or rule
    group: str  # the record kind for a field ("common" for every record's), else ""
    name: str  # "title", "learningObjectiveSet[].source", "limit", ">=", "no-reimport"
    means: str
    checked: tuple[str, ...]
    not_checked: str
    profiles: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.group}.{self.name}" if self.group else self.name

    def applies(self, profile: str) -> bool:
        return profile in self.profiles

    def checked_in(self, profile: str) -> tuple[str, ...]:
        """The requirements of ``profile``'s catalogue among those that check this entry."""
        return tuple(rid for rid in self.checked if catalogue.applies(rid, profile))


def _entry(section: str, group: str, name: str, raw: Any) -> Entry:
    where = f"inventory.toml [{section}{'.' + group if group else ''}] {name!r}"
    if not isinstance(raw, dict) or not isinstance(raw.get("means"), str) or not raw["means"]:
        raise InventoryError(f"{where}: needs a 'means' text")
    checked, not_checked = raw.get("checked"), raw.get("not_checked")
    if (checked is None) == (not_checked is None):
        raise InventoryError(f"{where}: give either 'checked' (requirement IDs) or 'not_checked' (a reason)")
    if checked is not None and (not isinstance(checked, list) or not checked):
        raise InventoryError(f"{where}: 'checked' is a non-empty list of requirement IDs")
    unknown = sorted(set(raw) - {"means", "checked", "not_checked", "profiles"})
    if unknown:
        raise InventoryError(f"{where}: unknown keys {unknown}")
    names = tuple(raw.get("profiles", _offering("powerpath") if "powerpath" in (group, section) else profiles.NAMES))
    return Entry(section, group, name, raw["means"], tuple(checked or ()), not_checked or "", names)


def _offering(service: str) -> tuple[str, ...]:
    return tuple(name for name in profiles.NAMES if service in profiles.get(name).services)


def _path() -> Path:
    return Path(__file__).with_name("inventory.toml")


@functools.cache
def entries() -> tuple[Entry, ...]:
    data = tomllib.loads(_path().read_text(encoding="utf-8"))
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise InventoryError(f"inventory.toml: unknown sections {unknown}")
    found: list[Entry] = []
    for name, raw in data.get("field", {}).items():
        found.extend(_entry("field", name, member, spec) for member, spec in raw.items())
    for section in ("query", "filter"):
        found.extend(_entry(section, "", name, spec) for name, spec in data.get(section, {}).items())
    found.extend(_entry("rule", "powerpath", name, spec) for name, spec in data.get("rule", {}).items())
    return tuple(found)


def lookup(profile: str) -> dict[tuple[str, str], Entry]:
    """(section, key) → entry, for the entries of ``profile``."""
    return {(e.section, e.key): e for e in entries() if e.applies(profile)}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`" if "|" not in text else f"<code>{text.replace('|', '&#124;')}</code>"


def render() -> str:
    lines = [
        "# Property inventory",
        "",
        "<!-- Generated from conformance/catalogue/inventory.toml by"
        " `python -m conformance.catalogue.inventory docs/inventory.md`; do not edit. -->",
        "",
        "Every statement the published documents make about behaviour — what each documented field means,"
        " each query parameter, each rule of the filter grammar, each PowerPath rule — and the requirement"
        " that checks it ([requirements.md](requirements.md)), or why nothing does. A test fails when a"
        " documented field, query parameter or filter operator has no row here.",
    ]
    for name in profiles.NAMES:
        rows = [e for e in entries() if e.applies(name)]
        checked = sum(bool(e.checked_in(name)) for e in rows)
        lines += ["", f"## Profile `{name}` ({checked} of {len(rows)} checked)"]
        for section, title in SECTIONS.items():
            group = [e for e in rows if e.section == section]
            if not group:
                continue
            lines += ["", f"### {title}", "", "| Entry | Means | Checked by |", "|---|---|---|"]
            for e in group:
                by = ", ".join(e.checked_in(name)) or f"not checked: {e.not_checked}"
                lines.append(f"| {_code(e.key)} | {_cell(e.means)} | {_cell(by)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    return write_page(argv, render, "docs/inventory.md")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
