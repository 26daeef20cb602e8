"""Each fault written for a Google Classroom expectation breaks the notebook step it names, and only the
steps that depend on it (the same flow passes whole without the fault: test_notebook_flow)."""

from __future__ import annotations

import pytest

from conformance import profiles
from conformance.reference.faults import registry

from ._notebook import STEPS, failed, report
from ._servers import run_notebook

pytestmark = pytest.mark.network
TIMEBACK, OFFICIAL = profiles.TIMEBACK, profiles.ONEEDTECH
BOTH = (TIMEBACK, OFFICIAL)


def _through(first: str, last: str) -> list[str]:
    """The steps from ``first`` to ``last``: what fails when a record the later ones need was refused."""
    return STEPS[STEPS.index(first) : STEPS.index(last) + 1]


# (fault, profiles, the steps that fail with it on)
BROKEN: list[tuple[str, tuple[str, ...], list[str]]] = [
    ("benign-get-body-refused", BOTH, ["GetCategoriesForClass"]),  # and the notebook stops: no category
    ("benign-put-create-answers-200", (TIMEBACK,), ["PutLineItem Create"]),
    ("put-returns-200-with-body", (OFFICIAL,), ["PutLineItem Create"]),
    ("put-update-answers-204", BOTH, ["PutLineItem Edit", "PutResult Edit", "PutResult Exempt"]),
    ("title-cut-at-100", BOTH, ["Assignment Title Limit"]),
    ("score-clamped-to-max", BOTH, ["Result Extra Credit"]),
    ("exempt-refused", BOTH, ["PutResult Exempt", "Returned excused state"]),
    ("benign-deleted-in-lists", BOTH, ["Result deleted", "Line item deleted"]),
    ("limit-capped-at-3000", (OFFICIAL,), ["GetCategoriesForClass"]),  # its first limit=10000
    ("benign-unknown-scope-refused", (OFFICIAL,), ["Get OAuth Token"]),
    # The line item is refused, so every later step finds nothing, but the last: nothing to list.
    ("benign-server-members-required", (OFFICIAL,), _through("PutLineItem Create", "DeleteLineItem")),
    # TimeBack requires status only of records the notebook does not write.
    ("benign-server-members-required", (TIMEBACK,), []),
    ("benign-score-date-time-refused", (OFFICIAL,), _through("PutResult Create", "DeleteResult")),
]
CASES = [pytest.param(fault, profile, steps, id=f"{fault}-{profile}") for fault, on, steps in BROKEN for profile in on]


def test_the_cases_name_faults_of_their_profiles() -> None:
    assert [(fault, profile) for fault, on, _ in BROKEN for profile in on if fault not in registry(profile)] == []


@pytest.mark.parametrize(("fault", "profile", "broken"), CASES)
def test_the_fault_breaks_the_notebook_step_it_names(fault: str, profile: str, broken: list[str]) -> None:
    steps = run_notebook(profile, [fault])
    assert failed(steps) == broken, f"{fault} ({profile}):\n{report(steps)}"
