"""``docs/requirements.md``: the catalogue as a page, generated from the TOML, never edited by hand.

``python -m conformance.catalogue.page docs/requirements.md`` writes it; a test fails when it is stale.
"""

from __future__ import annotations

import sys

from conformance import catalogue, profiles
from conformance.contract.generated_page import write_page


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _source(requirement: catalogue.Requirement) -> str:
    url = requirement.source_url
    if url.startswith("docs/"):  # a page beside this one
        url = url.removeprefix("docs/")
    return f"[{_cell(requirement.source)}]({url})"


def render() -> str:
    lines = [
        "# Requirements",
        "",
        "<!-- Generated from conformance/catalogue/requirements*.toml by"
        " `python -m conformance.catalogue.page docs/requirements.md`; do not edit. -->",
        "",
        "Every check of the suite validates one of these requirements. `MUST` fails certification, `SHOULD`"
        " warns, `INFO` records an observation and never fails. IDs are stable across releases and"
        " profiles; a profile words a requirement in its own dialect where the dialects differ.",
    ]
    for name in profiles.NAMES:
        reqs = catalogue.catalogue(name)
        lines += ["", f"## Profile `{name}` ({len(reqs)} requirements)", ""]
        lines += ["| ID | Level | Requirement | Source |", "|---|---|---|---|"]
        for r in reqs.values():
            text = f"**{_cell(r.title)}**. {_cell(r.statement)}"
            lines.append(f"| `{r.id}` | {r.level} | {text} | {_source(r)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    return write_page(argv, render, "docs/requirements.md")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
