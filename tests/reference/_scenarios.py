"""What the fault tests of both profiles share: stimuli on /results with bodies in a profile's binding,
and the scenarios that observe a fault the same way in either profile (a scenario answers True when
the server shows the deviation).

A scenario is optional: the fault data (conformance/reference/faults.toml) already makes the kill
matrix check that the suite catches every fault, so a new fault needs no scenario to be accepted.
What a scenario adds is a direct, fast look at the deviation itself. A scenario must name a fault
the data declares for its profile (``undeclared``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from conformance import profiles
from conformance.reference.faults import registry

from ._records import line_item, result
from ._support import TLS, Api, G, ThreadServer, uid

Scenario = Callable[[Api], bool]
Serve = Callable[..., tuple[ThreadServer, Api]]  # the ``serve`` fixture
LEARNING_OBJECTIVES = [{"source": "case", "learningObjectiveResults": [{"learningObjectiveId": "lo", "score": 1}]}]


@dataclass(frozen=True)
class Probe:
    """Stimuli on /results whose bodies are valid in ``profile``'s binding."""

    profile: str

    def put(self, api: Api, **extra: Any) -> tuple[str, httpx.Response]:
        sourced_id = uid("f")
        return sourced_id, api.put(f"{G}/results/{sourced_id}", {"result": self._result(sourced_id, **extra)})

    def stored(self, api: Api, **extra: Any) -> dict[str, Any]:
        """What the server keeps of a new result (read back, not the PUT's answer, which 1edtech leaves empty)."""
        sourced_id, _ = self.put(api, **extra)
        body: dict[str, Any] = api.get(f"{G}/results/{sourced_id}").json()["result"]
        return body

    def twice(self, api: Api) -> tuple[str, httpx.Response, httpx.Response]:
        """The same result put twice, first with the comment "first", then "second"."""
        sourced_id = uid("f")
        first = api.put(f"{G}/results/{sourced_id}", {"result": self._result(sourced_id, comment="first")})
        second = api.put(f"{G}/results/{sourced_id}", {"result": self._result(sourced_id, comment="second")})
        return sourced_id, first, second

    def deleted(self, api: Api) -> str:
        sourced_id, _ = self.put(api)
        api.delete(f"{G}/results/{sourced_id}")
        return sourced_id

    def listed(self, api: Api, count: int = 3, **params: Any) -> tuple[list[str], httpx.Response]:
        """``count`` new results, then a list of them (``params`` may replace the filter that selects them)."""
        prefix = uid("list")
        ids = [f"{prefix}-{i}" for i in range(count)]
        for sourced_id in ids:
            api.put(f"{G}/results/{sourced_id}", {"result": self._result(sourced_id)})
        return ids, api.get(f"{G}/results", params={"filter": f"sourcedId~'{prefix}'", **params})

    def page_ids(self, api: Api, count: int = 3, **params: Any) -> tuple[list[str], list[str]]:
        """The ids created for a listing, and the ids the listing returned."""
        created, response = self.listed(api, count, **params)
        return created, [r["sourcedId"] for r in response.json()["results"]]

    def first_page_of(self, api: Api, **params: Any) -> bool:
        created, got = self.page_ids(api, **params)
        return got == created[:1]

    def unreversed(self, api: Api) -> bool:
        created, got = self.page_ids(api, sort="sourcedId", orderBy="desc")
        return got == created

    def duplicated(self, api: Api) -> bool:
        listed = api.get(f"{G}/results", params={"filter": f"sourcedId='{self.twice(api)[0]}'"}).json()["results"]
        return len(listed) == 2

    def titled(self, api: Api, title: str) -> str:
        """The title the server keeps of a new line item PUT with ``title``."""
        sourced_id = uid("li")
        api.put(f"{G}/lineItems/{sourced_id}", {"lineItem": line_item(sourced_id, profile=self.profile, title=title)})
        return str(api.get(f"{G}/lineItems/{sourced_id}").json()["lineItem"]["title"])

    def extra_credit(self, api: Api) -> Any:
        """The score the server keeps of 300 given on a line item whose maximum is 100."""
        line_item_id = uid("li")
        body = line_item(line_item_id, profile=self.profile, resultValueMin=0, resultValueMax=100)
        api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": body})
        return self.stored(api, line_item_id=line_item_id, score=300)["score"]

    def _result(self, sourced_id: str, **extra: Any) -> dict[str, Any]:
        return result(sourced_id, profile=self.profile, **extra)


def assert_the_fault_shows(serve: Serve, scenario: Scenario, name: str, profile: str = profiles.DEFAULT) -> None:
    """``scenario`` observes the fault ``name`` on a server of ``profile`` with it on, and not on a correct one."""
    assert scenario(serve([name], profile=profile)[1]) is True, f"{name}: the deviation was not observed"
    assert scenario(serve(profile=profile)[1]) is False, f"{name}: a correct server shows the deviation"


def undeclared(scenarios: dict[str, Scenario], profile: str) -> list[str]:
    """The scenario names that are no fault of ``profile``: a renamed, removed or misspelt fault."""
    return sorted(set(scenarios) - set(registry(profile)))


def missing(api: Api) -> httpx.Response:
    return api.get(f"{G}/results/{uid('never')}")


def anonymous(api: Api, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(f"{api.base_url}{G}/results", headers=headers or {}, timeout=5, verify=TLS)


def with_form_body(api: Api) -> httpx.Response:
    """A collection GET that carries a form body, as Google Classroom's notebook sends its category GET."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return api.request("GET", f"{G}/results", content=b"grant_type=client_credentials", headers=form)


def code_minor(response: httpx.Response) -> str:
    return str(response.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"])


def shared_scenarios(probe: Probe) -> dict[str, Scenario]:
    """The scenarios of the faults both profiles have and observe alike; each profile's test module adds
    the ones its binding observes differently (PUT and POST answers, collection counts, PowerPath)."""
    return {
        # payload
        "score-as-string": lambda api: probe.stored(api, score=85)["score"] == "85",
        "score-status-title-case": lambda api: probe.stored(api)["scoreStatus"] == "Fully Graded",
        "date-without-timezone": lambda api: bool(
            re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", probe.stored(api)["dateLastModified"])
        ),
        "missing-envelope": lambda api: "result" not in api.get(f"{G}/results/{probe.put(api)[0]}").json(),
        # status
        "put-returns-204": lambda api: probe.put(api)[1].status_code == 204,
        "delete-returns-200": lambda api: api.delete(f"{G}/results/{probe.put(api)[0]}").status_code == 200,
        "missing-returns-200": lambda api: missing(api).status_code == 200 and missing(api).json() == {},
        "put-update-answers-204": lambda api: probe.twice(api)[2].status_code == 204,
        # validation
        "accept-invalid-body": lambda api: (
            api.put(f"{G}/results/{uid()}", {"result": {"score": "x"}}).status_code == 201
        ),
        "server-error-on-bad-enum": lambda api: probe.put(api, scoreStatus="graded")[1].status_code == 500,
        "exempt-refused": lambda api: probe.put(api, scoreStatus="exempt")[1].status_code == 422,
        # errors
        "plain-text-errors": lambda api: missing(api).headers["content-type"].startswith("text/plain"),
        "wrong-code-minor": lambda api: code_minor(missing(api)) == "invaliddata",
        # auth
        "ignore-auth": lambda api: anonymous(api).status_code == 200,
        "accept-any-token": lambda api: anonymous(api, {"Authorization": "Bearer made-up"}).status_code == 200,
        "auth-403": lambda api: anonymous(api).status_code == 403,
        # persistence
        "drop-learning-objectives": lambda api: (
            "learningObjectiveSet" not in probe.stored(api, learningObjectiveSet=LEARNING_OBJECTIVES)
        ),
        "round-scores": lambda api: probe.stored(api, score=87.6)["score"] == 88,
        "put-duplicates": probe.duplicated,
        "title-cut-at-100": lambda api: probe.titled(api, "t" * 112) == "t" * 100,
        "score-clamped-to-max": lambda api: probe.extra_credit(api) == 100,
        # DELETE
        "delete-unknown-204": lambda api: api.delete(f"{G}/results/{uid()}").status_code == 204,
        "delete-noop": lambda api: api.get(f"{G}/results/{probe.deleted(api)}").json()["result"]["status"] == "active",
        # collections
        "offset-ignored": lambda api: probe.first_page_of(api, limit=1, offset=1),
        "limit-off-by-one": lambda api: len(probe.page_ids(api, limit=1)[1]) == 2,
        "filter-ignored": lambda api: bool(probe.page_ids(api, 1, filter="sourcedId='no-such-id'")[1]),
        "orderby-ignored": probe.unreversed,
        "fields-ignored": lambda api: (
            set(probe.listed(api, fields="sourcedId")[1].json()["results"][0]) != {"sourcedId"}
        ),
        # benign
        "benign-extra-metadata": lambda api: probe.stored(api, metadata={"k": 1})["metadata"] != {"k": 1},
        "benign-fractional-seconds": lambda api: bool(re.search(r"\.\d{6}Z$", probe.stored(api)["dateLastModified"])),
        "benign-hard-delete": lambda api: api.get(f"{G}/results/{probe.deleted(api)}").status_code == 404,
        "benign-get-body-refused": lambda api: with_form_body(api).status_code == 400,
        "benign-filter-two-predicates": lambda api: (
            api.get(f"{G}/results", params={"filter": "status='active' AND score>'1' AND score<'9'"}).status_code == 400
            and api.get(f"{G}/results", params={"filter": "status='active' AND score>'1'"}).status_code == 200
        ),
        "benign-deleted-in-lists": lambda api: bool(
            api.get(f"{G}/results", params={"filter": f"sourcedId='{probe.deleted(api)}'"}).json()["results"]
        ),
    }
