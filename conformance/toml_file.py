"""Reading a user's TOML file (settings, waivers) with every way it can fail said in one line."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read(path: Path, what: str, error: type[Exception]) -> dict[str, Any]:
    """The parsed ``path``; ``error`` with a one-line message naming it as ``what`` when it cannot be."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise error(f"{what} {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what} {path} is not valid TOML: {exc}") from None
