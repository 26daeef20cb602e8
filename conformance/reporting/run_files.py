"""What a run writes: summary.json and summary.md, the certificate, and the Allure run files.

``ReportWriter`` is a pytest plugin bound to one run. At the start it installs the Allure recorder
(steps and labels) when the run writes Allure results, and the controller clears what an earlier
run left in the same directory. At the end (controller) it writes every file once, from the
verdict the harness left on the run — with the comparison to a baseline, when one was given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.reporting import allure_files, allure_live, baseline, certificate, summary
from conformance.run import Run

NAME = "oneroster-conformance-reports"


class ReportWriter:
    def __init__(self, run: Run) -> None:
        self.run = run

    def pytest_configure(self, config: pytest.Config) -> None:
        allure_live.install(config, self.run)
        results = allure_live.results_dir(config)
        if self.run.worker is None:
            (self.run.reports / "summary.json").unlink(missing_ok=True)  # never mistaken for this run's
            if results is not None:
                allure_files.clean(Path(results))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        result = self.run.result
        if self.run.worker is not None or result is None:
            return
        if self.run.baseline is not None:
            path, before = self.run.baseline
            result["baseline"] = baseline.compare(before, result, path)
        write(session.config, result, self.run.reports)

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if self.run.result is not None:
            terminalreporter.write_line(summary.terminal(self.run.result))
            terminalreporter.write_line(f"reports: {self.run.reports.resolve()}")


def write(config: pytest.Config, result: dict[str, Any], reports: Path) -> None:
    summary.write(result, reports)
    results = allure_live.results_dir(config)
    if results is not None:
        allure_files.write(Path(results), result)
    certificate.write(result, reports)
