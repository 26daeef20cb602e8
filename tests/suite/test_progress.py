"""The progress of a run, overall and by requirement area."""

from __future__ import annotations

from conformance.guard import Guard
from conformance.suite.progress import EVERY, Progress, Tally


def test_each_area_gets_the_requests_its_tests_sent() -> None:
    progress = Progress(Guard(), lambda line: None)
    progress.requests["main"] = 5  # the exchanges seen while the first test ran
    progress.record("gradebook/results", "main", 5, failed=False)
    progress.record("gradebook/results", "main", 9, failed=True)
    progress.record("general", "gw1", 4, failed=False)
    progress.record("general", "main", 12, failed=False)
    assert progress.areas == {
        "gradebook/results": Tally(tests=2, requests=9, failed=1),
        "general": Tally(tests=2, requests=7, failed=0),
    }
    assert progress.line() == "[general] 4 tests, 16 requests, 1 failed"


def test_a_log_gets_a_line_at_most_every_two_seconds_unless_forced() -> None:
    written: list[str] = []
    progress = Progress(Guard(), written.append)
    progress.tell(now=100.0)
    progress.tell(now=100.0 + EVERY / 2)
    progress.tell(now=100.0 + EVERY / 2, force=True)
    progress.tell(now=100.0 + EVERY * 2)
    assert len(written) == 3


def test_lines_keep_their_pace_when_the_requests_that_write_them_come_late() -> None:
    written: list[str] = []
    progress = Progress(Guard(), written.append)
    for now in (100.0, 100.0 + EVERY + 0.3, 100.0 + 2 * EVERY + 0.1, 100.0 + 3 * EVERY + 0.2, 100.0 + 4 * EVERY):
        progress.tell(now=now)
    assert len(written) == 5  # one a period, though each came a little after its time
    progress.tell(now=100.0 + 9 * EVERY)  # after a long silence, the pace starts again from now
    progress.tell(now=100.0 + 9.5 * EVERY)
    assert len(written) == 6
