"""Writing a generated Markdown page (``docs/requirements.md``, ``docs/readings.md``, ``docs/inventory.md``).

It lives in ``contract/`` rather than ``catalogue/`` because ``catalogue/`` imports ``contract/``:
only here can both units' page generators share it without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path


def write_page(argv: Sequence[str], render: Callable[[], str], default: str) -> int:
    """A page generator's ``main``: ``render()`` written to ``argv[0]`` (``default`` without one),
    the path printed."""
    target = Path(argv[0]) if argv else Path(default)
    target.write_text(render(), encoding="utf-8")
    print(target)
    return 0
