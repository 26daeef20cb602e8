"""The embedded reference server, prepared as a school's SIS would be before the notebook runs."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from conformance import fixtures, profiles
from conformance.reference import embedded
from tests.reference._records import BINDINGS, line_item

from ._notebook import Notebook, Roster, Step

# The page size the notebook asks for, per profile: Google's 10,000, or TimeBack's documented maximum.
PAGE = {profiles.TIMEBACK: 3000, profiles.ONEEDTECH: 10_000}


def roster() -> Roster:
    """The first class of the fixtures, its school and its first student: what the rostering steps read."""
    first = fixtures.load().classes[0]
    return Roster(first.sourcedId, first.school, first.students[0])


def _graded_in_a_category(server: embedded.RunningServer, profile: str, class_id: str) -> None:
    """A line item of the class in the fixtures' first category, as any class of a live SIS has one.

    A class lists the categories its line items use (a 1.2 category names no class), so a fresh server
    lists none, and the notebook would stop at categories[0]. The body is the binding's strict one, so
    every variant of the server takes it."""
    category = fixtures.load().categories[0][0]
    ref = BINDINGS[profile].ref
    body = line_item("earlier-assignment", profile=profile, category=ref("category", category))
    body["class"] = ref("class", class_id)
    answer = httpx.put(
        f"{server.base_url}/ims/oneroster/gradebook/v1p2/lineItems/earlier-assignment",
        json={"lineItem": body},
        headers={"Authorization": f"Bearer {server.token()}"},
        timeout=10,
    )
    assert answer.status_code in (200, 201), answer.text


def run_notebook(profile: str, faults: Iterable[str] = ()) -> list[Step]:
    """The notebook's gradebook steps against a fresh server of ``profile`` with ``faults`` on."""
    with embedded.start(profile=profile, faults=faults) as server:
        chosen = roster()
        _graded_in_a_category(server, profile, chosen.class_id)
        credentials = (server.client_id, server.client_secret)
        base = f"{server.base_url}/ims/oneroster"  # the form of one_roster_url whose paths reach the spec's
        return Notebook(base, server.token_url, credentials, chosen, PAGE[profile]).run()
