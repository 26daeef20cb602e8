"""One suite, two profiles. The official binding's operation table is the official spec's;
payloads and answers are read in each profile's dialect; a failed run that looks like the other
dialect says so."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
import yaml

from conformance import profiles
from conformance.client import Exchange
from conformance.contract.operations import GRADEBOOK, operations
from conformance.suite import dialect_hint

# Not redistributable, so not in the repository: third_party/README.md, third_party/fetch.py.
OFFICIAL_SPEC = (
    Path(__file__).resolve().parents[2] / "third_party" / "openapi" / "1edtech-oneroster-1p2-gradebook-openapi.yaml"
)


def _shape(path: str) -> str:
    """``/classes/{classSourcedId}/results`` → ``/classes/{}/results``: parameter names are ours to choose."""
    return "/".join("{}" if part.startswith("{") else part for part in path.split("/"))


def test_the_official_table_is_the_official_spec() -> None:
    if not OFFICIAL_SPEC.is_file():
        pytest.skip(
            f"third_party/openapi/{OFFICIAL_SPEC.name} absent (not redistributable, third_party/README.md):"
            " python third_party/fetch.py gets it"
        )
    spec = yaml.safe_load(OFFICIAL_SPEC.read_text(encoding="utf-8"))
    published = {
        (method.upper(), _shape(path))
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }
    ours = {(op.method, _shape(op.path.removeprefix(GRADEBOOK))) for op in operations(profiles.ONEEDTECH)}
    assert ours == published
    for op in operations(profiles.ONEEDTECH):
        assert op.source.startswith("1EdTech OneRoster 1.2 Gradebook OpenAPI")
        if op.method == "PUT":
            assert op.success == (201,) and op.response is None  # 201, no body
        assert not op.path.endswith("/")


def test_timeback_table_keeps_what_the_official_one_lacks() -> None:
    ids = {op.id for op in operations(profiles.TIMEBACK)}
    official = {op.id for op in operations(profiles.ONEEDTECH)}
    assert official < ids
    assert {"createResult", "patchAssessmentResult", "importExternalTestAssignmentResults"} <= ids - official


def test_references_dates_and_counts_in_timeback() -> None:
    timeback = profiles.get(profiles.TIMEBACK).dialect
    assert timeback.ref("student", "s1") == {"sourcedId": "s1"}
    assert timeback.date_value("scoreDate", "2024-09-02T08:00:00Z") == "2024-09-02T08:00:00Z"
    listed = _exchange("GET", 200, {"results": [], "totalCount": 7}, {"x-total-count": "3"})
    assert timeback.total_count(listed) == 7  # the body counts in TimeBack's dialect; the header is benign
    assert timeback.count_source == "totalCount"
    one = {"sourcedIdPairs": {"suppliedSourcedId": "a", "allocatedSourcedId": "b"}}
    assert timeback.pairs(one) == [{"suppliedSourcedId": "a", "allocatedSourcedId": "b"}]
    assert timeback.pairs_shaped(one) and not timeback.pairs_shaped({"sourcedIdPairs": [one["sourcedIdPairs"]]})
    assert timeback.put_answers_record and timeback.put_success == (201, 200)
    assert timeback.collection_slash
    assert timeback.server_set_members("2024-09-02T08:00:00Z") == {}
    assert not timeback.extra_code_minors


def test_references_dates_and_counts_in_the_official_binding() -> None:
    official = profiles.get(profiles.ONEEDTECH).dialect
    ref = official.ref("school", "org-1", "https://example.org/ims/oneroster")
    assert ref == {
        "href": "https://example.org/ims/oneroster/rostering/v1p2/orgs/org-1",
        "sourcedId": "org-1",
        "type": "org",
    }
    assert official.ref("lineItem", "li-1")["type"] == "lineItem"
    assert official.date_value("scoreDate", "2024-09-02T08:00:00Z") == "2024-09-02"
    assert official.date_value("assignDate", "2024-09-02T08:00:00Z") == "2024-09-02T08:00:00Z"
    assert official.total_count(_exchange("GET", 200, {"results": []}, {"x-total-count": "3"})) == 3
    assert official.total_count(_exchange("GET", 200, {"results": [], "totalCount": 3})) is None
    assert official.total_count(_exchange("GET", 200, {"results": []}, {"x-total-count": "many"})) == "many"
    assert official.count_source == "the X-Total-Count header"
    pair = {"suppliedSourcedId": "a", "allocatedSourcedId": "b"}
    assert official.pairs_shaped({"sourcedIdPairs": [pair]}) and not official.pairs_shaped({"sourcedIdPairs": pair})
    assert official.pairs_shaped({"sourcedIdPairs": [pair, pair]}, posted=2)
    assert not official.put_answers_record and official.put_success == (201,)
    assert not official.collection_slash
    assert official.server_set_members("2024-09-02T08:00:00Z") == {"dateLastModified": "2024-09-02T08:00:00Z"}
    assert "invalid_filter_field" in official.extra_code_minors[400]


def test_each_profile_names_what_differs() -> None:
    """Nothing outside the profile definitions tells the profiles apart by name."""
    timeback, official = profiles.get(profiles.TIMEBACK), profiles.get(profiles.ONEEDTECH)
    assert (timeback.operations, official.operations) == ("timeback", "1edtech")
    assert (timeback.wording, official.wording) == (None, "requirements.1edtech.toml")
    assert (timeback.requirements, official.requirements) == (profiles.TIMEBACK, profiles.ONEEDTECH)
    assert (timeback.file_tag, official.file_tag) == ("", profiles.ONEEDTECH)
    assert profiles.resolve(None) == profiles.DEFAULT == profiles.TIMEBACK


def _exchange(method: str, status: int, body: object, headers: dict[str, str] | None = None) -> Exchange:
    import json

    raw = json.dumps(body).encode() if body is not None else b""
    return Exchange(
        method,
        f"http://127.0.0.1:9{GRADEBOOK}/results/",
        {},
        None,
        status=status,
        headers=httpx.Headers(headers or {}),
        body=raw,
    )


def test_a_timeback_run_sees_signs_of_the_official_binding() -> None:
    signs = dialect_hint.Signs(profiles.TIMEBACK)
    signs.observe(_exchange("PUT", 201, None))
    signs.observe(_exchange("POST", 201, {"sourcedIdPairs": [{"suppliedSourcedId": "a", "allocatedSourcedId": "b"}]}))
    signs.observe(_exchange("GET", 200, {"results": []}, {"x-total-count": "0"}))
    signs.observe(_exchange("GET", 200, {"result": {"student": {"href": "h", "sourcedId": "s", "type": "user"}}}))
    signs.observe(_exchange("GET", 500, {"results": []}, {"x-total-count": "0"}))  # errors are no sign
    assert set(signs.counts) == {
        "PUT answered 201 with no body",
        "sourcedIdPairs is an array",
        "collections are counted in X-Total-Count, not totalCount",
        "references carry href and type",
    }
    failed = {"verdict": "non-conformant", "profile": profiles.TIMEBACK}
    hint = dialect_hint.hint(failed, signs.counts)
    assert hint is not None and hint["profile"] == profiles.ONEEDTECH
    assert "--profile 1edtech" in hint["message"]
    assert dialect_hint.hint({"verdict": "conformant", "profile": profiles.TIMEBACK}, signs.counts) is None
    assert dialect_hint.hint(failed, Counter({"PUT answered 201 with no body": 40})) is None  # one kind of sign


def test_an_official_run_sees_signs_of_timeback() -> None:
    signs = dialect_hint.Signs(profiles.ONEEDTECH)
    signs.observe(_exchange("PUT", 201, {"result": {"sourcedId": "r"}}))
    signs.observe(_exchange("POST", 201, {"sourcedIdPairs": {"suppliedSourcedId": "a", "allocatedSourcedId": "b"}}))
    signs.observe(_exchange("GET", 200, {"results": [{"student": {"sourcedId": "s"}}], "totalCount": 1}))
    assert set(signs.counts) == {
        "PUT answered with the stored record",
        "sourcedIdPairs is one object",
        "collections carry totalCount in the body",
        "references are bare {sourcedId}",
    }
    hint = dialect_hint.hint({"verdict": "non-conformant", "profile": profiles.ONEEDTECH}, signs.counts)
    assert hint is not None and "--profile timeback" in hint["message"]
