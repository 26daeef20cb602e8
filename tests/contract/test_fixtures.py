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
    ("unknown-table", '[[teachers]]\nsourcedId = "teacher-1"\n', "teachers"),
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
