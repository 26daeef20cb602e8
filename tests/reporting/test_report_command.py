"""``oneroster-conformance report`` without the real Node: a stand-in ``node`` and ``npm`` on PATH
record what they are asked, so install-on-first-use, generation, history bookkeeping, --open and
the one-line answers when Node is missing are checked in milliseconds."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.reporting import allure_html

UUID = "0059afa6-6ed4-4a17-bfa5-0b9f5643c496"

FAKE_NODE = f"""#!{sys.executable}
import json, os, pathlib, sys
if sys.argv[1:] == ["--version"]:
    print(os.environ.get("FAKE_NODE_VERSION", "v20.1.0"))
    sys.exit(0)
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(),
                          "secret": os.environ.get("ONEROSTER_CLIENT_SECRET")}}) + "\\n")
if "generate" in sys.argv:
    if os.environ.get("FAKE_GENERATE_FAILS"):
        print("Error: \\x1b[31mthe results are broken\\x1b[0m", file=sys.stderr)
        sys.exit(1)
    out = pathlib.Path("allure-report")
    out.mkdir()
    (out / "index.html").write_text("<html></html>")
"""

FAKE_NPM = f"""#!{sys.executable}
import json, os, pathlib, sys
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps({{"argv": ["npm", *sys.argv[1:]]}}) + "\\n")
if os.environ.get("FAKE_NPM_FAILS"):
    print("npm ERR! network request failed", file=sys.stderr)
    sys.exit(1)
prefix = pathlib.Path(sys.argv[sys.argv.index("--prefix") + 1])
package = prefix / "node_modules" / "allure"
package.mkdir(parents=True)
(package / "package.json").write_text(json.dumps({{"version": sys.argv[-1].split("@")[1]}}))
(package / "cli.js").write_text("// stand-in")
"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A reports directory with a summary and one result; PATH holding only the stand-ins."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("node", FAKE_NODE), ("npm", FAKE_NPM)):
        (bin_dir / name).write_text(text, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "log.jsonl"))
    monkeypatch.setenv("ONEROSTER_CLIENT_SECRET", "never-handed-to-node")
    for name in ("FAKE_NODE_VERSION", "FAKE_GENERATE_FAILS", "FAKE_NPM_FAILS", "ONEROSTER_REPORTS"):
        monkeypatch.delenv(name, raising=False)
    reports = tmp_path / "reports"
    (reports / "allure-results").mkdir(parents=True)
    (reports / "allure-results" / f"{UUID}-result.json").write_text("{}", encoding="utf-8")
    _write_summary(reports, "oc000001")
    return reports


def _write_summary(reports: Path, run_id: str) -> None:
    summary = {
        "verdict": "non-conformant",
        "target": "http://127.0.0.1:1",
        "run_id": run_id,
        "started_at": "2026-01-01T00:00:00+00:00",
        "counts": {},
        "requirements": [],
    }
    (reports / "summary.json").write_text(json.dumps(summary), encoding="utf-8")


def _log(reports: Path) -> list[dict[str, object]]:
    path = reports.parent / "log.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _config(reports: Path) -> dict[str, object]:
    return json.loads((reports / "allurerc.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_installs_once_then_generates(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--reports", str(env)]) == 0
    out, err = capsys.readouterr()
    assert f"certificate: {env / 'certificate.html'}" in out
    assert f"Allure report: {env / 'allure-report' / 'index.html'}" in out
    assert f"installing Allure {allure_html.ALLURE_VERSION}" in err
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "oneroster-conformance" / "allure"
    npm, generate = _log(env)
    assert npm["argv"] == [
        "npm",
        "install",
        "--prefix",
        str(cache),
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        f"allure@{allure_html.ALLURE_VERSION}",
    ]
    assert generate["argv"] == [
        str(cache / "node_modules" / "allure" / "cli.js"),
        "generate",
        "--config",
        "allurerc.json",
        "allure-results",
    ]
    assert generate["cwd"] == str(env)
    assert generate["secret"] is None  # ONEROSTER_* stays out of Node's environment
    config = _config(env)
    assert config["output"] == "allure-report" and config["historyPath"] == "allure-history.jsonl"
    assert config["appendHistory"] is True
    assert [c["name"] for c in config["categories"]][:2] == ["Authentication", "Transport / timeouts"]  # type: ignore[index]

    # Same run reported again: Allure is not installed twice, and the run is not added to the history twice.
    (env / "allure-report" / "stale.json").parent.mkdir(exist_ok=True)
    (env / "allure-report" / "stale.json").write_text("{}", encoding="utf-8")
    assert main(["report", "--reports", str(env)]) == 0
    assert [entry["argv"][1] for entry in _log(env)] == ["install", "generate", "generate"]
    assert _config(env)["appendHistory"] is False
    assert not (env / "allure-report" / "stale.json").exists()  # the output is rendered afresh

    _write_summary(env, "oc000002")  # a new run: its results join the history
    assert main(["report", "--reports", str(env)]) == 0
    assert _config(env)["appendHistory"] is True


def test_open_serves_the_report(env: Path) -> None:
    assert main(["report", "--reports", str(env), "--open"]) == 0
    assert _log(env)[-1]["argv"][1:] == ["open", "allure-report"]  # type: ignore[index]


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip() and "installing Allure" not in line]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("missing", ["node", "npm"])
def test_without_node_says_how_and_exits_2(env: Path, missing: str, capsys: pytest.CaptureFixture[str]) -> None:
    (env.parent / "bin" / missing).unlink()
    assert main(["report", "--reports", str(env)]) == 2
    out, err = capsys.readouterr()
    assert "Node.js 20 or later with npm" in _one_line(err)
    assert (env / "certificate.html").is_file() and "certificate:" in out  # written all the same


def test_old_node_is_refused(env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FAKE_NODE_VERSION", "v18.19.0")
    assert main(["report", "--reports", str(env)]) == 2
    assert "(found Node.js v18.19.0)" in _one_line(capsys.readouterr().err)


def test_failed_install_and_generation_are_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAKE_NPM_FAILS", "1")
    assert main(["report", "--reports", str(env)]) == 2
    assert _one_line(capsys.readouterr().err).endswith("npm ERR! network request failed")
    monkeypatch.delenv("FAKE_NPM_FAILS")
    monkeypatch.setenv("FAKE_GENERATE_FAILS", "1")
    assert main(["report", "--reports", str(env)]) == 2
    assert _one_line(capsys.readouterr().err).endswith(
        "Allure could not generate the report: Error: the results are broken"
    )


def test_without_results_or_summary(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "allure-results" / f"{UUID}-result.json").unlink()
    assert main(["report", "--reports", str(env)]) == 2
    assert "no Allure results in" in _one_line(capsys.readouterr().err)
    (env / "summary.json").unlink()
    assert main(["report", "--reports", str(env)]) == 2
    assert "no summary.json in" in _one_line(capsys.readouterr().err)
    (env / "summary.json").write_text("[1, 2]", encoding="utf-8")
    assert main(["report", "--reports", str(env)]) == 2
    assert "is not a summary" in _one_line(capsys.readouterr().err)
