"""Fixtures without a file: ``--fixtures discover`` reads them from the target's rostering API, and
``--fixtures provision`` writes them there and deletes them after the run.

Against the reference server (which serves its fixtures through rostering, in both profiles), each
mode must give the verdict the packaged fixtures give, requirement by requirement; the discovered
file must give it again; provisioning must leave no record behind; and a target without rostering
is a configuration error in one line, never a failure of the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import fixtures, profiles
from conformance.client import SuiteClient
from conformance.contract import roster
from conformance.contract.operations import GRADEBOOK
from conformance.discovery import discover as discover_module
from conformance.discovery.discover import discover
from conformance.discovery.reader import Reader
from conformance.guard import Guard
from conformance.reference import embedded
from conformance.target import ConfigError
from tests._cli import Outcome, against, cli, environment
from tests._loopback import Quiet, serving

# Enough of every test to reach each requirement: the comparison is of which requirements pass.
BUDGET = ("--max-examples", "3", "--seed", "7")


def _statuses(out: Outcome) -> dict[str, str]:
    return {r["id"]: r["status"] for r in out.summary["requirements"]}


def _collections(server: embedded.RunningServer) -> dict[str, set[str]]:
    """Every record the server lists, by collection: rostering, the lesson catalogue, the gradebook."""
    dialect = profiles.get(server.profile).dialect
    slash = "/" if dialect.collection_slash else ""
    kinds = [roster.SCHOOL, roster.USER, roster.CLASS, roster.ENROLLMENT, roster.SESSION, roster.COURSE]
    if "powerpath" in profiles.get(server.profile).services:
        kinds += [roster.COMPONENT, roster.COMPONENT_RESOURCE, roster.RESOURCE]
    wanted = [(k.collection, k.plural) for k in kinds] + [
        (f"{GRADEBOOK}/{plural}", plural) for plural in ("categories", "lineItems", "results", "scoreScales")
    ]
    headers = {"Authorization": f"Bearer {server.token()}"}
    seen: dict[str, set[str]] = {}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client:
        for path, key in wanted:
            answer = client.get(path + slash, params={"limit": 3000})
            assert answer.status_code == 200, f"GET {path}: {answer.status_code}"
            seen[path] = {item["sourcedId"] for item in answer.json()[key] if item.get("status") != "tobedeleted"}
    return seen


# CI's budget, and (marked slow) the default run's: what a vendor's first run is.
BUDGETS = [pytest.param(BUDGET, id="small"), pytest.param((), id="default", marks=pytest.mark.slow)]


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("profile", profiles.NAMES)
def test_discovered_and_provisioned_fixtures_give_the_packaged_verdict(
    profile: str, budget: tuple[str, ...], tmp_path: Path
) -> None:
    """Each run against a fresh server, as a first run against a sandbox would be: a run's PowerPath
    assignments change what a later run may take as a student never assigned a test."""
    found_file = tmp_path / "found.toml"
    runs = {
        "packaged": (),
        "found": ("--fixtures", "discover", "--write-fixtures", str(found_file)),
        "again": ("--fixtures", str(found_file)),
    }
    outcomes: dict[str, Outcome] = {}
    for name, args in runs.items():
        with embedded.start(profile=profile) as server:
            outcomes[name] = against(server, *budget, *args, reports=tmp_path / name)
    with embedded.start(profile=profile) as server:
        before = _collections(server)
        provisioned = against(server, *budget, "--fixtures", "provision", reports=tmp_path / "made")
        after = _collections(server)
    packaged, discovered, again = outcomes["packaged"], outcomes["found"], outcomes["again"]
    for out in (packaged, discovered, again, provisioned):
        assert out.code == 0, out.stderr[-2000:]
    expected = _statuses(packaged)
    assert _statuses(discovered) == expected
    assert _statuses(again) == expected
    assert _statuses(provisioned) == expected
    # What discovery chose: the reference server's own fixtures, each role saying why.
    assert "fixtures: class: fx-class-1 (2 students, school fx-school-1)" in discovered.stderr
    assert "fixtures: teacher: fx-teacher-1 (teaches class fx-class-1)" in discovered.stderr
    assert f"fixtures written to {found_file}" in discovered.stderr
    settled = discovered.summary["fixtures"]
    assert settled["source"] == "discover" and settled["file"] == str(found_file)
    assert "class: fx-class-1 (2 students, school fx-school-1)" in settled["roles"]
    assert "## Fixtures discovered in the target" in (discovered.reports / "summary.md").read_text(encoding="utf-8")
    assert "fixtures" not in packaged.summary and "fixtures" not in again.summary
    assert provisioned.summary["fixtures"]["source"] == "provision"
    chosen = fixtures.load(found_file)
    assert chosen.classes[0].sourcedId == "fx-class-1" and chosen.gradingPeriods == (
        ("fx-grading-period-1", "fx-term-1"),
    )
    if "powerpath" in profiles.get(profile).services:
        (line,) = [x for x in discovered.stderr.splitlines() if "fixtures: students in no class: " in x]
        assert line.endswith("(each lists no class)"), line
        in_class = {s for c in chosen.classes for s in c.students}
        classless = {"fx-student-unassigned", "fx-student-never-enrolled", "fx-student-enrollable"}
        assert set(chosen.students) - in_class == classless
        assert len(chosen.external_lessons) == 6 and len(chosen.other_lessons) == 1
    # Provisioning wrote its own records (its run's prefix), and removed every one of them.
    assert "provisioned:" in provisioned.stderr and "deleted when the run ends" in provisioned.stderr
    assert not provisioned.summary.get("cleanup_failures")
    assert after == before, {path: after[path] ^ before[path] for path in before if after[path] != before[path]}


def test_roles_nothing_fills_are_said_and_leave_requirements_unchecked_not_failed(tmp_path: Path) -> None:
    """A school without students in no class and without MasteryTrack lessons: discovery says which
    roles it could not fill and what that leaves unchecked; the run is still conformant."""
    sparse = fixtures.load()
    in_class = {s for c in sparse.classes for s in c.students}
    text = fixtures.dump(
        fixtures.Fixtures(
            sparse.schools,
            tuple(s for s in sparse.students if s in in_class),
            sparse.classes,
            sparse.academicSessions,
            sparse.categories,
            sparse.courses,
            tuple(x for x in sparse.lessons if x.toolProvider != "mastery-track"),
            sparse.teachers,
            sparse.gradingPeriods,
        )
    )
    seed = tmp_path / "sparse.toml"
    seed.write_text(text, encoding="utf-8")
    with embedded.start(fixtures=seed) as server:
        out = against(server, *BUDGET, "--fixtures", "discover", "--only", "PP", reports=tmp_path / "r")
    assert out.code == 0, out.stderr[-2000:]
    assert "fixtures: students in no class: not found (" in out.stderr
    assert "leaves unchecked: PP-FAIL-NO-ASSIGNMENT" in out.stderr
    assert "fixtures: test-out lesson from mastery-track: not found (no such component resource listed)" in out.stderr
    assert "no external test from mastery-track: leaves unchecked PP-FINALIZE-MASTERY-TRACK" in out.stderr
    statuses = _statuses(out)
    assert statuses["PP-FAIL-NO-ASSIGNMENT"] == statuses["PP-FINALIZE-MASTERY-TRACK"] == "skipped"
    assert statuses["PP-FINALIZE-EDULASTIC"] == "passed"


def test_provisioning_is_refused_with_read_only(tmp_path: Path) -> None:
    with embedded.start() as server:
        out = against(server, "--fixtures", "provision", "--read-only", reports=tmp_path / "r")
    assert out.code == 2
    assert (
        out.stderr.strip()
        .splitlines()[-1]
        .endswith("--fixtures provision writes records to the target: it cannot go with --read-only")
    )


class _NoRostering(Quiet):
    """A gradebook that answers its token and its categories, and 404 to everything else."""

    def do_POST(self) -> None:
        self._answer(200, {"access_token": "t" * 24, "token_type": "bearer", "expires_in": 3600})

    def do_GET(self) -> None:
        if self.path.split("?")[0].rstrip("/").endswith("/gradebook/v1p2/categories"):
            self._answer(
                200, {"categories": [], "totalCount": 0, "pageCount": 0, "pageNumber": 1, "offset": 0, "limit": 1}
            )
        else:
            self._answer(404, {"imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": "no route"})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def no_rostering() -> Iterator[str]:
    with serving(_NoRostering) as origin:
        yield origin


@pytest.mark.parametrize("mode", [[], ["--fixtures", "discover"]], ids=["default", "discover"])
def test_a_target_without_rostering_is_one_line_and_exit_2(no_rostering: str, mode: list[str], tmp_path: Path) -> None:
    target = ["--base-url", no_rostering, "--token-url", f"{no_rostering}/token", "--client-id", "c"]
    out = cli(
        "run", *target, *mode, "--reports", str(tmp_path / "r"), reports=tmp_path / "r", env=environment("s" * 16)
    )
    assert out.code == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert "answers 404 to GET /ims/oneroster/rostering/v1p2/schools/" in lines[0]
    assert "serves no OneRoster rostering API" in lines[0] and "--fixtures FILE" in lines[0]


def test_discovery_pages_through_a_large_school_and_stays_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """250 students over 3 pages, the three in no class listed last, 60 classes of which only the
    last three have students: discovery pages through the lists, rules the students of a class it did
    not choose out with one read of the enrollments, and asks about classes one by one only up to
    its bound."""
    students = [f"s-{n:03d}" for n in range(247)] + ["zz-free-1", "zz-free-2", "zz-free-3"]
    classes = [{"sourcedId": f"c-{n:02d}", "school": "sch-1", "students": []} for n in range(57)]
    classes.append({"sourcedId": "c-97", "school": "sch-1", "students": students[:20]})
    classes.append({"sourcedId": "c-98", "school": "sch-1", "students": students[20:247]})
    classes.append({"sourcedId": "c-99", "school": "sch-2", "students": students[:5]})
    big = fixtures.parse(
        {
            "schools": [{"sourcedId": "sch-1"}, {"sourcedId": "sch-2"}],
            "students": [{"sourcedId": s} for s in students],
            "classes": classes,
        }
    )
    seed = tmp_path / "big.toml"
    seed.write_text(fixtures.dump(big), encoding="utf-8")
    with embedded.start(fixtures=seed) as server:
        target = server.target()
        client = SuiteClient(target, guard=Guard())
        try:
            reader = Reader(client, slash=True)
            with pytest.raises(ConfigError, match=r"no class with a student among the 30 classes .* looked at"):
                discover(reader, powerpath=True)
            monkeypatch.setattr(discover_module, "CANDIDATES", 60)  # the bound that failed above, lifted
            found = discover(Reader(client, slash=True), powerpath=True)
        finally:
            client.close()
    # c-97 first; the second class is one of another school (c-99), so c-98's students are chosen for
    # nothing and only the enrollments tell they are in a class.
    assert [c.sourcedId for c in found.fixtures.classes] == ["c-97", "c-99"]
    in_class = {s for c in found.fixtures.classes for s in c.students}
    assert [s for s in found.fixtures.students if s not in in_class] == ["zz-free-1", "zz-free-2", "zz-free-3"]
    assert any(
        line == "students in no class: zz-free-1, zz-free-2, zz-free-3 (each lists no class)" for line in found.lines
    )


@pytest.mark.parametrize(
    ("classes", "line"),
    [
        (
            [("c-1", "sch-1", ["s-1"]), ("c-2", "sch-1", ["s-2"])],
            "second class: c-2 (no class of another school has a student)",
        ),
        ([("c-1", "sch-1", ["s-1"]), ("c-2", "sch-2", [])], "second class: not found (one class has students); "),
        (
            [("c-1", "sch-1", []), ("c-2", "sch-1", ["s-1"]), ("c-3", "sch-1", ["s-2"]), ("c-4", "sch-2", ["s-1"])],
            "second class: c-4 (1 students, another school sch-2)",
        ),
    ],
    ids=["same-school", "one-class", "another-school-later"],
)
def test_the_second_class_is_of_another_school_when_one_has_students(
    classes: list[tuple[str, str, list[str]]], line: str, tmp_path: Path
) -> None:
    seed = tmp_path / "seed.toml"
    raw = {
        "schools": [{"sourcedId": "sch-1"}, {"sourcedId": "sch-2"}],
        "students": [{"sourcedId": "s-1"}, {"sourcedId": "s-2"}],
        "classes": [{"sourcedId": c, "school": school, "students": members} for c, school, members in classes],
    }
    seed.write_text(fixtures.dump(fixtures.parse(raw)), encoding="utf-8")
    with embedded.start(fixtures=seed, profile="1edtech") as server:
        client = SuiteClient(server.target(), guard=Guard())
        try:
            found = discover(Reader(client, slash=False), powerpath=False)
        finally:
            client.close()
    assert any(x.startswith(line) for x in found.lines), found.lines
    assert found.fixtures.classes[0].sourcedId == next(c for c, _, members in classes if members)
