"""A run is an object, not process state: two runs in one process, with different profiles and
targets, give two correct verdicts that know nothing of each other."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from conformance import catalogue, cli, profiles
from conformance.reference import embedded
from conformance.run import Run, RunOptions
from conformance.target import ConfigError, Target
from tests._cli import run_in_process

pytestmark = pytest.mark.network


def test_two_runs_in_one_process_are_independent(tmp_path: Path) -> None:
    quick = ("--max-examples", "2", "--only", "GB-CATEGORY,GEN-AUTH")
    with (
        embedded.start(profile=profiles.TIMEBACK, faults=("put-returns-204",)) as broken,
        embedded.start(profile=profiles.ONEEDTECH) as official,
    ):
        first = run_in_process(broken, tmp_path / "first", "--profile", profiles.TIMEBACK, *quick)
        second = run_in_process(official, tmp_path / "second", "--profile", profiles.ONEEDTECH, *quick)
    code, summary, err = first
    assert code == 1, err[-1500:]
    assert summary["profile"] == profiles.TIMEBACK and summary["target"] == broken.base_url
    failed = {r["id"] for r in summary["requirements"] if r["status"] == "failed"}
    assert "GB-CATEGORY-PUT-UPSERT" in failed
    assert [r["id"] for r in summary["requirements"]] == list(catalogue.catalogue(profiles.TIMEBACK))

    code, summary, err = second
    assert code == 0, err[-1500:]
    assert summary["profile"] == profiles.ONEEDTECH and summary["target"] == official.base_url
    assert summary["verdict"] == "conformant"
    assert [r["id"] for r in summary["requirements"]] == list(catalogue.catalogue(profiles.ONEEDTECH))
    # Nothing of the first run leaked into the second: its failures, its run id, its request count.
    assert not [r for r in summary["requirements"] if r["status"] == "failed"]
    assert summary["run_id"] != first[1]["run_id"]
    assert summary["requests"] > 0
    statuses = {r["id"]: r["status"] for r in summary["requirements"]}
    assert statuses["GB-CATEGORY-PUT-UPSERT"] == "passed"


def test_a_worker_rebuilds_the_run_from_its_description() -> None:
    target = Target("http://127.0.0.1:9", token="secret-token-value", profile=profiles.ONEEDTECH)
    run = Run(target, RunOptions(max_examples=3, seed=7, only="GB-RESULT", workers=2), "ocabc123")
    run.arm()
    copy = Run.from_description(json.loads(json.dumps(run.describe())), "gw1")
    assert copy.target == target and copy.options == run.options and copy.run_id == run.run_id
    assert copy.prefix == "ocabc123-gw1-" and run.prefix == "ocabc123-m-"
    assert (copy.guard.deadline, copy.guard.budget) == (run.guard.deadline, run.guard.budget)
    assert copy.ledger is not run.ledger


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"seed": "-1"}, "--seed"),
        ({"max_examples": "x"}, "--max-examples"),
        ({"workers": "0"}, "--workers"),
        ({"time_budget": "0"}, "--time-budget"),
        ({"time_budget": "soon"}, "--time-budget"),
    ],
)
def test_bad_options_are_one_line_errors(values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        RunOptions.from_values(values)


@pytest.mark.parametrize(
    ("only", "expected"),
    [
        ("GB-LINEITEM-PUT-UPSERT", "GB-LINEITEM-PUT-UPSERT"),
        ("GB-LINEITEM", "GB-LINEITEM-GET"),
        ("PP-ASSIGN", "PP-ASSIGN"),
    ],
)
def test_only_selects_by_declared_id_or_prefix(only: str, expected: str, tmp_path: Path) -> None:
    with embedded.start() as server:
        code, summary, err = run_in_process(server, tmp_path, "--max-examples", "2", "--only", only)
    assert code == 0, err[-1500:]
    statuses = {r["id"]: r["status"] for r in summary["requirements"]}
    assert statuses[expected] == "passed"
    assert summary["requests"] > 0
    checked = {i for i, s in statuses.items() if s != "skipped"}
    assert all(i.startswith(("GB", "GEN", "PP")) for i in checked)


def test_only_that_selects_nothing_is_a_usage_error(tmp_path: Path) -> None:
    err = io.StringIO()
    with embedded.start() as server, contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert re.fullmatch(r"[0-9a-f]{48}", server.client_secret)  # never read as a flag below
        code = cli.main(
            [
                "run",
                *server.target_args(),
                "--client-secret",
                server.client_secret,
                "--reports",
                str(tmp_path),
                "--only",
                "GB-LINEITM-PUT-UPSERT",
            ]
        )
    assert code == 2
    last = err.getvalue().strip().splitlines()[-1]
    assert last.startswith("oneroster-conformance: error: --only 'GB-LINEITM-PUT-UPSERT' selects no test")
    assert not (tmp_path / "summary.json").exists()


@pytest.mark.parametrize("stopped", [True, False], ids=["after-a-stop", "in-a-running-run"])
def test_hypothesis_calling_an_interrupted_example_flaky_is_no_suite_error(stopped: bool) -> None:
    """A stop landing mid-example makes Hypothesis's replay differ; that is the stop, not a suite bug.
    The same error in a run that was not stopped is one."""
    from types import SimpleNamespace

    from hypothesis.errors import FlakyStrategyDefinition

    from conformance.suite.harness import RunPlugin

    run = Run(Target("http://127.0.0.1:9", token="t"), RunOptions(), "ocabc123")
    if stopped:
        run.guard.stop("interrupted by SIGTERM")
    call = SimpleNamespace(excinfo=SimpleNamespace(value=FlakyStrategyDefinition("Inconsistent data generation!")))
    RunPlugin(run).pytest_exception_interact(SimpleNamespace(nodeid="test_x.py::test_y"), call, None)
    assert bool(run.ledger.errors) is not stopped, run.ledger.errors
