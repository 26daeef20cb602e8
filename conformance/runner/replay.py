"""``oneroster-conformance replay SUMMARY.json``: send a failing run's steps again and say, for each
failure, whether it still happens.

Each failure in summary.json carries its steps as data (``replay``: see ``client._reproduction``),
self-contained — the writes that made the records they name come first. A replay sends them in order
through the suite's one client, authenticated afresh by the target's own settings (a token is never
read from the file), with the sourcedIds renamed to a fresh prefix and the ids the server allocates
carried from one step to the next. A failure *reproduces* when every step is answered with the
status the failing run saw and the last answer, normalized, is the one it saw.

Without ``--base-url`` the steps go to a fresh embedded reference server (``--fault`` switches a
fault on there); the kill matrix replays this way against a server with the fault and one without.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import secrets
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance import profiles, redaction, settings
from conformance.client import (
    NOT_REPLAYED,
    AuthenticationFailed,
    Exchange,
    SuiteClient,
    TargetUnreachable,
    Trace,
    client_credentials,
    difference,
    token_answer,
)
from conformance.contract.operations import ENTITY, GRADEBOOK
from conformance.exits import Exit
from conformance.guard import Guard, RunStopped
from conformance.reference.embedded import ServerStartError
from conformance.run import Resolved, preflight, resolve, start_embedded
from conformance.target import ConfigError

# Where the target is and how to reach it, as for ``run``; the profile is the failing run's
# (summary.json says which).
TARGET_FLAGS = settings.TARGET_FLAGS
_AUTH = ("token", "none", "bogus")
_GRANTS = ("form", "basic")  # how a token request of the steps authenticated the client
MAX_PAUSE = 10.0  # seconds: the longest wait a step may ask of a replay
MIN_CARRIED = 6  # shorter allocated ids are not replaced in later steps: they would match ordinary text
_PLURALS = {e.plural: e for e in ENTITY.values()}


class ReplayError(Exception):
    """A summary that cannot be replayed: the message is one line."""


@dataclass(frozen=True)
class Replayable:
    label: str  # the requirement, and which of its failures when it kept several
    data: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    reproduces: bool
    reason: str = ""  # why it does not reproduce, or why it could not be replayed
    replayed: bool = True

    def line(self, label: str) -> str:
        if not self.replayed:
            return f"{label} cannot be replayed: {self.reason}"
        return (
            f"{label} still fails: it reproduces"
            if self.reproduces
            else f"{label} is fixed: it does not reproduce: {self.reason}"
        )


# Reading summary.json -------------------------------------------------------------------------------
def load(path: str | Path) -> dict[str, Any]:
    """A summary.json (or the reports directory that holds one), checked enough to replay;
    ``ReplayError`` otherwise."""
    if Path(path).is_dir():
        path = Path(path) / "summary.json"
    try:
        summary = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReplayError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReplayError(f"{path} is not JSON: {exc}") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("requirements"), list):
        raise ReplayError(f"{path} is not a summary.json of oneroster-conformance (no 'requirements' list)")
    return summary


def failures(summary: dict[str, Any], requirement: str | None = None, where: str = "summary.json") -> list[Replayable]:
    """Every failure of the summary that carries steps (of ``requirement`` only, when given)."""
    rows = [r for r in summary["requirements"] if isinstance(r, dict) and isinstance(r.get("failures"), list)]
    rows = [r for r in rows if r["failures"]]
    if requirement is not None:
        rows = [r for r in rows if r.get("id") == requirement]
        if not rows:
            raise ReplayError(f"{where} holds no failure of {requirement}")
    found = []
    for row in rows:
        kept = [f for f in row["failures"] if isinstance(f, dict) and "replay" in f]
        for number, failure in enumerate(kept, 1):
            label = str(row.get("id")) + (f" (failure {number} of {len(kept)})" if len(kept) > 1 else "")
            found.append(Replayable(label, checked(failure["replay"], label, where)))
    if rows and not found:
        raise ReplayError(f"{where} holds no replayable steps (written by a suite without replay?)")
    return found


def checked(data: Any, label: str, where: str) -> dict[str, Any]:
    """Replay data as ``replay_data`` writes it; ``ReplayError`` naming what is wrong."""
    bad = f"{where}: the replay of {label}"
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list) or not steps:
        raise ReplayError(f"{bad} has no steps")
    for number, step in enumerate(steps, 1):
        if not isinstance(step, dict):
            raise ReplayError(f"{bad}: step {number} is not an object")
        for key, kind in (("method", str), ("path", str), ("headers", dict)):
            if not isinstance(step.get(key), kind):
                raise ReplayError(f"{bad}: step {number} has no {key}")
        if not _auth_ok(step.get("auth"), number) or not isinstance(step.get("status"), int | None):
            raise ReplayError(f"{bad}: step {number} has no auth or status")
        if step.get("grant", "form") not in _GRANTS:
            raise ReplayError(f"{bad}: step {number} has an unknown grant")
        if not isinstance(step.get("pause", 0), int | float) or isinstance(step.get("pause"), bool):
            raise ReplayError(f"{bad}: step {number} has a pause that is not a number of seconds")
    if not isinstance(steps[-1].get("answer"), dict):
        raise ReplayError(f"{bad}: its last step has no answer")
    return dict(data)


def _auth_ok(auth: Any, number: int) -> bool:
    """One of the named ways, or the token an earlier step asked for."""
    if isinstance(auth, dict):
        granting = auth.get("token_of")
        return isinstance(granting, int) and not isinstance(granting, bool) and 1 <= granting < number
    return auth in _AUTH


# Replaying --------------------------------------------------------------------------------------------
def replay(client: SuiteClient, data: dict[str, Any], *, clean: bool = True) -> Outcome:
    """Send one failure's steps through ``client``; whether the failure happens again. With ``clean``,
    the records the replay wrote are deleted afterwards."""
    prefix = str(data.get("prefix") or "")
    fresh = _fresh(prefix)
    base = str(data.get("base_url") or "")
    carried: dict[str, str] = {prefix: fresh} if prefix else {}
    trace = Trace()
    tokens: dict[int, str] = {}  # by step number: the tokens the replay's own token requests got
    try:
        for number, step in enumerate(data["steps"], 1):
            path = _carry(step["path"], carried, base, client.target.base_url)
            grant = step.get("grant")
            if grant:  # a token request goes to this replay's token URL, whatever the failing run's was
                if not client.target.uses_oauth:
                    return Outcome(False, f"step {number} asks for a token: the replay needs client credentials", False)
                path = client.target.token_url or path
            elif path.startswith(("http://", "https://")):
                return Outcome(False, f"step {number} goes outside the target ({step['method']} {path})", False)
            headers = {
                k: _carry(str(v), carried, base, client.target.base_url)
                for k, v in step["headers"].items()
                if k.lower() not in NOT_REPLAYED  # a hand-edited file never sets the credentials
            }
            content = _body(step, carried, base, client.target.base_url)
            auth = step["auth"]
            if isinstance(auth, dict):  # the token an earlier step asked for
                if auth["token_of"] not in tokens:
                    return Outcome(False, f"step {number} carries the token of step {auth['token_of']}, which got none")
                headers["Authorization"], auth = f"Bearer {tokens[auth['token_of']]}", "none"
            if grant:
                form = dict(parse_qsl((content or b"").decode("utf-8", errors="replace"), keep_blank_values=True))
                content, credentials = client_credentials(client.target, form, basic=grant == "basic")
                headers.update(credentials)
            pause = _pause(step)
            if pause:
                time.sleep(pause)
            exchange = client.send(step["method"], path, content=content, headers=headers, auth=auth)
            exchange.pause = pause
            token = token_answer(exchange).token if grant else None
            if token is not None:
                tokens[number] = token
            allocated = trace.add(exchange)
            # The ids this replay's server allocated go where the failing run's went, in later steps.
            pairs = zip(step.get("allocated", []), allocated, strict=False)
            carried.update((old, new) for old, new in pairs if old != new and len(old) >= MIN_CARRIED)
            if exchange.status != step["status"]:
                got = exchange.status if exchange.status is not None else f"nothing ({exchange.error})"
                saw = step["status"] if step["status"] is not None else "no answer"
                return Outcome(False, f"step {number} answered {got}, the failing run saw {saw}")
        return _compare(data["steps"][-1]["answer"], trace.answer(client.target.base_url, {fresh: prefix}))
    except RunStopped as exc:
        return Outcome(False, f"the replay stopped: {exc}", False)
    finally:
        if clean:
            _clean(client, trace.exchanges)


def _pause(step: dict[str, Any]) -> float:
    """How long the failing run waited before the step (bounded: a hand-edited file cannot stall a replay)."""
    value = step.get("pause", 0)
    return min(float(value), MAX_PAUSE) if isinstance(value, int | float) and value > 0 else 0.0


def _fresh(prefix: str) -> str:
    """A prefix like the run's, never used before: the first two letters kept, so that the replay's
    records sort among a target's other records as the run's did."""
    if not prefix:
        return ""
    return prefix[:2] + secrets.token_hex(max(2, len(prefix.partition("-")[0]) // 2 - 1)) + "-r-"


def _carry(text: str, carried: dict[str, str], base: str, live_base: str) -> str:
    """A recorded text as this replay sends it: its own prefix, its server's ids, its target's URL."""
    for old, new in carried.items():
        text = text.replace(old, new)
    return text.replace(base, live_base) if base else text


def _body(step: dict[str, Any], carried: dict[str, str], base: str, live_base: str) -> bytes | None:
    if isinstance(step.get("body"), str):
        return _carry(step["body"], carried, base, live_base).encode("utf-8")
    if isinstance(step.get("body_base64"), str):
        try:
            return base64.b64decode(step["body_base64"], validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


def _compare(expected: dict[str, Any], got: dict[str, Any]) -> Outcome:
    if expected.get("content_type") != got.get("content_type"):
        said, saw = got.get("content_type"), expected.get("content_type")
        return Outcome(False, f"the last answer's Content-Type is {said!r}, the failing run saw {saw!r}")
    found = difference(expected.get("headers", {}), got.get("headers", {}))
    if found is not None:
        return Outcome(False, f"the last answer's headers differ: {found}")
    if any((kind in expected) != (kind in got) for kind in ("json", "text", "sha256")):
        return Outcome(False, "the last answer's body is not of the kind the failing run saw (JSON, text, none)")
    if expected.get("sha256") != got.get("sha256"):
        return Outcome(False, "the last answer's body differs (a large body: its digest)")
    found = difference(expected.get("json", expected.get("text")), got.get("json", got.get("text")))
    if found is not None:
        return Outcome(False, f"the last answer's body differs: {found}")
    return Outcome(True)


def _clean(client: SuiteClient, sent: Sequence[Exchange]) -> None:
    """Delete, newest first, every record the replay's writes stored (best effort: a replay leaves the
    target as it found it as far as the API allows)."""
    paths: list[str] = []
    for exchange in sent:
        if exchange.method not in ("PUT", "POST") or exchange.status not in (200, 201):
            continue
        parts = urlsplit(exchange.url).path.removeprefix(urlsplit(client.target.base_url).path)
        parts = parts.removeprefix(GRADEBOOK).strip("/")
        pieces = parts.split("/")
        if exchange.method == "PUT" and len(pieces) == 2 and pieces[0] in _PLURALS:
            paths.append(f"{GRADEBOOK}/{parts}")
        elif exchange.method == "POST" and pieces and pieces[-1] in _PLURALS:
            posted = exchange.try_json()
            for pair in _pairs(posted):
                paths.append(f"{GRADEBOOK}/{pieces[-1]}/{pair}")
    try:
        with client.cleaning(allowance=3):
            for path in reversed(list(dict.fromkeys(paths))):
                client.send("DELETE", path)
    except RunStopped:
        pass


def _pairs(body: Any) -> list[str]:
    pairs = body.get("sourcedIdPairs") if isinstance(body, dict) else None
    found = []
    for pair in pairs if isinstance(pairs, list) else [pairs]:
        if isinstance(pair, dict):
            found += [v for k, v in pair.items() if k.endswith("SourcedId") and isinstance(v, str) and v]
    return found


# Against the reference server --------------------------------------------------------------------------
@contextmanager
def reference_client(profile: str, faults: Sequence[str] = (), fixtures: str | None = None) -> Iterator[SuiteClient]:
    """A client of a fresh embedded reference server with ``faults`` on, stopped afterwards."""
    resolved = start_embedded(profile=profile, fixtures_path=fixtures, faults=faults)
    try:
        client = SuiteClient(resolved.target, guard=Guard())
        try:
            yield client
        finally:
            client.close()
    finally:
        resolved.stop()


def replay_on_reference(data: dict[str, Any], profile: str, faults: Sequence[str] = ()) -> Outcome:
    """One failure replayed against a fresh reference server (the kill matrix's check)."""
    with reference_client(profile, faults) as client:
        return replay(client, data, clean=False)


# The command --------------------------------------------------------------------------------------------
def _error(message: str, code: int = Exit.USAGE) -> int:
    print(f"oneroster-conformance: error: {redaction.redact(message)}", file=sys.stderr)
    return code


def replay_command(args: argparse.Namespace) -> int:
    try:
        summary = load(args.summary)
        chosen = failures(summary, args.requirement or None, str(args.summary))
    except ReplayError as exc:
        return _error(str(exc))
    if not chosen:
        print(f"oneroster-conformance: {args.summary} holds no failure: nothing to replay", file=sys.stderr)
        return Exit.OK
    values: dict[str, Any] = {settings.dest(flag): getattr(args, settings.dest(flag), None) for flag in TARGET_FLAGS}
    values["profile"] = str(summary.get("profile") or profiles.DEFAULT)
    faults = [f.strip() for f in (args.fault or "").split(",") if f.strip()]
    if faults and values.get("base_url"):
        return _error("--fault switches a fault of the embedded reference server: it cannot go with --base-url")
    try:
        return _replay_all(values, faults, chosen)
    except (ConfigError, ServerStartError, ValueError) as exc:
        return _error(str(exc))
    except (TargetUnreachable, AuthenticationFailed) as exc:
        print(f"oneroster-conformance: {redaction.redact(str(exc))}", file=sys.stderr)
        return Exit.UNREACHABLE


def _target(values: dict[str, Any], faults: Sequence[str]) -> Resolved:
    resolved = resolve(values, faults=faults)
    try:
        preflight(resolved.target)
    except BaseException:
        resolved.stop()
        raise
    return resolved


def _replay_all(values: dict[str, Any], faults: Sequence[str], chosen: Sequence[Replayable]) -> int:
    resolved = _target(values, faults)
    where = "fresh embedded reference servers like the one at " if resolved.target.embedded else ""
    print(
        f"oneroster-conformance: replaying against {where}{redaction.redact(resolved.target.base_url)}", file=sys.stderr
    )
    outcomes = []
    try:
        for number, failure in enumerate(chosen):
            if number and resolved.target.embedded:
                # A server of its own for each failure: one replay's records would show in the next one's lists.
                resolved.stop()
                resolved = _target(values, faults)
            client = SuiteClient(resolved.target, guard=Guard())
            try:
                outcome = replay(client, failure.data, clean=not resolved.target.embedded)
            finally:
                client.close()
            outcomes.append(outcome)
            print(redaction.redact(outcome.line(failure.label)), flush=True)
    finally:
        resolved.stop()
    reproduced = sum(o.reproduces for o in outcomes)
    replayed = sum(o.replayed for o in outcomes)
    if reproduced:
        print(f"oneroster-conformance: {reproduced} of {len(outcomes)} failure(s) still reproduce", file=sys.stderr)
        return Exit.FAILED
    if not replayed:
        return _error("no failure could be replayed")
    print(f"oneroster-conformance: none of {replayed} replayed failure(s) reproduces", file=sys.stderr)
    return Exit.OK
