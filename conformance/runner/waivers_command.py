"""``oneroster-conformance waivers update|prune SUMMARY``: keep a waiver file in step with a run.

``update`` adds an entry for each failed requirement of the run (its summary.json) that no entry
names yet, to expire in 30 days with a reason to be filled in; ``prune`` drops the entries whose
requirement the run passed. Both print what they changed and write the file only when they do.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from conformance import waivers
from conformance.exits import Exit
from conformance.waivers import Waiver

FIRST_TERM = timedelta(days=30)


def _error(message: str) -> int:
    print(f"oneroster-conformance: error: {message}", file=sys.stderr)
    return Exit.USAGE


def _summary(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise waivers.WaiverError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise waivers.WaiverError(f"{path} is not a summary.json") from None
    if not isinstance(data, dict) or not isinstance(data.get("requirements"), list):
        raise waivers.WaiverError(f"{path} is not a summary.json (no requirements)")
    return data


def waivers_command(args: argparse.Namespace) -> int:
    if not args.waivers:
        return _error("waivers needs the waiver file: --waivers FILE (or the waivers key of the settings file)")
    file = Path(args.waivers)
    try:
        summary = _summary(Path(args.summary))
        statuses = {str(r.get("id")): str(r.get("status")) for r in summary["requirements"]}
        current = waivers.load(file, statuses) if file.exists() else ()
    except waivers.WaiverError as exc:
        return _error(str(exc))
    if args.action == "update":
        named = {w.requirement for w in current}
        today = waivers.today()
        added = [
            Waiver(
                requirement,
                f"added by 'waivers update' from {args.summary} on {today.isoformat()}: say why, and who decided",
                today + FIRST_TERM,
            )
            for requirement, status in statuses.items()
            if status == "failed" and requirement not in named
        ]
        for waiver in added:
            print(f"added {waiver.requirement}, until {waiver.expires.isoformat()}")
        kept = (*current, *added)
        changed = bool(added)
    else:
        kept = tuple(w for w in current if statuses.get(w.requirement) != "passed")
        for waiver in current:
            if waiver not in kept:
                print(f"dropped {waiver.requirement}: it passed in {args.summary}")
        changed = len(kept) != len(current)
    if changed:
        file.write_text(waivers.render(kept), encoding="utf-8")
    print(f"{file}: {len(kept)} waiver(s)" + ("" if changed else ", unchanged"))
    return Exit.OK
