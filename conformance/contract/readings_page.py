"""``docs/readings.md``: the readings audit as a page, generated from ``readings.toml``, never edited by hand.

``python -m conformance.contract.readings_page docs/readings.md`` writes it; a test fails when it is stale.
"""

from __future__ import annotations

import sys

from conformance.contract import readings
from conformance.contract.generated_page import write_page

_INTRO = """\
The published documents do not answer every question a server has to answer: they disagree (TimeBack's
OpenAPI and the official binding), contradict themselves (an OpenAPI 3.1 document with a 3.0 keyword)
or say nothing (what null means). Each row below is one such question: what the documents say, what a
server may legitimately do, and what the suite does about it.

- A request built to succeed (a positive case) sends only what **every** choice accepts: the strict
  reading of the schemas is narrowed by every row.
- A request a server must reject (a negative case, GEN-REJECT-INVALID-BODY) counts only when it breaks
  what **every** choice rejects: the lenient reading of the schemas is widened by every row.
- Which choice a target made is recorded by an INFO requirement where the row names one; it never
  fails a run.
- The reference server makes one choice by default; the benign variant named in the row makes the
  other, and the suite must pass against both (`oneroster-conformance selftest`).

The schema files (`schemas/`) write one legitimate choice on each question (the *base* reading, the
reference server's default); `conformance/contract/readings.py` derives the two readings the suite
uses from them, for the rows marked with a schema effect."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(name: str) -> str:
    return f"`{name}`" if name else "—"


def _by_profile(values: dict[str, str]) -> str:
    shown = set(values.values())
    if len(shown) == 1:
        return _code(shown.pop())
    return "; ".join(f"{profile}: {_code(value)}" for profile, value in values.items())


def _other_choice(row: readings.Row) -> str:
    """The variant serving the other choice in each profile, or why there is none."""
    said = {name: row.variant(name) or f"none — {row.no_variant(name)}" for name in row.profiles}
    shown = set(said.values())
    if len(shown) == 1:
        only = shown.pop()
        return only if only.startswith("none") else _code(only)
    return "; ".join(f"{name}: {value if value.startswith('none') else _code(value)}" for name, value in said.items())


def _summary() -> list[str]:
    lines = [
        "| Question | Profiles | Choices | Positive cases send | GEN-REJECT-INVALID-BODY judges "
        "| Observed by | Variant |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in readings.rows():
        choices = "; ".join(f"({i}) {c}" for i, c in enumerate(row.choices, 1))
        lines.append(
            f"| [{row.id}](#{row.id}): {_cell(row.question)} | {', '.join(row.profiles)} | {_cell(choices)} "
            f"| {_cell(row.positive)} | {_cell(row.negative)} | {_by_profile(dict(row.requirements))} "
            f"| {_by_profile(dict(row.variants))} |"
        )
    return lines


def _section(row: readings.Row) -> list[str]:
    lines = ["", f"### {row.id}", "", f"**{row.question}** Profiles: {', '.join(row.profiles)}.", ""]
    lines += [f"Affects: {'; '.join(row.affects)}.", "", "What the documents say:", ""]
    lines += [f"- {readings.DOCUMENTS[key]}: {says}" for key, says in row.sources]
    lines += ["", "What a server may do:", ""]
    lines += [f"{i}. {choice}" for i, choice in enumerate(row.choices, 1)]
    lines += [
        "",
        f"- The reference server: {row.reference}; the other choice: {_other_choice(row)}.",
        f"- Positive cases: {row.positive}.",
        f"- GEN-REJECT-INVALID-BODY: {row.negative}.",
        f"- Observed by: {_by_profile(dict(row.requirements))}" + (f", in `{row.probe}`." if row.probe else "."),
    ]
    if row.schema:
        lines.append("- Schema effect: widens the lenient reading and narrows the strict one.")
    return lines


def render() -> str:
    lines = [
        "# Readings",
        "",
        "<!-- Generated from conformance/contract/readings.toml by"
        " `python -m conformance.contract.readings_page docs/readings.md`; do not edit. -->",
        "",
        _INTRO,
        "",
        "## The questions",
        "",
        *_summary(),
        "",
        "## Each question",
    ]
    for row in readings.rows():
        lines += _section(row)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    return write_page(argv, render, "docs/readings.md")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
