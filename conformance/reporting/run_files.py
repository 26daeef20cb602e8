"""What the suite's pytest plugin writes besides summary.json, at the start and at the end of a run.

At the start: the Allure recorder (steps and labels) when the run writes Allure results, and the
controller clears the results an earlier run left in the same directory. At the end (controller):
the Allure run files and the certificate, both from the summary just written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.reporting import allure_files, allure_live, certificate


def on_start(config: pytest.Config, *, controller: bool) -> None:
    allure_live.install(config)
    results = allure_live.results_dir(config)
    if controller and results is not None:
        allure_files.clean(Path(results))


def on_finish(config: pytest.Config, summary: dict[str, Any], reports: Path) -> None:
    results = allure_live.results_dir(config)
    if results is not None:
        allure_files.write(Path(results), summary)
    certificate.write(summary, reports)
