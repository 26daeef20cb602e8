"""What every check, test and state machine validates, declared where it is written.

An exchange check says which requirement IDs its findings may name (``@check``); a hand-written
suite test or a state machine says which IDs it records itself (``@validates``), and, when it runs
the exchange checks on operations, which outcomes of them it judges. Every ID is written out in full,
so that ``grep -rn GB-RESULT-PUT-UPSERT conformance/`` finds what checks it. The table is static:
filled by the decorators when the modules are imported, never by a run.

``Recorder`` (``conformance.checks``) refuses to record, for a subject bound to its declaration, an ID
the subject did not declare; ``suite.selection`` reads the table to pick the tests ``--only`` names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from conformance.catalogue import ASPECTS, ID_PATTERN, Aspect

__all__ = ["Declaration", "Undeclared", "check", "declaration", "declarations", "declared", "name_of", "validates"]

T = TypeVar("T")


@dataclass(frozen=True)
class Declaration:
    """What one subject (a check function, a test function, a machine class) validates."""

    subject: str  # module.qualname, for messages
    ids: frozenset[str]  # the IDs it records itself
    checks: tuple[Callable[..., Any], ...] = ()  # the exchange checks it runs on its exchanges
    aspects: frozenset[Aspect] = frozenset()  # which outcomes of its operations those checks judge
    operations: tuple[str, ...] = ()  # the operations it judges, when no parameter of the test names them

    def ids_of_checks(self) -> frozenset[str]:
        """Every ID the exchange checks it runs declare: the outcomes of every operation among them
        (which of those it can validate depends on its operations and aspects)."""
        found: set[str] = set()
        for fn in self.checks:
            declared_by = declaration(fn)
            if declared_by is None:
                raise Undeclared(f"{self.subject} runs {name_of(fn)}, which declares nothing")
            found |= declared_by.ids
        return frozenset(found)


class Undeclared(LookupError):
    """A subject declares nothing, or a finding names an ID its subject did not declare."""


_TABLE: dict[str, Declaration] = {}
_ATTRIBUTE = "__oneroster_declaration__"


def name_of(subject: object) -> str:
    return f"{getattr(subject, '__module__', '?')}.{getattr(subject, '__qualname__', repr(subject))}"


def _declare(
    subject: T,
    ids: Iterable[str],
    checks: Iterable[Callable[..., Any]] = (),
    aspects: Iterable[Aspect] = (),
    operations: Iterable[str] = (),
) -> T:
    ids = tuple(ids)
    wrong = [i for i in ids if not isinstance(i, str) or not ID_PATTERN.match(i)]
    if wrong:
        raise ValueError(f"{name_of(subject)} declares malformed requirement IDs: {wrong}")
    odd = [a for a in aspects if a not in ASPECTS]
    if odd:
        raise ValueError(f"{name_of(subject)} declares unknown aspects {odd} (known: {ASPECTS})")
    name = name_of(subject)
    found = Declaration(name, frozenset(ids), tuple(checks), frozenset(aspects), tuple(operations))
    _TABLE[name] = found  # a module imported again declares its subjects again: the newest stands
    setattr(subject, _ATTRIBUTE, found)
    return subject


def check(*ids: str) -> Callable[[T], T]:
    """Declare an exchange check: ``@check("GEN-ERROR-IMSX-BODY")`` — every ID its findings may name."""
    return lambda fn: _declare(fn, ids)


def validates(
    *ids: str,
    checks: Iterable[Callable[..., Any]] = (),
    aspects: Iterable[Aspect] = (),
    operations: Iterable[str] = (),
) -> Callable[[T], T]:
    """Declare a suite test or a state machine: the IDs it records itself; with ``checks``, the exchange
    checks it runs, and with ``aspects`` which outcomes ("success", "schema", "not-found") of its
    operations they judge — those of its ``op`` or entity parameter, else ``operations``."""
    return lambda subject: _declare(subject, ids, checks, aspects, operations)


def declaration(subject: object) -> Declaration | None:
    """A subject's declaration; a class inherits its nearest declared base's (machines are bound to a
    run by subclassing)."""
    for owner in getattr(subject, "__mro__", (subject,)):
        found = getattr(owner, "__dict__", {}).get(_ATTRIBUTE)
        if isinstance(found, Declaration):
            return found
    found = getattr(subject, _ATTRIBUTE, None)  # a function (or a wrapper of one)
    return found if isinstance(found, Declaration) else None


def declared(subject: object) -> frozenset[str]:
    """The IDs a subject records itself; ``Undeclared`` when it declares nothing."""
    found = declaration(subject)
    if found is None:
        raise Undeclared(f"{name_of(subject)} declares no requirement")
    return found.ids


def declarations() -> Iterator[Declaration]:
    """Every declaration made so far (the modules that make them must have been imported)."""
    return iter(tuple(_TABLE.values()))
