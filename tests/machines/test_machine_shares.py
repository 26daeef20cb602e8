"""A state machine's examples run as shares, each a test of its own drawing from a seed of its own: the
shares draw different examples, as many at random as the whole machine would, and the same run seed
sends the same requests again."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conformance.reference import embedded
from conformance.suite.test_machines import SEED_INDEPENDENT, Part
from tests._cli import Outcome, against

ONE, TWO = "State machine: collections, part 1 of 2", "State machine: collections, part 2 of 2"


def _examples(out: Outcome) -> dict[str, list[tuple[str, ...]]]:
    """Each share's examples (their steps: method, path and status), by test title, with the run's own
    names blanked; an example starts with the PUT of its first record."""
    assert out.code == 0, out.stderr[-1500:]
    own = re.compile(re.escape(out.summary["run_id"]) + r"[-\w]*?-set-\d+-")
    found = {}
    for path in (out.reports / "allure-results").glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        examples: list[list[str]] = []
        for step in result["steps"]:
            name = own.sub("<run>-", step["name"])
            if (name.startswith("PUT ") and "/<run>-000 " in name) or not examples:
                examples.append([])
            examples[-1].append(name)
        found[result["name"].split(" (")[0]] = [tuple(e) for e in examples]
    return found


def test_each_share_draws_its_own_examples_and_the_seed_draws_them_again(tmp_path: Path) -> None:
    args = ("--only", "test_machine[collections]", "--max-examples", "20", "--seed", "7", "--no-shrink")
    with embedded.start() as server:
        first = _examples(against(server, *args, reports=tmp_path / "first"))
        again = _examples(against(server, *args, reports=tmp_path / "again"))
    assert sorted(first) == [ONE, TWO]
    assert first == again  # the same seed, the same requests
    assert [len(first[ONE]), len(first[TWO])] == [5, 5 + SEED_INDEPENDENT]  # 10 examples, as one machine
    # What every seed draws alike comes first in each share; after it, the shares go their own ways.
    assert first[ONE][:SEED_INDEPENDENT] == first[TWO][:SEED_INDEPENDENT]
    drawn = [set(first[ONE][SEED_INDEPENDENT:]), set(first[TWO][SEED_INDEPENDENT:])]
    assert not drawn[0] & drawn[1], "a share repeated another's examples"


@pytest.mark.parametrize(("max_examples", "shares"), [(0, [2, 3]), (8, [2, 4]), (50, [13, 14]), (51, [13, 14])])
def test_the_shares_draw_as_many_at_random_as_the_whole_machine(max_examples: int, shares: list[int]) -> None:
    whole = max(3, max_examples // 2)
    assert [Part(n, 2).examples(max_examples) for n in (1, 2)] == shares
    assert sum(shares) - SEED_INDEPENDENT * 2 == whole - SEED_INDEPENDENT
