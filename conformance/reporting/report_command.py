"""``oneroster-conformance report``: the certificate and the Allure HTML report of a run.

The certificate comes from summary.json alone and is always written. The Allure report needs
Node.js and npm; without them the command says so in one line and exits 2, the certificate
written all the same.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from conformance.exits import Exit
from conformance.reporting import allure_html, certificate


def _error(message: str) -> int:
    print(f"oneroster-conformance: {message}", file=sys.stderr)
    return Exit.USAGE


def report(args: argparse.Namespace) -> int:
    reports = Path(args.reports)
    source = reports / "summary.json"
    try:
        summary = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _error(f"error: no summary.json in {reports}: run 'oneroster-conformance run --reports {reports}' first")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return _error(f"error: cannot read {source}: {exc}")
    if not isinstance(summary, dict) or not isinstance(summary.get("requirements"), list):
        return _error(f"error: {source} is not a summary of oneroster-conformance")
    print(f"certificate: {certificate.write(summary, reports)}")
    try:
        node = allure_html.find_node()
        cli = allure_html.ensure_installed(node, allure_html.cache_dir())
        index = allure_html.generate(reports, summary, node, cli)
    except allure_html.AllureError as exc:
        return _error(str(exc))
    print(f"Allure report: {index} (it loads its data over HTTP: 'report --open' serves it)")
    if args.open:
        return allure_html.serve(reports, node, cli)
    return Exit.OK
