"""The Allure HTML report, rendered by Allure 3: the npm package ``allure``, run by Node (no Java).

Allure is installed on first use into a cache of its own (``npm install --prefix``), at a pinned
version so that every report of a project looks the same. The report is generated from
``<reports>/allure-results`` into ``<reports>/allure-report`` with an ``allurerc.json`` written
next to them (run ``npx allure generate --config allurerc.json`` there to redo it by hand).

History: Allure 3 keeps it in one JSON-lines file (``historyPath``), not in Allure 2's
``history/`` folder, and appends the report being generated to it. The file lives in the reports
directory, outside ``allure-results`` (which each run cleans), so trends build up run after run;
reporting the same run twice does not add it twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.reporting import failure_categories

ALLURE_VERSION = "3.18.0"
MIN_NODE = 20
RESULTS_DIR = "allure-results"
REPORT_DIR = "allure-report"
CONFIG_FILE = "allurerc.json"
HISTORY_FILE = "allure-history.jsonl"
HISTORY_RUN = ".allure-history-run"  # the run whose results were last appended to the history
HISTORY_LIMIT = 50  # runs kept for the trend charts; bounds the history file
INSTALL_TIMEOUT = 600.0
GENERATE_TIMEOUT = 600.0
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class AllureError(Exception):
    """The HTML report could not be made; the message is one line saying why and what to do."""


@dataclass(frozen=True)
class Node:
    node: str
    npm: str


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "oneroster-conformance" / "allure"


def _environment() -> dict[str, str]:
    """Node's environment: no ONEROSTER_* variable (secrets live there), no colours in its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEROSTER_")}
    return env | {"NO_COLOR": "1", "FORCE_COLOR": "0", "npm_config_update_notifier": "false"}


def _last_line(*texts: str) -> str:
    lines = [line.strip() for text in texts for line in _ANSI.sub("", text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def find_node() -> Node:
    node, npm = shutil.which("node"), shutil.which("npm")
    how = (
        f"the Allure HTML report needs Node.js {MIN_NODE} or later with npm (e.g. 'apt-get install nodejs npm', "
        "or https://nodejs.org); certificate.html needs neither"
    )
    if not node or not npm:
        raise AllureError(how)
    try:
        done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False)
        major = int(done.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, subprocess.TimeoutExpired, ValueError):
        raise AllureError(how) from None
    if major < MIN_NODE:
        raise AllureError(f"{how} (found Node.js {done.stdout.strip()})")
    return Node(node, npm)


def _installed(cache: Path) -> Path | None:
    package = cache / "node_modules" / "allure" / "package.json"
    cli = cache / "node_modules" / "allure" / "cli.js"
    try:
        version = json.loads(package.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return cli if version == ALLURE_VERSION and cli.is_file() else None


def ensure_installed(node: Node, cache: Path) -> Path:
    """The path of Allure's ``cli.js``, installing ``allure@ALLURE_VERSION`` into ``cache`` when needed."""
    cli = _installed(cache)
    if cli is not None:
        return cli
    print(f"oneroster-conformance: installing Allure {ALLURE_VERSION} into {cache} (first use)", file=sys.stderr)
    cache.mkdir(parents=True, exist_ok=True)
    command = [
        node.npm,
        "install",
        "--prefix",
        str(cache),
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        f"allure@{ALLURE_VERSION}",
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False, env=_environment()
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AllureError(f"npm could not install allure@{ALLURE_VERSION} into {cache}: {exc}") from None
    cli = _installed(cache)
    if done.returncode != 0 or cli is None:
        detail = _last_line(done.stdout, done.stderr)
        raise AllureError(f"npm could not install allure@{ALLURE_VERSION} into {cache}: {detail}")
    return cli


def config(summary: dict[str, Any], *, append_history: bool) -> dict[str, Any]:
    """The allurerc.json: paths relative to the reports directory, so the folder can be moved."""
    categories = [
        {"name": c["name"], "messageRegex": c["messageRegex"], "matchedStatuses": c["matchedStatuses"]}
        for c in failure_categories.allure_categories()
    ]
    return {
        "name": f"OneRoster conformance: {summary.get('verdict', '?')} — {summary.get('target', '')}",
        "output": REPORT_DIR,
        "historyPath": HISTORY_FILE,
        "historyLimit": HISTORY_LIMIT,
        "appendHistory": append_history,
        "categories": categories,
        # The tree by service, resource, requirement: the way a vendor reads a failing ID.
        "plugins": {"awesome": {"options": {"groupBy": ["epic", "feature", "story"], "reportLanguage": "en"}}},
    }


def _run_id(summary: dict[str, Any]) -> str:
    return f"{summary.get('run_id', '')} {summary.get('started_at', '')}".strip()


def generate(reports: Path, summary: dict[str, Any], node: Node, cli: Path) -> Path:
    """Render ``<reports>/allure-report``; returns its index.html."""
    results = reports / RESULTS_DIR
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise AllureError(f"no Allure results in {results}: run 'oneroster-conformance run --reports {reports}' first")
    marker = reports / HISTORY_RUN
    seen = marker.read_text(encoding="utf-8").strip() if marker.is_file() else ""
    run_id = _run_id(summary)
    settings = config(summary, append_history=not run_id or run_id != seen)
    (reports / CONFIG_FILE).write_text(json.dumps(settings, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    output = reports / REPORT_DIR
    shutil.rmtree(output, ignore_errors=True)  # Allure writes over what is there: stale files would stay
    command = [node.node, str(cli), "generate", "--config", CONFIG_FILE, RESULTS_DIR]
    try:
        done = subprocess.run(
            command,
            cwd=reports,
            capture_output=True,
            text=True,
            timeout=GENERATE_TIMEOUT,
            check=False,
            env=_environment(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AllureError(f"Allure could not generate the report: {exc}") from None
    index = output / "index.html"
    if done.returncode != 0 or not index.is_file():
        raise AllureError(f"Allure could not generate the report: {_last_line(done.stdout, done.stderr)}")
    if run_id:
        marker.write_text(run_id + "\n", encoding="utf-8")
    return index


def serve(reports: Path, node: Node, cli: Path) -> int:
    """``allure open``: serve the report on loopback and open a browser, until interrupted."""
    command = [node.node, str(cli), "open", REPORT_DIR]
    try:
        return subprocess.run(command, cwd=reports, check=False, env=_environment()).returncode
    except KeyboardInterrupt:
        return 0
