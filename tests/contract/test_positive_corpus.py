"""The positive payload corpus: payloads the contract accepts.

Each file of ``tests/contract/positive/`` is one case in the format of ``negative/case.schema.json``
without a pointer. They pin down what the schemas must keep allowing: nulls where the reference spec
marks a member nullable (as written: the base reading), non-integer scores, learning-objective sets,
members a server may add, seed 002's PUT result without status and scoreStatus under the lenient
reading, and what the lenient reading admits because a server may (docs/readings.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.contract import schemas

from ._support import POSITIVE, case_format_errors, load_cases

CASES = load_cases(POSITIVE)


@pytest.mark.parametrize(("stem", "case"), CASES, ids=[stem for stem, _ in CASES])
def test_positive_case_file_fits_the_case_format(stem: str, case: dict[str, Any]) -> None:
    """Every positive case follows case.schema.json (description, kind, reading, data; no pointer)."""
    assert case_format_errors(case, "positive") == []


@pytest.mark.parametrize(("stem", "case"), CASES, ids=[stem for stem, _ in CASES])
def test_positive_case_is_valid(stem: str, case: dict[str, Any]) -> None:
    """The payload satisfies its kind under its reading: the validator reports no problem."""
    assert [str(p) for p in schemas.problems(case["kind"], case["data"], case["reading"])] == []


def test_positive_corpus_is_not_empty() -> None:
    """A missing or emptied folder cannot pass silently."""
    assert len(CASES) >= 8
