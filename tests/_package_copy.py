"""Copies of the package for the recipe tests: make one, apply a recipe's edits, see which files
changed, and run Python with the copy first on the path (the reference server it starts inherits it)."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_package(before: Path, after: Path) -> None:
    """The package twice (``before`` untouched, ``after`` for the edits), the schemas beside ``after``."""
    shutil.copytree(ROOT / "conformance", before / "conformance", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(before, after)
    if (ROOT / "schemas").is_dir():  # a source checkout keeps the schemas beside the package
        shutil.copytree(ROOT / "schemas", after / "schemas")


def changed(left: Path, right: Path, prefix: str = "") -> set[str]:
    """The files that differ between two trees, relative to them."""
    compared = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = {prefix + name for name in compared.left_only + compared.right_only + compared.diff_files}
    for name in compared.common_dirs:
        found |= changed(left / name, right / name, f"{prefix}{name}/")
    return found


def python_in(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` run in ``root`` with it first on the path, so the copy's modules are the ones used."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEROSTER_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(root), env.get("PYTHONPATH"))))
    env["RECIPE_COPY"] = str(root)
    return subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
