"""The run files of allure-results: an earlier run's results are cleared (and nothing else), the
environment is escaped as Java properties, the categories are written."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.reporting import allure_files, failure_categories

UUID = "0059afa6-6ed4-4a17-bfa5-0b9f5643c496"


def test_clean_removes_results_only(tmp_path: Path) -> None:
    old = [
        f"{UUID}-result.json",
        f"{UUID}-container.json",
        f"{UUID}-attachment.txt",
        f"{UUID}-attachment",
        "environment.properties",
        "categories.json",
    ]
    kept = ["notes.txt", "result.json", f"{UUID}-result.json.bak", "history/history-trend.json"]
    for name in old + kept:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert allure_files.clean(tmp_path) == len(old)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == sorted(kept)
    assert allure_files.clean(tmp_path / "missing") == 0


SUMMARY = {
    "target": "http://127.0.0.1:8000/base path=ü",
    "profile": "timeback",
    "suite_version": "0.1.0",
    "seed": 7,
    "started_at": "2026-01-02T03:04:05+00:00",
    "run_id": "oc0a0b0c",
}


def test_write(tmp_path: Path) -> None:
    allure_files.write(tmp_path / "results", SUMMARY)
    lines = (tmp_path / "results" / "environment.properties").read_text(encoding="ascii").splitlines()
    assert lines == [
        r"Target=http\://127.0.0.1\:8000/base path\=\u00fc",
        "Profile=timeback",
        r"Suite\ version=0.1.0",
        "Seed=7",
        r"Date=2026-01-02T03\:04\:05+00\:00",
        "Run=oc0a0b0c",
    ]
    written = json.loads((tmp_path / "results" / "categories.json").read_text(encoding="utf-8"))
    assert written == failure_categories.allure_categories()


def _allure_reader() -> Path | None:
    """Allure 3's own properties parser, when the report command installed Allure on this machine."""
    from conformance.reporting import allure_html

    reader = allure_html.cache_dir() / "node_modules" / "@allurereport" / "reader" / "dist" / "properties.js"
    return reader if reader.is_file() and shutil.which("node") else None


@pytest.mark.skipif(_allure_reader() is None, reason="Allure 3 is not installed in the cache (run 'report' once)")
def test_allure_reads_the_environment_back(tmp_path: Path) -> None:
    allure_files.write(tmp_path, SUMMARY)
    script = (
        f"import({json.dumps(str(_allure_reader()))}).then(m => console.log(JSON.stringify("
        "m.parseProperties(require('fs').readFileSync(process.argv[1], 'utf8')))))"
    )
    done = subprocess.run(
        ["node", "-e", script, str(tmp_path / "environment.properties")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == allure_files.environment(SUMMARY)
