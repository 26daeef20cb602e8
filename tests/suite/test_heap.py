"""While a run's tests go, what existed at the first is out of the collector's way and the young
generation is collected less often; both come back when the tests end."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from conformance.client import SuiteClient
from conformance.reference import embedded
from conformance.suite import heap
from tests._cli import run_in_process

TUNED = (heap.YOUNG_THRESHOLD, heap.OLDER_THRESHOLD, heap.OLDER_THRESHOLD)


def test_the_collector_is_put_back_after_the_block_even_when_it_raises() -> None:
    gc.unfreeze()  # a clean slate: an earlier test in this process may have frozen objects (mypy does)
    thresholds = gc.get_threshold()
    held = [object() for _ in range(100)]
    with pytest.raises(RuntimeError), heap.long_lived_frozen():
        assert gc.get_threshold() == TUNED
        assert gc.get_freeze_count() >= len(held)
        raise RuntimeError("a test loop that ends badly")
    assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, 0)


def test_what_a_caller_froze_stays_frozen() -> None:
    gc.unfreeze()
    gc.freeze()
    frozen = gc.get_freeze_count()
    young = [[] for _ in range(1_000)]  # frozen too, if the block froze anything
    try:
        with heap.long_lived_frozen():
            assert gc.get_threshold() == TUNED
            # A frozen object may still die (another thread of the process drops it): the count may fall
            # a little, but never to nothing (an unfreeze) nor past what a new freeze would add.
            assert 0 < gc.get_freeze_count() < frozen + len(young)
        assert 0 < gc.get_freeze_count() < frozen + len(young)
    finally:
        gc.unfreeze()


@pytest.mark.network
def test_every_request_of_a_run_is_sent_with_the_collector_tuned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[tuple[int, int, int], int]] = []
    send = SuiteClient.send

    def observed(self: SuiteClient, *args: Any, **kwargs: Any) -> Any:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        return send(self, *args, **kwargs)

    monkeypatch.setattr(SuiteClient, "send", observed)
    gc.unfreeze()  # as in a process where nothing froze objects before the run
    thresholds = gc.get_threshold()
    with embedded.start() as server:
        code, _, _ = run_in_process(server, tmp_path, "--only", "GEN-AUTH", "--max-examples", "1")
    assert code == 0
    during = [entry for entry in seen if entry[0] == TUNED]
    assert len(during) >= 10, seen[:5]
    assert all(frozen > 0 for _, frozen in during)
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0
