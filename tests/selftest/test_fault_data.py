"""Each reference-server fault is described once, in conformance/reference/faults.toml. These tests
fail when a place that must agree with that data does not: the decisive spots in the server code
(``faults.on("name")``), the requirement catalogues, ``selftest --list``, the README, the wheel.
(The per-fault scenarios of tests/reference check their names against the data themselves.)"""

from __future__ import annotations

import re
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from conformance import catalogue, cli, profiles, reference
from conformance.reference.faults import ALL, FaultDataError, Faults, load, registry
from conformance.selftest.matrix import expectations, unknown_requirements

from ._spots import decisive_spots

REFERENCE = Path(reference.__file__).parent
REPO = REFERENCE.parents[1]


def test_every_decisive_spot_names_a_declared_fault() -> None:
    spots = decisive_spots(REFERENCE)
    undeclared = {name: where for name, where in spots.items() if name.rstrip("@") not in ALL}
    assert undeclared == {}, "declare these in conformance/reference/faults.toml"


def test_every_declared_fault_has_a_decisive_spot() -> None:
    """A per-entity variant (``name@entity``) is switched on where its fault's spot passes the entity."""
    spots = decisive_spots(REFERENCE)
    unused = sorted(name for name in ALL if (name.split("@")[0] + "@" if "@" in name else name) not in spots)
    assert unused == [], "no faults.on(...) in conformance/reference/ switches these on"


def test_a_fault_for_each_entity_comes_confined_to_each_entity_with_its_own_requirement() -> None:
    text = GOOD + 'expect = ["GB-RESULT-GET"]\neach_entity = "GB-{ENTITY}-CREATE"\n'
    base, *variants = load(text)
    assert base.name == "x-y" and base.expect(profiles.TIMEBACK) == ("GB-RESULT-GET",)
    by_name = {v.name: v for v in variants}
    # GB-<ENTITY>-CREATE is a MUST of the TimeBack dialect only: the variants apply there alone.
    assert by_name["x-y@scoreScale"].profiles == (profiles.TIMEBACK,)
    assert by_name["x-y@scoreScale"].expect(profiles.TIMEBACK) == ("GB-SCORESCALE-CREATE",)
    assert by_name["x-y@lineItem"].describe() == "d; lineItems only"
    assert len(variants) == 6


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('expect = ["A"]\neach_entity = "GB-CATEGORY-GET"\n', "template with {ENTITY}"),
        ('expect = ["A"]\neach_entity = "GB-{ENTITY}-NOTHING"\n', "names no MUST requirement"),
        ('harmful = false\neach_entity = "GB-{ENTITY}-GET"\n', "template with {ENTITY}"),
    ],
)
def test_an_each_entity_template_must_name_requirements(extra: str, message: str) -> None:
    with pytest.raises(FaultDataError, match=message):
        load(GOOD + extra, "test.toml")


def test_a_variant_is_on_only_for_its_own_entity() -> None:
    faults = Faults(["missing-returns-200@lineItem"], profiles.TIMEBACK)
    assert faults.on("missing-returns-200", "lineItem")
    assert not faults.on("missing-returns-200", "category")
    assert not faults.on("missing-returns-200")
    assert Faults(["missing-returns-200"]).on("missing-returns-200", "category")


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_every_expected_requirement_is_a_must_or_should_of_the_profile(profile: str) -> None:
    """A harmful fault is caught by MUSTs, or by the SHOULD of the consumer expectation it breaks; a
    benign one names, at most, the SHOULDs a real client would trip over with it."""
    assert unknown_requirements(profile) == []
    levels = {rid: r.level for rid, r in catalogue.catalogue(profile).items()}
    for name, fault in registry(profile).items():
        expected = set(expectations(profile)[name].expect)
        assert bool(expected) == fault.harmful, name
        assert {levels.get(rid) for rid in expected} <= {"MUST", "SHOULD"}, (name, expected)
        assert {levels.get(rid) for rid in fault.should(profile)} <= {"SHOULD"}, (name, fault.should(profile))


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_selftest_list_prints_the_data_as_a_markdown_table(profile: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["selftest", "--list", "--profile", profile]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| fault | kind | category | profiles | expected failure | CI | what it does |"
    assert set(lines[1]) == {"|", "-"}
    rows = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines[2:]]
    faults = registry(profile)
    assert [row[0] for row in rows] == [f"`{name}`" for name in faults]
    for fault, row in zip(faults.values(), rows, strict=True):
        assert row[1:4] == ["harmful" if fault.harmful else "benign", fault.category, ", ".join(fault.profiles)]
        benign = (
            "SHOULD only: " + ", ".join(fault.should(profile)) if fault.should(profile) else "none: a conformant run"
        )
        assert row[4] == (", ".join(fault.expect(profile)) if fault.harmful else benign)
        assert row[5] == ("yes" if fault.in_ci(profile) else "")
        assert row[6].replace("\\", "") == fault.describe(profile)


def test_the_listing_words_shared_faults_for_the_official_binding(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["selftest", "--list", "--profile", profiles.ONEEDTECH])
    table = capsys.readouterr().out
    assert "| X-Total-Count is the size of the page, not of the whole result |" in table
    assert "| GB-LIST-TOTAL-COUNT | yes | collection responses omit the X-Total-Count header |" in table
    assert "premature-finalization" not in table


def test_the_readme_points_to_the_listing_instead_of_copying_it() -> None:
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    tabled = set(re.findall(r"^\| `([a-z0-9-]+)` \|", readme, re.MULTILINE)) & set(ALL)
    assert tabled == set(), "the README must not keep its own table of faults"
    assert "oneroster-conformance selftest --list" in readme


GOOD = '[fault.x-y]\ncategory = "c"\ndescription = "d"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD, "a harmful fault needs 'expect'"),
        (GOOD + 'harmful = false\nexpect = ["A"]\n', "a benign fault expects no failure"),
        (GOOD + 'harmful = "yes"\n', "harmful must be true or false"),
        (GOOD + 'expect = ["A"]\nexpect_1edtech = ["B"]\n', r"unknown key\(s\) \['expect_1edtech'\]"),
        (GOOD + "expect = []\n", "expect must be a non-empty list"),
        (GOOD + 'expect = { timeback = ["A"] }\n', "an expect table names each of the profiles"),
        (GOOD + 'profiles = ["timebak"]\nexpect = ["A"]\n', r"profiles may name only .* not \['timebak'\]"),
        (GOOD + 'profiles = []\nexpect = ["A"]\n', "profiles must name at least one profile"),
        (GOOD + 'profiles = ["timeback"]\nexpect = ["A"]\nci = ["1edtech"]\n', r"ci may name only \['timeback'\]"),
        ('[fault.x-y]\ncategory = "c"\nexpect = ["A"]\n', "description must be a non-empty string"),
        ('[fault.X_Y]\ncategory = "c"\ndescription = "d"\nexpect = ["A"]\n', "lower-case words"),
        (GOOD + 'expect = ["A"]\n' + GOOD, "x-y"),  # the same fault twice: a TOML error naming it
        ('[faults.x-y]\ncategory = "c"\n', "unknown top-level key"),
        (GOOD + 'expect = ["A"]\nshould = ["B"]\n', "'should' is for benign faults"),
        (GOOD + "harmful = false\nshould = []\n", "should must be a non-empty list"),
        (GOOD + 'harmful = false\nshould = { timeback = ["A"] }\n', "a should table names each of the profiles"),
    ],
)
def test_the_loader_refuses_data_that_would_mislead(text: str, message: str) -> None:
    with pytest.raises(FaultDataError, match=message):
        load(text, "test.toml")


def test_an_expect_table_gives_each_profile_its_own_requirement() -> None:
    (fault,) = load(GOOD + 'expect = { 1edtech = ["B"], timeback = ["A"] }\nci = ["1edtech"]\n')
    assert (fault.expect(profiles.TIMEBACK), fault.expect(profiles.ONEEDTECH)) == (("A",), ("B",))
    assert (fault.in_ci(profiles.TIMEBACK), fault.in_ci(profiles.ONEEDTECH)) == (False, True)
    assert fault.profiles == (profiles.TIMEBACK, profiles.ONEEDTECH) and fault.harmful


def test_a_benign_fault_may_name_the_shoulds_a_real_client_trips_over() -> None:
    (fault,) = load(GOOD + 'harmful = false\nshould = { 1edtech = ["INTEROP-B"], timeback = [] }\n')
    assert not fault.harmful and fault.expect(profiles.ONEEDTECH) == ()
    assert (fault.should(profiles.TIMEBACK), fault.should(profiles.ONEEDTECH)) == ((), ("INTEROP-B",))


def test_the_package_data_is_the_registry() -> None:
    text = resources.files("conformance.reference").joinpath("faults.toml").read_text(encoding="utf-8")
    assert {fault.name: fault for fault in load(text)} == ALL
    assert not (REPO / "conformance" / "selftest" / "expectations.toml").exists()


def test_the_wheel_ships_the_fault_data(tmp_path: Path) -> None:
    builders = pytest.importorskip("hatchling.builders.wheel", reason="hatchling (the build backend) is not installed")
    wheel = Path(next(iter(builders.WheelBuilder(str(REPO)).build(directory=str(tmp_path), versions=["standard"]))))
    with zipfile.ZipFile(wheel) as archive:
        assert "conformance/reference/faults.toml" in archive.namelist()
