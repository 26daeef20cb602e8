"""``oneroster-conformance selftest``: the kill matrix, as a command (exit 0 only when every harmful
fault is killed by its expected requirement and nothing benign fails)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.selftest.matrix import BASELINE, expectations, run_one, write


def selftest(args: argparse.Namespace) -> int:
    table = expectations()
    if args.faults:
        names = [n.strip() for n in args.faults.split(",") if n.strip()]
        unknown = [n for n in names if n not in table]
        if unknown:
            print(
                f"oneroster-conformance: error: unknown fault {unknown[0]!r} (see 'serve --list-faults')",
                file=sys.stderr,
            )
            return 2
        chosen = [table[BASELINE]] + [table[n] for n in names if n != BASELINE]
    elif args.subset == "ci":
        chosen = [e for e in table.values() if e.ci]
    else:
        chosen = list(table.values())
    try:
        max_examples, seed = int(args.max_examples), int(args.seed)
    except ValueError:
        print("oneroster-conformance: error: --max-examples and --seed must be whole numbers", file=sys.stderr)
        return 2
    reports = Path(args.reports)
    rows = []
    for i, expectation in enumerate(chosen, 1):
        row = run_one(expectation, reports, max_examples=max_examples, seed=seed)
        rows.append(row)
        print(
            f"[{i}/{len(chosen)}] {row.fault}: {row.outcome} "
            f"({', '.join(row.reported) or 'no failure'}; {row.seconds} s)",
            file=sys.stderr,
        )
        write(rows, reports)
    bad = [r for r in rows if not r.ok]
    print(f"kill matrix: {reports / 'kill-matrix.md'} — {len(rows) - len(bad)}/{len(rows)} as expected")
    for row in bad:
        print(
            f"  ✘ {row.fault}: {row.outcome}; expected {row.expected or 'a conformant run'}, "
            f"reported {row.reported or 'nothing'}"
        )
    return 0 if not bad else 1
