"""Hypothesis strategies for strict-reading records, derived from the schemas.

The required members come from a ``baseline`` record that references existing records; every
optional member the schema's ``record`` lists is drawn (or left out) from a strategy chosen by the
shared definition it refers to. Values stay where every conformant server agrees on them
(docs/readings.md): finite numbers a double holds exactly enough to compare, text with a character
that is not white space, UTC date-times in whole seconds, and never null — a member without a value is
left out, since a server may read null as absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from conformance import profiles
from conformance.contract import schemas
from conformance.dialect import Dialect
from conformance.session.world import UNSATISFIABLE, World, baseline

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=24).filter(
    str.strip
)
_SCORE = st.one_of(
    st.integers(-1000, 1000), st.decimals(-1000, 1000, places=3, allow_nan=False, allow_infinity=False).map(float)
)
_DATE_TIME = st.datetimes(
    min_value=__import__("datetime").datetime(1990, 1, 1), max_value=__import__("datetime").datetime(2035, 12, 31)
).map(lambda d: d.replace(microsecond=0).isoformat() + "Z")
_KEY = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
# Metadata is the client's own JSON document: values at any depth, objects and arrays included, which
# a store must keep as they were sent (never empty containers, which a store may fairly drop, nor null).
_VALUE = st.recursive(
    st.one_of(_TEXT, st.integers(-(10**6), 10**6), st.booleans()),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3), st.dictionaries(_KEY, inner, min_size=1, max_size=3)
    ),
    max_leaves=6,
)
_METADATA = st.dictionaries(_KEY, _VALUE, max_size=4)
# A record with every member set carries structure at depth for sure: an object holding an array.
_METADATA_DEEP = st.tuples(
    _METADATA, st.dictionaries(_KEY, _VALUE, min_size=1, max_size=2), st.lists(_VALUE, min_size=1, max_size=3)
).map(lambda parts: {**parts[0], "nested": {**parts[1], "items": parts[2]}})


def _lo_results(source: st.SearchStrategy[str], least: int = 0) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(
        st.fixed_dictionaries(
            {
                "source": source,
                "learningObjectiveResults": st.lists(
                    st.fixed_dictionaries(
                        {"learningObjectiveId": _TEXT}, optional={"score": _SCORE, "textScore": _TEXT}
                    ),
                    min_size=least,
                    max_size=3,
                ),
            }
        ),
        max_size=2,
    )


def _lo_ids(source: st.SearchStrategy[str], least: int = 0) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(
        st.fixed_dictionaries({"source": source, "learningObjectiveIds": st.lists(_TEXT, min_size=least, max_size=3)}),
        max_size=2,
    )


_LO_RESULTS = _lo_results(_TEXT)
_LO_IDS = _lo_ids(_TEXT)
_SCORE_STATUS = st.sampled_from(["exempt", "fully graded", "not submitted", "partially graded", "submitted"])

# Strategy by the common definition a property refers to.
BY_DEFINITION: dict[str, st.SearchStrategy[Any]] = {
    "NullableNumber": _SCORE,
    "NullableString": _TEXT,
    "Flag": _TEXT,
    "NullableFlag": _TEXT,
    "Metadata": _METADATA,
    "LearningObjectiveResultSet": _LO_RESULTS,
    "LearningObjectiveIdSet": _LO_IDS,
    "DateTime": _DATE_TIME,
    "ScoreStatus": _SCORE_STATUS,
}
# The official binding's definitions (schemas/1edtech/common.schema.json): nothing is nullable,
# the four flags are the strings "true"/"false", a learning-objective source is "case" or "unknown"
# (or its /name form), scoreDate is a date.
_OFFICIAL_SOURCE = st.sampled_from(["case", "unknown"])
_FLAG = st.sampled_from(["true", "false"])
_DATE = st.dates(
    min_value=__import__("datetime").date(1990, 1, 1), max_value=__import__("datetime").date(2035, 12, 31)
).map(lambda d: d.isoformat())
BY_DEFINITION_OFFICIAL: dict[str, st.SearchStrategy[Any]] = {
    "Number": _SCORE,
    "String": _TEXT,
    "Flag": _FLAG,
    "Metadata": _METADATA,
    # The binding's sets hold at least one result or id each (minItems 1).
    "LearningObjectiveResultSet": _lo_results(_OFFICIAL_SOURCE, least=1),
    "LearningObjectiveIdSet": _lo_ids(_OFFICIAL_SOURCE, least=1),
    "DateTime": _DATE_TIME,
    "Date": _DATE,
    "ScoreStatus": _SCORE_STATUS,
}


# Members the machines leave as the baseline has them: ids, references, server-set fields.
FIXED = frozenset(
    {
        "sourcedId",
        "status",
        "dateLastModified",
        "lineItem",
        "student",
        "class",
        "school",
        "category",
        "assessmentLineItem",
        "scoreScale",
        "gradingPeriod",
        "academicSession",
        "parentAssessmentLineItem",
        *UNSATISFIABLE,
    }
)


def optional_members(entity: str, profile: str) -> dict[str, st.SearchStrategy[Any]]:
    """Strategies for the record's members outside FIXED, from the schema's property refs (the
    profile's schemas and its dialect's tables)."""
    properties = schemas.documents(profile)[entity]["$defs"]["record"]["properties"]
    strategies = tables(profiles.get(profile).dialect).by_definition
    found: dict[str, st.SearchStrategy[Any]] = {}
    for name, spec in properties.items():
        if name in FIXED:
            continue
        ref = spec.get("$ref", "")
        definition = ref.rsplit("/", 1)[-1] if ref else ""
        if definition in strategies:
            found[name] = strategies[definition]
        elif spec.get("type") == "string":
            found[name] = _TEXT
    return found


# Every member present with a value that a lossy store would change: a non-integer score, a
# non-empty learning-objective set, a non-empty metadata object.
_FRACTION = (
    st.decimals(-1000, 1000, places=3, allow_nan=False, allow_infinity=False)
    .map(float)
    .filter(lambda x: not x.is_integer())
)


def _full_sets(source: st.SearchStrategy[str]) -> dict[str, st.SearchStrategy[Any]]:
    """Non-empty learning-objective sets whose scores a lossy store would change."""
    return {
        "LearningObjectiveResultSet": st.lists(
            st.fixed_dictionaries(
                {
                    "source": source,
                    "learningObjectiveResults": st.lists(
                        st.fixed_dictionaries({"learningObjectiveId": _TEXT, "score": _FRACTION, "textScore": _TEXT}),
                        min_size=1,
                        max_size=2,
                    ),
                }
            ),
            min_size=1,
            max_size=2,
        ),
        "LearningObjectiveIdSet": st.lists(
            st.fixed_dictionaries({"source": source, "learningObjectiveIds": st.lists(_TEXT, min_size=1, max_size=2)}),
            min_size=1,
            max_size=2,
        ),
    }


FULL: dict[str, st.SearchStrategy[Any]] = {
    "NullableNumber": _FRACTION,
    "NullableString": _TEXT,
    "NullableFlag": _TEXT,
    "Metadata": _METADATA_DEEP,
    **_full_sets(_TEXT),
}
FULL_OFFICIAL: dict[str, st.SearchStrategy[Any]] = {
    "Number": _FRACTION,
    "String": _TEXT,
    "Flag": _FLAG,
    "Metadata": _METADATA_DEEP,
    **_full_sets(_OFFICIAL_SOURCE),
}
NULLABLE = frozenset(
    {
        "NullableNumber",
        "NullableString",
        "NullableFlag",
        "Metadata",
        "LearningObjectiveResultSet",
        "LearningObjectiveIdSet",
    }
)


@dataclass(frozen=True)
class Tables:
    """A dialect's strategies, by the common definition a member refers to: any value (``random``),
    a value a lossy store would change (``full``), and the definitions a client may clear (``nulls``)."""

    by_definition: dict[str, st.SearchStrategy[Any]]
    full: dict[str, st.SearchStrategy[Any]]
    nullable: frozenset[str]


# By the name a dialect gives (``Dialect.payloads``). The official binding makes nothing nullable.
TABLES: dict[str, Tables] = {
    "timeback": Tables(BY_DEFINITION, FULL, NULLABLE),
    "official": Tables(BY_DEFINITION_OFFICIAL, FULL_OFFICIAL, frozenset()),
}


def tables(dialect: Dialect) -> Tables:
    """The payload tables ``dialect`` draws from."""
    return TABLES[dialect.payloads]


def _definition(entity: str, member: str, profile: str) -> str:
    spec = schemas.documents(profile)[entity]["$defs"]["record"]["properties"][member]
    return str(spec.get("$ref", "")).rsplit("/", 1)[-1]


def records(entity: str, world: World, sourced_id: str, mode: str = "random") -> st.SearchStrategy[dict[str, Any]]:
    """Strict records for ``entity`` whose references exist on the target.

    ``random`` draws any subset of the optional members; ``full`` sends every one with a value a
    lossy store would alter; ``nulls`` clears every member the dialect lets a client clear. It leaves
    them out rather than sending null: a server may read null as absent, or refuse it
    (docs/readings.md#null-optional), and absent is what every reading agrees on.
    """
    base = baseline(entity, world, sourced_id)
    profile, dialect = world.profile, world.dialect
    required = set(schemas.documents(profile)[entity]["$defs"]["request.strict"].get("required", []))
    members = optional_members(entity, profile)
    if mode == "full":
        full = tables(dialect).full
        members = {k: full.get(_definition(entity, k, profile), s) for k, s in members.items()}
        return st.fixed_dictionaries({**{k: st.just(v) for k, v in base.items() if k not in members}, **members})
    if mode == "nulls":
        nullable = tables(dialect).nullable
        cleared = {k for k in members if _definition(entity, k, profile) in nullable and k not in required}
        members = {k: s for k, s in members.items() if k not in cleared}
        kept = {k: st.just(v) for k, v in base.items() if k not in members and k not in cleared}
        return st.fixed_dictionaries({**kept, **members})
    fixed = {k: st.just(v) for k, v in base.items() if k not in members or k in required}
    drawn_required = {k: s for k, s in members.items() if k in required}
    optional = {k: s for k, s in members.items() if k not in required}
    return st.fixed_dictionaries({**fixed, **drawn_required}, optional=optional)
