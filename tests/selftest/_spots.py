"""Where the reference server's code switches on a fault: the other half of a fault, beside its data."""

from __future__ import annotations

import ast
from pathlib import Path


def decisive_spots(reference: Path) -> dict[str, list[str]]:
    """Every fault name the modules of ``reference`` (a ``conformance/reference`` folder) pass to
    ``.on(...)``, with ``module.py:line`` for each use.

    A spot that also passes the record's entity (``.on("name", entity)``) serves the fault's
    per-entity variants as well: it is listed under ``name@`` too.

    Read from the syntax tree, so a call spread over several lines counts; a name that is not one
    string literal raises, since no check could then tell which fault the spot belongs to."""
    spots: dict[str, list[str]] = {}
    for path in sorted(reference.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "on"):
                continue
            where = f"{path.name}:{node.lineno}"
            name = node.args[0] if len(node.args) in (1, 2) and not node.keywords else None
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                raise AssertionError(f"{where}: .on(...) must name its fault as one string literal")
            spots.setdefault(name.value, []).append(where)
            if len(node.args) == 2:
                spots.setdefault(name.value + "@", []).append(where)
    return spots
