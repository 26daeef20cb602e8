"""The CI recipes, run as their CI would run them: the GitHub action's shell steps (inputs put where
its expressions say) and the GitLab template's job (variables as the environment), against the
embedded reference server, correct and faulty. The install steps are skipped (the package input and
variable empty): the suite under test is the one already installed here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.reference import embedded

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action.yml"
GITLAB = REPO / "ci-recipes" / "oneroster-conformance.gitlab-ci.yml"
QUICK = 'max-examples = 2\nonly = ["GB-CATEGORY"]\n'  # a settings file: a small run is enough here
INPUT = re.compile(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}")


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEROSTER_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # the installed command
    return env


def _bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def run_action(inputs: dict[str, str], tmp_path: Path) -> tuple[int, dict[str, str], str]:
    """Each step of the composite action in order, as the runner would: its ``env`` with the inputs'
    expressions resolved (every other expression is a failure of this test), GITHUB_OUTPUT collected."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    declared = action["inputs"]
    assert set(inputs) <= set(declared), set(inputs) - set(declared)
    values = {name: inputs.get(name, str(spec.get("default", ""))) for name, spec in declared.items()}
    output = tmp_path / "github-output"
    output.touch()
    env = _environment(tmp_path) | {
        "GITHUB_OUTPUT": str(output),
        "GITHUB_PATH": str(tmp_path / "github-path"),
        "RUNNER_TEMP": str(tmp_path),
    }
    code, log = 0, ""
    for step in action["runs"]["steps"]:
        assert "uses" not in step, "a step the test cannot run"
        step_env = {k: INPUT.sub(lambda m: values[m.group(1)], str(v)) for k, v in step.get("env", {}).items()}
        assert not any("${{" in v for v in step_env.values()) and "${{" not in step["run"], step["name"]
        done = _bash(step["run"], env | step_env, tmp_path)
        log += done.stdout + done.stderr
        code = done.returncode
        if code != 0:
            break
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line)
    return code, outputs, log


def _target(server: Any) -> dict[str, str]:
    return {
        "base-url": server.base_url,
        "token-url": server.token_url,
        "client-id": server.client_id,
        "client-secret": server.client_secret,
    }


@pytest.mark.parametrize(
    ("faults", "code", "verdict"), [((), 0, "conformant"), (("put-returns-204",), 1, "non-conformant")]
)
def test_the_github_action_runs_the_suite_and_says_its_verdict(
    faults: tuple[str, ...], code: int, verdict: str, tmp_path: Path
) -> None:
    (tmp_path / "ci.toml").write_text(QUICK, encoding="utf-8")
    with embedded.start(faults=faults) as server:
        inputs = _target(server) | {"package": "", "config": "ci.toml", "reports": "out"}
        exit_code, outputs, log = run_action(inputs, tmp_path)
    assert exit_code == code, log[-2000:]
    assert outputs == {
        "exit-code": str(code),
        "verdict": verdict,
        "reports": "out",
        "junit": "out/junit.xml",
        "summary": "out/summary.json",
    }, log[-2000:]
    assert (tmp_path / "out" / "junit.xml").is_file() and (tmp_path / "out" / "summary.json").is_file()
    assert server.client_secret not in log


def test_the_github_action_says_when_the_target_is_unreachable(tmp_path: Path) -> None:
    (tmp_path / "ci.toml").write_text(QUICK, encoding="utf-8")
    inputs = {
        "package": "",
        "config": "ci.toml",
        "base-url": "http://127.0.0.1:9",
        "token-url": "http://127.0.0.1:9/oauth2/token",
        "client-id": "x",
        "client-secret": "not-a-real-secret",
    }
    exit_code, outputs, log = run_action(inputs, tmp_path)
    assert (exit_code, outputs["exit-code"], outputs["verdict"]) == (3, "3", "none"), log[-2000:]
    assert "connection refused by 127.0.0.1:9" in log


def test_the_gitlab_template_runs_the_suite_and_leaves_its_junit_report(tmp_path: Path) -> None:
    template = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    job = template[".oneroster-conformance"]
    assert template["oneroster-conformance"] == {"extends": ".oneroster-conformance"}
    (tmp_path / "ci.toml").write_text(QUICK, encoding="utf-8")
    with embedded.start(faults=("put-returns-204",)) as server:
        variables = {k: str(v) for k, v in job["variables"].items()} | {
            "OC_PACKAGE": "",
            "ONEROSTER_CONFIG": "ci.toml",
            "ONEROSTER_BASE_URL": server.base_url,
            "ONEROSTER_TOKEN_URL": server.token_url,
            "ONEROSTER_CLIENT_ID": server.client_id,
            "ONEROSTER_CLIENT_SECRET": server.client_secret,
        }
        env = _environment(tmp_path) | variables
        for line in job["before_script"]:
            assert _bash(line, env, tmp_path).returncode == 0, line
        codes = [_bash(line, env, tmp_path).returncode for line in job["script"]]
    assert codes == [1], "the job fails with the run"
    assert (tmp_path / job["artifacts"]["reports"]["junit"]).is_file()
    assert all((tmp_path / path).exists() for path in job["artifacts"]["paths"])
    assert job["artifacts"]["when"] == "always", "the reports of a failed run are kept"
