"""Settings from a file, so that a pipeline carries a path instead of a long command line.

The file is ``oneroster-conformance.toml`` (its top-level keys) or a ``pyproject.toml`` with a
``[tool.oneroster-conformance]`` table: the first of either found in the working directory or a
directory above it, or the one ``--config FILE`` (or ``ONEROSTER_CONFIG``) names. Each key is a
flag without its dashes (``base-url``, ``max-examples``, ``strict``) and stands where the flag's
default was: a flag wins over the environment, the environment over the file, the file over the
default. Secrets are never read from a file — a file is committed, copied and printed far more
often than an environment — so a ``client-secret`` or ``token`` key is an error, as is a key no
command knows.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import toml_file
from conformance.settings import ENV_PREFIX

OWN_FILE = "oneroster-conformance.toml"
PYPROJECT = "pyproject.toml"
TABLE = "oneroster-conformance"  # under [tool]
CONFIG_FLAG = "--config"
CONFIG_ENV = ENV_PREFIX + "CONFIG"
SECRETS = frozenset({"client-secret", "token"})


class ConfigFileError(Exception):
    """A configuration file that cannot be used; the message is one line."""


@dataclass(frozen=True)
class ConfigFile:
    """The settings a file gives: flag name (no dashes) to value, as the flag's text would be."""

    path: Path | None = None
    values: Mapping[str, str | bool] = field(default_factory=dict)

    def default(self, flag: str, default: Any) -> Any:
        return self.values.get(flag.lstrip("-"), default)

    def check_keys(self, known: Iterable[str]) -> None:
        """Every key is some command's flag; raise ConfigFileError naming the first that is not."""
        flags = {flag.lstrip("-") for flag in known} - SECRETS
        for key in self.values:
            if key not in flags:
                raise ConfigFileError(
                    f"{self.path}: unknown key {key!r} (keys are flags without dashes: {', '.join(sorted(flags))})"
                )


def named_in(argv: Sequence[str]) -> str | None:
    """The ``--config`` value of a command line, read before the command line itself is parsed."""
    for i, arg in enumerate(argv):
        if arg == CONFIG_FLAG:
            if i + 1 >= len(argv) or argv[i + 1].startswith("--"):
                raise ConfigFileError(f"{CONFIG_FLAG} needs a file")
            return argv[i + 1]
        if arg.startswith(CONFIG_FLAG + "="):
            return arg.split("=", 1)[1]
    return None


def find(start: Path) -> Path | None:
    """The first ``oneroster-conformance.toml``, or ``pyproject.toml`` with the tool's table, in
    ``start`` or a directory above it."""
    for directory in (start, *start.parents):
        own = directory / OWN_FILE
        if own.is_file():
            return own
        project = directory / PYPROJECT
        if project.is_file() and _has_table(project):
            return project
    return None


def _has_table(project: Path) -> bool:
    try:
        data = tomllib.loads(project.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # someone else's broken pyproject is not ours to report
    tool = data.get("tool")
    return isinstance(tool, dict) and TABLE in tool


def load(argv: Sequence[str], cwd: Path | None = None) -> ConfigFile:
    """The file the command line or the environment names, else the one found upward from ``cwd``;
    an empty ``ConfigFile`` when there is none. Raises ConfigFileError for a file that cannot be used."""
    named = named_in(argv) or os.environ.get(CONFIG_ENV) or None
    if named is not None:
        path = Path(named)
        if not path.is_file():
            raise ConfigFileError(f"config file {path} does not exist or is not a file")
    else:
        found = find((cwd or Path.cwd()).resolve())
        if found is None:
            return ConfigFile()
        path = found
    return ConfigFile(path, _values(path))


def _values(path: Path) -> dict[str, str | bool]:
    data = toml_file.read(path, "config file", ConfigFileError)
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get(TABLE, {})
        where = f"{path} [tool.{TABLE}]"
    else:
        table, where = data, str(path)
    if not isinstance(table, dict):
        raise ConfigFileError(f"{where} must be a table of settings")
    values: dict[str, str | bool] = {}
    for key, value in table.items():
        if key in SECRETS:
            env = ENV_PREFIX + key.replace("-", "_").upper()
            raise ConfigFileError(f"{where}: {key!r} is a secret; secrets are read from the environment only ({env})")
        values[key] = _text(where, key, value)
    return values


def _text(where: str, key: str, value: Any) -> str | bool:
    """A value as its flag would carry it: text; a list as comma-separated text; true/false for an on/off flag."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ",".join(value)
    raise ConfigFileError(f"{where}: {key!r} must be text, a number, true/false or a list of text, not {value!r}")
