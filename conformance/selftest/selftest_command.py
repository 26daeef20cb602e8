"""``oneroster-conformance selftest``: the kill matrix of one profile, as a command (exit 0 only when
every harmful fault is killed by its expected requirement and nothing benign fails); ``--list``
prints the profile's faults as a Markdown table instead of running anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance import profiles
from conformance.exits import Exit
from conformance.reference.faults import ALL
from conformance.run import RunOptions
from conformance.selftest.coverage import coverage
from conformance.selftest.matrix import BASELINE, expectations, fault_table, matrix_name, run_one, write
from conformance.target import ConfigError


def _error(message: str) -> int:
    print(f"oneroster-conformance: error: {message}", file=sys.stderr)
    return Exit.USAGE


def selftest(args: argparse.Namespace) -> int:
    try:
        profile = profiles.get(getattr(args, "profile", None) or profiles.TIMEBACK).name
    except profiles.UnknownProfile as exc:
        return _error(exc.args[0])
    if getattr(args, "list", False):
        print(fault_table(profile), end="")
        return Exit.OK
    table = expectations(profile)
    if args.faults:
        names = [n.strip() for n in args.faults.split(",") if n.strip()]
        unknown = [n for n in names if n not in table]
        if unknown:
            if unknown[0] in ALL:
                return _error(
                    f"fault {unknown[0]!r} does not apply to the {profile} profile"
                    f" (see 'serve --profile {profile} --list-faults')"
                )
            return _error(f"unknown fault {unknown[0]!r} (see 'serve --list-faults')")
        chosen = [table[BASELINE]] + [table[n] for n in names if n != BASELINE]
    elif args.subset == "ci":
        chosen = [e for e in table.values() if e.ci]
    else:
        chosen = list(table.values())
    try:
        max_examples, seed = int(args.max_examples), int(args.seed)
    except ValueError:
        return _error("--max-examples and --seed must be whole numbers")
    concurrency = str(getattr(args, "concurrency", None) or "auto")
    try:
        RunOptions.from_values({"concurrency": concurrency})
    except ConfigError as exc:
        return _error(str(exc))
    reports = Path(args.reports)
    rows = []
    for i, expectation in enumerate(chosen, 1):
        row = run_one(
            expectation, reports, max_examples=max_examples, seed=seed, profile=profile, concurrency=concurrency
        )
        rows.append(row)
        print(
            f"[{i}/{len(chosen)}] {row.fault}: {row.outcome} "
            f"({', '.join(row.reported) or row.error or 'no failure'}; {row.seconds} s)"
            + (f"; replay: {row.replay_text}" if row.harmful else ""),
            file=sys.stderr,
        )
        write(rows, reports, profile)
    bad = [r for r in rows if not r.ok]
    print(
        f"kill matrix ({profile}): {reports / (matrix_name(profile) + '.md')} — "
        f"{len(rows) - len(bad)}/{len(rows)} as expected"
    )
    for row in bad:
        print(
            f"  ✘ {row.fault}: {row.outcome}; expected {row.expected or 'a conformant run'}, "
            f"reported {row.reported or 'nothing'}{'; ' + row.error if row.error else ''}"
        )
    print(coverage(profile).line(killed=[r.fault for r in rows if r.harmful and r.ok]))
    return Exit.OK if not bad else Exit.FAILED
