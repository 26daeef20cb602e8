"""Settings from a file: found upward or named, a flag over the environment over the file over the
default, secrets never from the file, every mistake one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import cli, config_file
from conformance.exits import Exit
from conformance.reference import embedded


def _args(argv: list[str], cwd: Path) -> object:
    return cli.build_parser(config_file.load(argv, cwd=cwd)).parse_args(argv)


@pytest.fixture(autouse=True)
def _no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ONEROSTER_CONFIG", "ONEROSTER_MAX_EXAMPLES", "ONEROSTER_STRICT", "ONEROSTER_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def test_a_flag_beats_the_environment_beats_the_file_beats_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _args(["run"], tmp_path).max_examples == "20"  # type: ignore[attr-defined]
    (tmp_path / "oneroster-conformance.toml").write_text("max-examples = 7\nstrict = true\n", encoding="utf-8")
    from_file = _args(["run"], tmp_path)
    assert (from_file.max_examples, from_file.strict) == ("7", True)  # type: ignore[attr-defined]
    monkeypatch.setenv("ONEROSTER_MAX_EXAMPLES", "9")
    assert _args(["run"], tmp_path).max_examples == "9"  # type: ignore[attr-defined]
    assert _args(["run", "--max-examples", "11"], tmp_path).max_examples == "11"  # type: ignore[attr-defined]


def test_the_nearest_file_upward_is_used_and_a_pyproject_only_with_the_table(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text('[tool.oneroster-conformance]\nprofile = "1edtech"\n', encoding="utf-8")
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "other"\n', encoding="utf-8")
    found = config_file.load([], cwd=deep)
    assert found.path == tmp_path / "pyproject.toml" and found.values == {"profile": "1edtech"}
    (tmp_path / "a" / "oneroster-conformance.toml").write_text('profile = "timeback"\n', encoding="utf-8")
    assert config_file.load([], cwd=deep).path == tmp_path / "a" / "oneroster-conformance.toml"
    assert config_file.load([], cwd=Path("/")).path is None


def test_a_named_file_wins_over_the_one_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "oneroster-conformance.toml").write_text("max-examples = 3\n", encoding="utf-8")
    named = tmp_path / "ci.toml"
    named.write_text("max-examples = 4\n", encoding="utf-8")
    assert _args(["run", "--config", str(named)], tmp_path).max_examples == "4"  # type: ignore[attr-defined]
    monkeypatch.setenv("ONEROSTER_CONFIG", str(named))
    assert _args(["run"], tmp_path).max_examples == "4"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('client-secret = "s3cret"\n', "'client-secret' is a secret; secrets are read from the environment only"),
        ('token = "abc"\n', "'token' is a secret"),
        ('colour = "blue"\n', "unknown key 'colour' (keys are flags without dashes: "),
        ('strict = "yes"\n', "'strict' must be true or false, not 'yes'"),
        ("max-examples = true\n", "'max-examples' must be text or a number, not True"),
        ("max-examples = {a = 1}\n", "'max-examples' must be text, a number, true/false or a list of text"),
        ("max-examples = \n", "is not valid TOML"),
    ],
)
def test_a_file_that_cannot_be_used_is_one_line_and_exit_2(
    content: str, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "oneroster-conformance.toml").write_text(content, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run"]) == Exit.USAGE
    err = capsys.readouterr().err
    assert err.startswith("oneroster-conformance: error: ") and err.count("\n") == 1, err
    assert words in err and "Traceback" not in err
    assert "s3cret" not in err


def test_a_missing_named_file_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "--config", str(tmp_path / "nope.toml")]) == Exit.USAGE
    assert "nope.toml does not exist or is not a file" in capsys.readouterr().err


def test_a_run_takes_its_settings_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with embedded.start() as server:
        (tmp_path / "oneroster-conformance.toml").write_text(
            f'base-url = "{server.base_url}"\ntoken-url = "{server.token_url}"\nclient-id = "{server.client_id}"\n'
            'max-examples = 2\nonly = ["GB-CATEGORY-GET"]\nreports = "from-file"\n',
            encoding="utf-8",
        )
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("ONEROSTER_CLIENT_SECRET", server.client_secret)
        code = cli.main(["run"])
    err = capsys.readouterr().err
    assert code == Exit.OK, err[-1500:]
    assert f"settings from {tmp_path / 'oneroster-conformance.toml'}" in err
    summary = json.loads((tmp_path / "from-file" / "summary.json").read_text(encoding="utf-8"))
    assert summary["target"] == server.base_url and summary["verdict"] == "conformant"
