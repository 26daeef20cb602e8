"""Reproductions as data: a failure's steps as requests a replay can send again, and what the failing
run saw of them.

A step is a request relative to the target's base URL, with no secret in it: a replay authenticates
itself, and ``auth`` says only whether the step carried the run's token, none, the deliberately
invalid one, or the token an earlier step asked for (``{"token_of": N}``, N counted from 1); a step
that asked for a token with the run's client credentials says how the client authenticated
(``grant``: form or basic), and a replay asks with its own. Every step keeps the status it got; the
decisive last step also keeps its answer, normalized so that two fresh servers fed the same requests
give the same one (an access token in it reads ``<access-token>``):

- a JSON body is parsed, so key order and spacing do not count;
- the target's base URL (hrefs, Link headers) reads ``<base-url>``;
- ids the server made — ``allocatedSourcedId`` values and UUIDs that no request of the steps sent —
  read ``<server-id-N>``, numbered in the order they first appeared (a replay sends the ids its own
  server made where the failing run sent those);
- date-times the server made (any that no request of the steps sent) read as their shape,
  ``<date-time ####-##-##T##:##:##Z>``, and ``earlier than before`` when a record's timestamp went
  back before one the same record showed in an earlier step, or ``the same as before the wait`` when
  it still equals one the record showed before a step the sender deliberately waited for
  (``Exchange.pause``; a replay waits as long): that order is part of the contract, the value is not.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import httpx

from conformance import redaction
from conformance.client._exchange import BOGUS_TOKEN, Exchange

BASE_URL = "<base-url>"
ATTEMPT, ENROLLMENTS = "attempt", "enrollments"
ACCESS_TOKEN = "access_token"  # noqa: S105 - a member name, not a token  # PowerPath's attempt counter; the tool doubles' enrollment log
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?")
UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
MAX_ANSWER = 64 * 1024  # characters of a normalized body kept as it is; a larger one is kept as its digest
# Answer headers whose values the API defines (counts, paging links): compared like the body.
COMPARED_HEADERS = ("x-total-count", "link")
# Request headers a replay does not send as recorded: the client sets them, or they are secret.
NOT_REPLAYED = frozenset(
    {"host", "content-length", "accept-encoding", "connection", "user-agent", *redaction.SENSITIVE_HEADERS}
)


@dataclass(frozen=True)
class Origin:
    """Where a failing run sent its steps, and the prefix of every sourcedId it wrote (a replay
    renames it, so that replaying twice against one server meets nothing the first replay left)."""

    base_url: str
    prefix: str = ""


def auth_of(headers: Mapping[str, str]) -> str:
    """How a step authenticated: ``token`` (the run's), ``bogus`` (the deliberately invalid one) or ``none``."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if value is None:
        return "none"
    return "bogus" if value.strip() == f"Bearer {BOGUS_TOKEN}" else "token"


def bases(base_url: str) -> tuple[str, ...]:
    """The base URL as configured and as httpx writes it (a default port dropped, the host lower-cased)."""
    if not base_url:
        return ()
    try:
        written = str(httpx.URL(base_url)).rstrip("/")
    except (httpx.InvalidURL, ValueError, TypeError):
        written = base_url
    return tuple(dict.fromkeys((base_url.rstrip("/"), written)))


def relative(url: str, base_url: str) -> str:
    """``url`` relative to the base URL: its path and query; an URL elsewhere (a token endpoint) stays whole."""
    for base in bases(base_url):
        rest = url[len(base) :]
        if url.startswith(base) and rest[:1] in ("/", "?", ""):
            return rest
    return url


def request_text(exchange: Exchange) -> str:
    """Everything a request says, for finding the ids and date-times it names."""
    body = exchange.request_body.decode("utf-8", errors="replace") if exchange.request_body else ""
    return f"{unquote(exchange.url)}\n{body}"


def step(exchange: Exchange, base_url: str, numbers: Mapping[int, int] | None = None) -> dict[str, Any]:
    """One exchange as a step: the request without secrets, and the status the failing run saw.
    ``numbers`` maps an exchange's ``id()`` to its step number, for a step carrying an earlier one's token."""
    headers = {
        name: redaction.redact(value)
        for name, value in exchange.request_headers.items()
        if name.lower() not in NOT_REPLAYED
    }
    data: dict[str, Any] = {
        "method": exchange.method,
        "path": redaction.redact(relative(exchange.url, base_url)),
        "headers": headers,
        "auth": auth_of(exchange.request_headers),
    }
    granting = numbers.get(id(exchange.token_of)) if exchange.token_of is not None and numbers else None
    if granting is not None:
        data["auth"] = {"token_of": granting}
    if exchange.grant is not None:  # the client's credentials, Basic or in the form: a replay sends its own
        data["grant"], data["auth"] = exchange.grant, "none"
    if exchange.request_body:
        try:
            data["body"] = redaction.redact(exchange.request_body.decode("utf-8"))
        except UnicodeDecodeError:
            data["body_base64"] = base64.b64encode(exchange.request_body).decode("ascii")
    if exchange.pause:
        data["pause"] = exchange.pause
    data["status"] = exchange.status
    return data


def instant(value: str) -> datetime | None:
    """A date-time as an instant; one without a zone is read as UTC."""
    try:
        moment = datetime.fromisoformat(re.sub(r"[Zz]$", "+00:00", value.replace(" ", "T", 1)))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def shape(value: str) -> str:
    """A date-time's form without its value: separators and zone kept, digits and fractions masked
    (a server may drop trailing zeros of a fraction from one answer to the next)."""
    return re.sub(r"\d", "#", re.sub(r"[.,]\d+", "", value))


def _strings(value: Any, key: str = "") -> Iterable[tuple[str, str]]:
    """Every string of a JSON value with the member name it sits under, keys in sorted order."""
    if isinstance(value, dict):
        for name in sorted(value, key=str):
            yield from _strings(value[name], str(name))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)
    elif isinstance(value, str):
        yield key, value


def _by_key(entry: Any) -> Any:
    """An enrollment as the log keys it, student by course: which lesson made the entry depends on
    which example got there first, and a fresh server has only the reproduction's own."""
    return {k: v for k, v in entry.items() if k != "lesson"} if isinstance(entry, dict) else entry


def _counted(value: Any) -> Iterable[int]:
    """Every attempt number an answer holds, in document order."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == ATTEMPT and isinstance(item, int) and not isinstance(item, bool):
                yield item
            else:
                yield from _counted(item)
    elif isinstance(value, list):
        for item in value:
            yield from _counted(item)


def _records(value: Any) -> Iterable[tuple[str, dict[str, Any]]]:
    """Every object of a JSON value that carries a sourcedId, with it."""
    if isinstance(value, dict):
        if isinstance(value.get("sourcedId"), str):
            yield value["sourcedId"], value
        for item in value.values():
            yield from _records(item)
    elif isinstance(value, list):
        for item in value:
            yield from _records(item)


def _parsed(exchange: Exchange) -> tuple[bool, Any]:
    """(True, the value) for a JSON body; (False, None) for an empty or other body."""
    if not exchange.body:
        return False, None
    try:
        return True, exchange.json()  # parsed once per exchange: the session's checks read it too
    except ValueError:
        return False, None


@dataclass
class Trace:
    """What the steps so far tell about the answer of the last: the requests' date-times, the ids
    the server made (per step, and in order of appearance) and the timestamps each record showed."""

    sent: list[str] = field(default_factory=list)
    times: set[str] = field(default_factory=set)
    made: list[list[str]] = field(default_factory=list)  # per step: ids the server made (no request sent them)
    # Per step: what the answer says where a server names the ids it allocates (every
    # allocatedSourcedId, and the UUIDs it made): a replay pairs its own answer's with these, place by
    # place, even where one server made an id and the other echoed the one it was sent.
    allocated: list[list[str]] = field(default_factory=list)
    # Per record and member, each timestamp shown, with the number of pauses the steps had made by then.
    stamps: dict[tuple[str, str], list[tuple[int, datetime]]] = field(default_factory=dict)
    pauses: int = 0  # steps so far sent after a deliberate wait (``Exchange.pause``)
    exchanges: list[Exchange] = field(default_factory=list)
    # Attempt numbers the server counted, in order of appearance: a server numbers a student's attempts
    # at a lesson over its whole life, so a fresh one answers 1 where the failing run, after earlier
    # examples, answered 4. Their order, not their values, is what the steps show.
    attempts: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, exchanges: Iterable[Exchange]) -> Trace:
        trace = cls()
        for exchange in exchanges:
            trace.add(exchange)
        return trace

    @property
    def server_ids(self) -> list[str]:
        return list(dict.fromkeys(i for ids in self.made for i in ids))

    def add(self, exchange: Exchange) -> list[str]:
        """Take one more step; what its answer says where a server names the ids it allocates."""
        if self.exchanges:  # the last answer so far becomes an earlier one
            self._stamps(self.exchanges[-1])
        self.pauses += exchange.pause > 0
        text = request_text(exchange)
        self.sent.append(text)
        self.times.update(DATE_TIME.findall(text))
        self.exchanges.append(exchange)
        is_json, value = _parsed(exchange)
        if is_json:
            self.attempts.extend(n for n in _counted(value) if n not in self.attempts)
            slots = [s for key, s in _strings(value) if key == "allocatedSourcedId" and s]
            uuids = [u for _, s in _strings(value) for u in UUID.findall(s)]
        else:
            slots, uuids = [], UUID.findall(exchange.body.decode("utf-8", errors="replace"))
        known = set(self.server_ids)
        made = [i for i in dict.fromkeys(slots + uuids) if i not in known and not any(i in s for s in self.sent)]
        self.made.append(made)
        self.allocated.append(list(dict.fromkeys(slots + [u for u in uuids if u in made])))
        return self.allocated[-1]

    def _stamps(self, exchange: Exchange) -> None:
        is_json, value = _parsed(exchange)
        for record, members in _records(value) if is_json else ():
            for member, raw in members.items():
                if isinstance(raw, str) and DATE_TIME.fullmatch(raw) and raw not in self.times:
                    moment = instant(raw)
                    if moment is not None:
                        self.stamps.setdefault((record, str(member)), []).append((self.pauses, moment))

    def answer(self, base_url: str, renames: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The last step's answer, normalized; ``renames`` first maps a replay's own names back."""
        return _Normalizer(self, base_url, dict(renames or {})).answer(self.exchanges[-1])


@dataclass
class _Normalizer:
    trace: Trace
    base_url: str
    renames: dict[str, str]

    def text(self, value: str) -> str:
        for old, new in self.renames.items():
            value = value.replace(old, new)
        for base in bases(self.base_url):
            value = value.replace(base, BASE_URL)
        for number, made in enumerate(self.trace.server_ids, 1):
            value = value.replace(made, f"<server-id-{number}>")
        return DATE_TIME.sub(lambda m: m.group() if m.group() in self.trace.times else _masked(m.group()), value)

    def value(self, value: Any, record: str | None = None, member: str = "") -> Any:
        if isinstance(value, dict):
            own = value.get("sourcedId")
            inside = own if isinstance(own, str) else None
            return {self.text(str(k)): self.value(v, inside, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            if member == ENROLLMENTS:
                value = [_by_key(item) for item in value if self._named(item)]
            return [self.value(item) for item in value]
        if (
            member == ATTEMPT
            and isinstance(value, int)
            and not isinstance(value, bool)
            and value in self.trace.attempts
        ):
            return f"<attempt-{self.trace.attempts.index(value) + 1}>"
        if member == ACCESS_TOKEN and isinstance(value, str):
            return "<access-token>"  # random, and a secret: never kept, never compared
        if isinstance(value, str):
            if DATE_TIME.fullmatch(value) and value not in self.trace.times:
                moment = instant(value)
                before = self.trace.stamps.get((record, member), []) if record is not None else []
                went_back = moment is not None and any(earlier > moment for _, earlier in before)
                # The same value as before a deliberate wait: a change since then did not move it.
                stood = moment is not None and any(p < self.trace.pauses and t == moment for p, t in before)
                return _masked(value, went_back, stood)
            return self.text(value)
        return value

    def _named(self, entry: Any) -> bool:
        """Whether an enrollment is about a student the steps named: the tool doubles keep one log for
        the whole server, and entries about other students are what earlier examples left."""
        student = entry.get("student") if isinstance(entry, dict) else None
        return not isinstance(student, str) or any(student in sent for sent in self.trace.sent)

    def answer(self, exchange: Exchange) -> dict[str, Any]:
        found: dict[str, Any] = {"status": exchange.status}
        if exchange.status is None:
            return found  # no answer: a replay must get none either
        content_type = exchange.content_type.replace(" ", "").lower()
        if content_type:
            found["content_type"] = content_type
        headers = {n: self.text(exchange.headers[n]) for n in COMPARED_HEADERS if n in exchange.headers}
        if headers:
            found["headers"] = headers
        is_json, value = _parsed(exchange)
        if is_json:
            found["json"] = self.value(value)
        elif exchange.body:
            found["text"] = self.text(exchange.body.decode("utf-8", errors="replace"))
        return _capped(found)


def _capped(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer whose body is too large to keep in summary.json (five failures a requirement, each with
    its answer) keeps the body's digest instead: a replay still tells whether it got the same."""
    for kind in ("json", "text"):
        if kind in answer:
            written = json.dumps(answer[kind], ensure_ascii=False, sort_keys=True)
            if len(written) > MAX_ANSWER:
                del answer[kind]
                answer["sha256"] = hashlib.sha256(f"{kind}:{written}".encode()).hexdigest()
    return answer


def _masked(value: str, went_back: bool = False, stood: bool = False) -> str:
    note = ", earlier than before" if went_back else ", the same as before the wait" if stood else ""
    return f"<date-time {shape(value)}{note}>"


def replay_data(requirement: str, exchanges: Sequence[Exchange], origin: Origin) -> dict[str, Any]:
    """A failure's steps as data (summary.json's ``replay``): every exchange a replay sends, in order,
    the last being the one that showed the failure."""
    trace = Trace.of(exchanges)
    steps = []
    numbers = {id(exchange): number for number, exchange in enumerate(exchanges, 1)}
    for exchange, allocated in zip(exchanges, trace.allocated, strict=True):
        data = step(exchange, origin.base_url, numbers)
        if allocated:
            data["allocated"] = allocated
        steps.append(data)
    steps[-1]["answer"] = trace.answer(origin.base_url)
    return {
        "requirement": requirement,
        "base_url": redaction.redact(origin.base_url),
        "prefix": origin.prefix,
        "steps": steps,
    }


def difference(expected: Any, got: Any, where: str = "") -> str | None:
    """Where two normalized answers first differ, as a phrase; None when they agree."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in list(dict.fromkeys([*expected, *got])):
            if key not in got:
                return f"{where}/{key} is missing"
            if key not in expected:
                return f"{where}/{key} is there, the failing run had none"
            found = difference(expected[key], got[key], f"{where}/{key}")
            if found is not None:
                return found
        return None
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return f"{where or '/'} holds {len(got)} items where the failing run saw {len(expected)}"
        for index, (a, b) in enumerate(zip(expected, got, strict=True)):
            found = difference(a, b, f"{where}/{index}")
            if found is not None:
                return found
        return None
    if expected == got and type(expected) is type(got):
        return None
    return f"{where or '/'} is {_show(got)} where the failing run saw {_show(expected)}"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"
