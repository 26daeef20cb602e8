"""Every gradebook step of Google Classroom's OneRoster 1.2 SIS conformance notebook passes against the
reference server of each profile, sent exactly as the notebook sends it (see ``_notebook``)."""

from __future__ import annotations

import pytest

from conformance import profiles

from ._notebook import LONG_TITLE, STEPS, failed, report
from ._servers import run_notebook

pytestmark = pytest.mark.network


def test_the_long_title_is_the_notebooks() -> None:
    assert len(LONG_TITLE) == 112


@pytest.mark.parametrize("profile", [profiles.TIMEBACK, profiles.ONEEDTECH])
def test_every_gradebook_step_of_the_notebook_passes(profile: str) -> None:
    steps = run_notebook(profile)
    assert failed(steps) == [], f"the notebook fails against the {profile} server:\n{report(steps)}"
    assert [step.name for step in steps] == STEPS, report(steps)
