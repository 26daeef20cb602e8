"""The reports of a real run, as a vendor sees them: the suite runs twice against a reference server
with a fault (put-returns-204), into one reports directory; ``report`` renders both pages after
each run; headless Chromium opens them. The failing requirements are on both pages, no file
holds the client secret or the bearer token, the Allure results are the latest run's only, and
the second report shows a trend.

Everything runs once per test session, even under pytest-xdist: the first worker to get the lock
does the runs, the others read what it left (the ``worker_id`` pattern of the xdist docs).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from conformance import fixtures
from conformance.reference import embedded
from tests._cli import cli, environment
from tests._loopback import serving

pytestmark = pytest.mark.network

FAULT = "put-returns-204"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAS_NODE = shutil.which("node") is not None and shutil.which("npm") is not None
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(),
    reason="Chromium is not installed (apt-get install -y chromium): the pages were not opened in a browser",
)
needs_node = pytest.mark.skipif(not HAS_NODE, reason="Node.js and npm are not installed: no Allure HTML report")


@dataclass
class Runs:
    reports: str
    secret: str
    token: str
    first_summary: dict[str, Any]
    outcomes: list[dict[str, Any]]  # run, report, run, report: code, stdout, stderr


def _cli(*args: str, env: dict[str, str], timeout: float, reports: Path) -> dict[str, Any]:
    done = cli(*args, reports=reports, env=environment(**env), timeout=timeout)
    return {"args": list(args), "code": done.code, "stdout": done.stdout, "stderr": done.stderr}


def _do_runs(reports: Path) -> Runs:
    outcomes = []
    with embedded.start(faults=[FAULT]) as server:
        target = [*server.target_args()[:2], "--fixtures", str(fixtures.default_path())]
        target += ["--max-examples", "2", "--only", "results", "--reports", str(reports)]
        # First run: OAuth2 client credentials, the secret through the environment.
        outcomes.append(
            _cli(
                "run",
                *target,
                "--token-url",
                server.token_url,
                "--client-id",
                server.client_id,
                env={"ONEROSTER_CLIENT_SECRET": server.client_secret},
                timeout=300,
                reports=reports,
            )
        )
        first_summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
        outcomes.append(
            _cli("report", "--reports", str(reports), env={}, timeout=900, reports=reports)
        )  # may install Allure
        # Second run: a bearer token fetched here and given as a static token, so that the scan for
        # it below looks for the very token every request of that run carried.
        token = server.token()
        outcomes.append(_cli("run", *target, env={"ONEROSTER_TOKEN": token}, timeout=300, reports=reports))
        outcomes.append(_cli("report", "--reports", str(reports), env={}, timeout=600, reports=reports))
        return Runs(str(reports), server.client_secret, token, first_summary, outcomes)


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Runs:
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # shared by the workers of this session
    shared = root / "reporting-end-to-end"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "runs.json"
        if not done.exists():
            done.write_text(json.dumps(asdict(_do_runs(shared / "reports"))), encoding="utf-8")
        return Runs(**json.loads(done.read_text(encoding="utf-8")))


def _failed(summary: dict[str, Any]) -> list[str]:
    return [r["id"] for r in summary["requirements"] if r["status"] == "failed" and r["level"] == "MUST"]


def test_both_runs_fail_the_fault(runs: Runs) -> None:
    run1, _, run2, _ = runs.outcomes
    assert run1["code"] == 1, run1["stderr"][-2000:]
    assert run2["code"] == 1, run2["stderr"][-2000:]
    assert _failed(runs.first_summary)
    assert _failed(json.loads((Path(runs.reports) / "summary.json").read_text(encoding="utf-8")))


@needs_node
def test_report_renders_both_pages(runs: Runs) -> None:
    for outcome in runs.outcomes[1::2]:
        assert outcome["code"] == 0, outcome["stderr"][-2000:]
        assert "certificate: " in outcome["stdout"] and "Allure report: " in outcome["stdout"]
    reports = Path(runs.reports)
    assert (reports / "certificate.html").is_file() and (reports / "allure-report" / "index.html").is_file()


def test_run_writes_the_certificate_itself(runs: Runs) -> None:
    page = (Path(runs.reports) / "certificate.html").read_text(encoding="utf-8")
    summary = json.loads((Path(runs.reports) / "summary.json").read_text(encoding="utf-8"))
    assert summary["run_id"] in page


def test_no_secret_or_token_in_any_report_file(runs: Runs) -> None:
    files = [p for p in Path(runs.reports).rglob("*") if p.is_file()]
    assert len(files) > 100  # allure-results, allure-report, summaries, junit, certificate
    leaks = [
        f"{path}: {what}"
        for path in files
        for what, value in (("client secret", runs.secret), ("bearer token", runs.token))
        if value.encode() in path.read_bytes()
    ]
    assert leaks == []


def _results(reports: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in (reports / "allure-results").glob("*-result.json")]


def test_allure_results_are_the_latest_runs_only(runs: Runs) -> None:
    reports = Path(runs.reports)
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    started = datetime.fromisoformat(summary["started_at"]).timestamp() * 1000
    results = _results(reports)
    assert results and all(r["start"] >= started - 1000 for r in results)  # allure's ms; started_at has seconds
    environment = (reports / "allure-results" / "environment.properties").read_text(encoding="ascii")
    assert f"Run={summary['run_id']}" in environment.splitlines()
    assert json.loads((reports / "allure-results" / "categories.json").read_text(encoding="utf-8"))


def _labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def test_failing_test_is_labelled_with_steps_and_evidence(runs: Runs) -> None:
    reports = Path(runs.reports)
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    failed = _failed(summary)
    results = _results(reports)
    for requirement in failed:
        tests = [r for r in results if r["status"] == "failed" and requirement in _labels(r, "story")]
        assert tests, f"no failed Allure test is labelled with {requirement}"
        test = tests[0]
        assert _labels(test, "severity") == ["critical"]
        # Allure's page shows the first label groups only: the requirement labels come before
        # allure-pytest's own (suite, host, thread…).
        groups = list(dict.fromkeys(label["name"] for label in test["labels"]))
        assert groups[:3] == ["epic", "feature", "story"], groups
        assert "Gradebook" in _labels(test, "epic") and _labels(test, "feature")
        assert _labels(test, "source")
        assert test["name"] and not test["name"].startswith("test_")
        assert requirement in test["description"]
        attachments = {a["name"]: a["source"] for a in test.get("attachments", [])}
        failure = (reports / "allure-results" / attachments[f"{requirement} failure"]).read_text(encoding="utf-8")
        assert failure.splitlines()[0].startswith(f"[{requirement}] MUST") or "failing checks" in failure
        assert "curl " in failure and "$ONEROSTER_TOKEN" in failure
        steps = test["steps"]
        assert steps and all(re.match(r"^[A-Z]+ /\S* → \S+", s["name"]) for s in steps)
        assert any(s["name"].startswith("PUT ") and s["name"].endswith("→ 204") for s in steps)
        request = next(a for a in steps[-1]["attachments"] if a["name"] == "request")
        text = (reports / "allure-results" / request["source"]).read_text(encoding="utf-8")
        assert "authorization: Bearer ***" in text.lower().replace("bearer ***", "Bearer ***")


@needs_node
def test_history_builds_up_across_runs(runs: Runs) -> None:
    reports = Path(runs.reports)
    history = (reports / "allure-history.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(history) == 2  # one line per run
    assert list((reports / "allure-report" / "data" / "history").glob("*.json"))
    charts = json.loads((reports / "allure-report" / "widgets" / "charts.json").read_text(encoding="utf-8"))
    dynamics = [c for c in charts["general"].values() if c["type"] == "statusDynamics"]
    assert dynamics and len(dynamics[0]["data"]) >= 2  # the earlier run, and this one: a trend


def _dump_dom(url: str, profile: Path, budget_ms: int = 0) -> str:
    argv = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ]
    if budget_ms:
        argv.append(f"--virtual-time-budget={budget_ms}")
    done = subprocess.run([*argv, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _stories(page: str) -> list[str]:
    """The values of the "story" label on a test's page: the word "story", then its chips."""
    found = re.search(r"\bstory((?: [A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)+)", page)
    return found.group(1).split() if found else []


def _text(dom: str) -> str:
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S | re.I)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))


@needs_chromium
def test_certificate_in_a_browser(runs: Runs, tmp_path: Path) -> None:
    reports = Path(runs.reports)
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    dom = _dump_dom((reports / "certificate.html").as_uri(), tmp_path / "profile")
    text = _text(dom)
    assert "Non-conformant" in text and summary["target"] in text
    for requirement in _failed(summary):
        assert f'id="failure-{requirement}"' in dom
        assert "MUST requirements failed:" in text and requirement in text


@contextlib.contextmanager
def _served(directory: Path) -> Iterator[str]:
    """The Allure report over HTTP on loopback: its page fetches its data, which file:// refuses."""

    class Pages(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(functools.partial(Pages, directory=str(directory))) as origin:
        yield origin


@needs_chromium
@needs_node
def test_allure_report_in_a_browser(runs: Runs, tmp_path: Path) -> None:
    reports = Path(runs.reports)
    failed = _failed(json.loads((reports / "summary.json").read_text(encoding="utf-8")))
    shown = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (reports / "allure-report" / "data" / "test-results").glob("*.json")
    ]
    with _served(reports / "allure-report") as base:
        overview = _text(_dump_dom(f"{base}/index.html", tmp_path / "p1", budget_ms=10_000))
        assert "OneRoster conformance: non-conformant" in overview
        assert re.search(r"Failed \d+", overview)
        assert "Target" in overview and "Run" in overview  # environment.properties, as Metadata
        # The requirement this fault breaks in a `--only results` run must be shown on its test's page;
        # every other failed requirement must at least be in the report's data.
        expected = ["GB-RESULT-PUT-UPSERT"]
        assert set(expected) <= set(failed), (expected, failed)
        labelled = {label["value"] for t in shown for label in t["labels"]}
        assert set(failed) <= labelled, set(failed) - labelled
        for requirement in expected:
            test = next(
                t
                for t in shown
                if t["status"] == "failed" and any(label["value"] == requirement for label in t["labels"])
            )
            # The page fetches its data over loopback; on a loaded machine give it longer before judging.
            for attempt, budget in enumerate((10_000, 25_000, 60_000)):
                page = _text(_dump_dom(f"{base}/index.html#{test['id']}", tmp_path / f"p2-{attempt}", budget_ms=budget))
                if requirement in _stories(page):
                    break
            assert test["name"] in page
            assert requirement in _stories(page), page[:3000]  # the label, among the test's stories
            assert re.search(r"(GET|PUT|POST|DELETE|PATCH) /ims/oneroster/\S+ → \d{3}", page)  # an exchange step
            assert "Teardown of suite: delete the records this run made" in page  # named, not "suite::1"
            assert "::&lt;lambda&gt;" not in page and "suite::1" not in page
            assert f"[{requirement}] MUST" in page  # the failure message
            assert "Category: " in page  # classified by categories.json's rules
