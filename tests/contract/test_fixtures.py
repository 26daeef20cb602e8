"""The fixtures file (``conformance.fixtures``): the records a target must already hold.

The packaged default has one external-test lesson per lessonType x toolProvider and one
non-external lesson (the fixtures format: ``conformance/fixtures.py``). A file that cannot be used raises
``FixturesError`` with one line naming the file and the problem.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from conformance import fixtures
from conformance.fixtures import EXTERNAL_LESSON_TYPES, TOOL_PROVIDERS, FixturesError


def test_default_fixtures_have_every_external_lesson_once() -> None:
    """Six external lessons, one for each lessonType x toolProvider combination."""
    loaded = fixtures.load()
    combinations = sorted((x.lessonType, x.toolProvider) for x in loaded.external_lessons)
    assert combinations == sorted(itertools.product(EXTERNAL_LESSON_TYPES, TOOL_PROVIDERS))
    assert len(loaded.external_lessons) == len(EXTERNAL_LESSON_TYPES) * len(TOOL_PROVIDERS) == 6
    for lesson_type, tool in combinations:
        assert fixtures.load().lesson(lesson_type, tool) is not None


def test_default_fixtures_have_one_non_external_lesson() -> None:
    """Exactly one lesson that is not an external test (PowerPath must refuse to import it)."""
    others = fixtures.load().other_lessons
    assert len(others) == 1
    assert not others[0].external


def test_default_fixtures_are_consistent() -> None:
    """Classes name listed schools and students; the explicit default path loads the same records."""
    loaded = fixtures.load()
    assert loaded.students and loaded.schools and loaded.classes
    for klass in loaded.classes:
        assert klass.school in loaded.schools
        assert set(klass.students) <= set(loaded.students)
    assert fixtures.load(fixtures.default_path()) == loaded


DEFAULT_TEXT = fixtures.default_path().read_text(encoding="utf-8")

# (id, text appended to the default file, a word the one-line message must contain)
BROKEN = [
    ("malformed-toml", "[[schools]\nsourcedId = 1\n", "TOML"),
    ("unknown-table", '[[parents]]\nsourcedId = "parent-1"\n', "parents"),
    (
        "unknown-lesson-type",
        '[[lessons]]\nsourcedId = "lesson-x"\nlessonType = "exam"\ntoolProvider = "edulastic"\n',
        "exam",
    ),
    (
        "unknown-tool-provider",
        '[[lessons]]\nsourcedId = "lesson-x"\nlessonType = "test-out"\ntoolProvider = "khan"\n',
        "khan",
    ),
    ("duplicate-sourced-id", '[[students]]\nsourcedId = "fx-school-1"\n', "fx-school-1"),
    ("class-unknown-school", '[[classes]]\nsourcedId = "class-x"\nschool = "no-such-school"\n', "no-such-school"),
    (
        "class-unknown-student",
        '[[classes]]\nsourcedId = "class-x"\nschool = "fx-school-1"\nstudents = ["ghost"]\n',
        "ghost",
    ),
    (
        "class-unknown-teacher",
        '[[classes]]\nsourcedId = "class-x"\nschool = "fx-school-1"\nteachers = ["nobody"]\n',
        "nobody",
    ),
    (
        "class-unknown-term",
        '[[classes]]\nsourcedId = "class-x"\nschool = "fx-school-1"\nterms = ["no-term"]\n',
        "no-term",
    ),
    ("grading-period-unknown-term", '[[gradingPeriods]]\nsourcedId = "gp-x"\nterm = "no-such-term"\n', "no-such-term"),
    (
        "lesson-unknown-course",
        '[[lessons]]\nsourcedId = "lesson-x"\nlessonType = "quiz"\ncourse = "no-course"\n',
        "no-course",
    ),
]


def assert_one_line(error: FixturesError, path: Path, word: str) -> None:
    message = str(error)
    assert "\n" not in message
    assert str(path) in message
    assert word in message


def test_appended_default_text_is_still_valid(tmp_path: Path) -> None:
    """The broken cases below start from a file that loads, so each fails for its own reason."""
    path = tmp_path / "fixtures.toml"
    path.write_text(DEFAULT_TEXT + '\n[[students]]\nsourcedId = "student-extra"\n', encoding="utf-8")
    assert "student-extra" in fixtures.load(path).students


@pytest.mark.parametrize(("appended", "word"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN])
def test_unusable_fixtures_raise_one_line(tmp_path: Path, appended: str, word: str) -> None:
    """Each defect raises FixturesError with one line naming the file and the offending value."""
    path = tmp_path / "fixtures.toml"
    path.write_text(DEFAULT_TEXT + "\n" + appended, encoding="utf-8")
    with pytest.raises(FixturesError) as caught:
        fixtures.load(path)
    assert_one_line(caught.value, path, word)


@pytest.mark.parametrize("what", ["missing", "directory", "not-utf8"])
def test_unreadable_fixtures_raise_one_line(tmp_path: Path, what: str) -> None:
    """A file that does not exist, a directory, or bytes that are not UTF-8: FixturesError, one line."""
    path = tmp_path / "fixtures.toml"
    if what == "directory":
        path.mkdir()
    elif what == "not-utf8":
        path.write_bytes(b"\xff\xfe[[schools]]")
    with pytest.raises(FixturesError) as caught:
        fixtures.load(path)
    assert_one_line(caught.value, path, "")


def test_required_tables_must_not_be_empty(tmp_path: Path) -> None:
    """A file without schools, students or classes cannot describe a target."""
    path = tmp_path / "fixtures.toml"
    path.write_text('[[schools]]\nsourcedId = "s"\n[[students]]\nsourcedId = "p"\n', encoding="utf-8")
    with pytest.raises(FixturesError) as caught:
        fixtures.load(path)
    assert_one_line(caught.value, path, "classes")


def test_a_dumped_fixtures_set_loads_back_the_same(tmp_path: Path) -> None:
    """``dump`` writes what ``load`` reads back unchanged, awkward strings included: discovery writes
    a real server's ids, which may hold quotes, backslashes, control characters or any script."""
    loaded = fixtures.load()
    awkward = 'a "quoted"\\ id\twith\x7f and \U0001f600 é'
    odd = fixtures.parse(
        {
            "schools": [{"sourcedId": awkward}],
            "students": [{"sourcedId": "s-1"}],
            "teachers": [{"sourcedId": "t-1"}],
            "classes": [{"sourcedId": "c-1", "school": awkward, "students": ["s-1"], "teachers": ["t-1"]}],
        }
    )
    for value in (loaded, odd):
        path = tmp_path / "dumped.toml"
        path.write_text(fixtures.dump(value, "written by a test\nsecond line"), encoding="utf-8")
        assert fixtures.load(path) == value
        assert path.read_text(encoding="utf-8").startswith("# written by a test\n# second line\n")


def test_the_default_fixtures_name_a_teacher_and_a_grading_period() -> None:
    """The grade sync starts from a teacher and reads the term's grading periods."""
    loaded = fixtures.load()
    assert loaded.classes[0].teachers == ("fx-teacher-1",) and loaded.classes[0].terms == ("fx-term-1",)
    assert loaded.gradingPeriods == (("fx-grading-period-1", "fx-term-1"),)
