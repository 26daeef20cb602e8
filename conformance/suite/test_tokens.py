"""The token's life: the client authenticated by HTTP Basic, an expired token refused, a new token
serving again, and what the token endpoint does with a scope (docs/readings.md, token-scopes).

Each check asks the token URL for its own tokens, so the run's token is never expired or narrowed.
An expired token can be seen only where the target offers the token control interface
(docs/tool-control.md) or issues tokens that live a few seconds; elsewhere that requirement is
listed as not checked, with the token's lifetime as the reason.
"""

from __future__ import annotations

import time

import pytest

from conformance.checks import Recorder
from conformance.checks.registry import validates
from conformance.client import Exchange
from conformance.contract import scopes
from conformance.session.suite_session import SuiteSession, item_path
from conformance.session.tokens import Granted, request_token, send_with
from conformance.session.world import baseline
from conformance.suite.judge import COMMON, recorder_fixture  # noqa: F401 (a fixture)

WAIT_AT_MOST = 5  # seconds: a token that lives this long or less is waited out
UNKNOWN_SCOPE = "https://example.org/oneroster-conformance/scope/unknown"
REFUSED = (401, 403)
READS = ("getCategory", "getAllCategories")  # what a token is tried on


def _needs_oauth(suite: SuiteSession, recorder: Recorder, *ids: str) -> None:
    if not suite.target.uses_oauth:
        for requirement in ids:
            recorder.skip(requirement, "a static --token was given: the token endpoint was not used")
        pytest.skip("static token: no token endpoint")


def _read(suite: SuiteSession, granted: Granted, needs: tuple[Exchange, ...] = ()) -> Exchange:
    """One small read the token must be able to make (every profile's, every scope's core read): the
    run's anchor category, whose answer a replay on a fresh server gets again; a collection's first
    page in a read-only run."""
    suite.ensure_anchors()
    anchor = suite.world.anchors.get("category")
    if anchor is not None:
        return send_with(suite, granted, "GET", item_path("category", anchor), needs=needs)
    path = suite.collection_path("category")
    return send_with(suite, granted, "GET", path, params={"limit": "1"}, needs=needs)


def _operation(read: Exchange) -> str:
    return "getAllCategories" if "limit=" in read.url else "getCategory"


def _granted(recorder: Recorder, requirement: str, granted: Granted, how: str) -> bool:
    recorder.expect(
        requirement,
        granted.token is not None,
        granted.exchange,
        title=f"The token endpoint granted no token to {how}",
        expected="200 {access_token, expires_in, token_type: Bearer}",
        actual=f"status {granted.exchange.status}",
    )
    return granted.token is not None


def _served(suite: SuiteSession, recorder: Recorder, requirement: str | None, granted: Granted, what: str) -> Exchange:
    """Read with ``granted``'s token, judge the answer as a success, and (for ``requirement``) expect
    the token not refused."""
    read = _read(suite, granted)
    recorder.judge(read, _operation(read), expect_success=True)
    if requirement is not None:
        recorder.expect(
            requirement,
            read.status is not None and read.status not in REFUSED,
            read,
            title=f"A token was refused: {what}",
            expected="served (neither 401 nor 403)",
            actual=f"status {read.status}" if read.status is not None else f"no answer ({read.error})",
        )
    return read


@validates("GEN-AUTH-BASIC", checks=COMMON, operations=READS)
def test_client_credentials_by_http_basic(suite: SuiteSession, recorder: Recorder) -> None:
    _needs_oauth(suite, recorder, "GEN-AUTH-BASIC")
    granted = request_token(suite, basic=True)
    if not _granted(recorder, "GEN-AUTH-BASIC", granted, "a client authenticated by HTTP Basic"):
        return
    _served(suite, recorder, "GEN-AUTH-BASIC", granted, "one granted to a client authenticated by HTTP Basic")


def _expire(suite: SuiteSession, granted: Granted) -> tuple[str | None, tuple[Exchange, ...]]:
    """End the token's life: the reason it cannot be done (None once it is done), and the control
    request that did it (a replay sends it again)."""
    if suite.options.read_only:
        return "read-only run: the token control interface is not called", ()
    if suite.token_control is not None:
        done = send_with(suite, granted, "POST", suite.token_control + "/expire")
        return (None if done.status == 200 else f"the token control interface answered {done.status}"), (done,)
    lifetime = granted.lifetime
    if lifetime is not None and lifetime <= WAIT_AT_MOST:
        time.sleep(lifetime + 1)
        return None, ()
    lives = f"{lifetime:g} s" if lifetime is not None else "an unannounced time"
    return f"the target's tokens live {lives} and it offers no token control interface to expire one", ()


@validates("GEN-AUTH-TOKEN-EXPIRED", "GEN-AUTH-TOKEN-RENEWED", checks=COMMON, operations=READS)
def test_an_expired_token_is_refused_and_a_new_one_serves(suite: SuiteSession, recorder: Recorder) -> None:
    _needs_oauth(suite, recorder, "GEN-AUTH-TOKEN-EXPIRED", "GEN-AUTH-TOKEN-RENEWED")
    first = request_token(suite)
    if not _granted(recorder, "GEN-AUTH-TOKEN-RENEWED", first, "a client asking for another token"):
        return
    live = _served(suite, recorder, None, first, "a fresh one")
    why_not, expiry = (
        _expire(suite, first) if live.status == 200 else (f"a fresh token was not served ({live.status})", ())
    )
    if why_not is not None:
        recorder.skip("GEN-AUTH-TOKEN-EXPIRED", why_not)
    else:
        stale = _read(suite, first, needs=expiry)
        recorder.judge(stale, _operation(stale))
        recorder.expect(
            "GEN-AUTH-TOKEN-EXPIRED",
            stale.status in REFUSED,
            stale,
            title="An expired token was still served",
            expected="401 (invalid_token) or 403",
            actual=f"status {stale.status}",
        )
    second = request_token(suite, needs=expiry)  # a server may refuse it for the expiry: a replay expires one first
    if not _granted(recorder, "GEN-AUTH-TOKEN-RENEWED", second, "a client asking for a new token"):
        return
    _served(suite, recorder, "GEN-AUTH-TOKEN-RENEWED", second, "a new one, asked for after the first")


@validates("GEN-AUTH-SCOPE-UNKNOWN", "GEN-READ-TOKEN-SCOPES", checks=COMMON, operations=("putCategory",))
def test_a_token_request_naming_a_scope(suite: SuiteSession, recorder: Recorder) -> None:
    """Where the documents give scopes, one they do not know is narrowed away or refused, and the
    answer says which; elsewhere, what happens to the official read-only scope is observed."""
    if suite.profile.name in scopes.PROFILES:
        _needs_oauth(suite, recorder, "GEN-AUTH-SCOPE-UNKNOWN", "GEN-READ-TOKEN-SCOPES")
        _unknown_scope(suite, recorder)
    else:
        _needs_oauth(suite, recorder, "GEN-READ-TOKEN-SCOPES")
        _observe_scope(suite, recorder)


def _unknown_scope(suite: SuiteSession, recorder: Recorder) -> None:
    granted = request_token(suite, scope=f"{scopes.GRADEBOOK_READ} {UNKNOWN_SCOPE}")
    body = granted.exchange.try_json()
    if granted.token is None:
        error = body.get("error") if isinstance(body, dict) else None
        ok, actual = granted.exchange.status == 400 and error == "invalid_scope", f"{granted.exchange.status} {error}"
    else:
        ok = granted.scope is not None and UNKNOWN_SCOPE not in granted.scopes
        actual = f"granted, scope {granted.scope!r}" if granted.scope is not None else "granted, no scope member"
    recorder.expect(
        "GEN-AUTH-SCOPE-UNKNOWN",
        ok,
        granted.exchange,
        title="A token request naming an unknown scope was neither refused nor narrowed with the granted scope said",
        expected="400 invalid_scope, or 200 whose scope lists what was granted, without the unknown scope",
        actual=actual,
    )
    choice = "narrowed to the scopes it knows" if granted.token is not None else "refused"
    recorder.observe("GEN-READ-TOKEN-SCOPES", f"a token request naming an unknown scope is {choice}: {actual}")


def _observe_scope(suite: SuiteSession, recorder: Recorder) -> None:
    granted = request_token(suite, scope=scopes.GRADEBOOK_READ)
    note = f"a token request for {scopes.GRADEBOOK_READ} is answered {granted.exchange.status}"
    if granted.token is None:
        recorder.observe("GEN-READ-TOKEN-SCOPES", note + " (refused)")
        return
    note += f", scope {granted.scope!r}" if granted.scope is not None else ", without a scope member"
    if not suite.options.read_only:
        suite.ensure_anchors()
        sourced_id = suite.world.fresh_id("category")
        body = {"category": baseline("category", suite.world, sourced_id)}
        put = send_with(suite, granted, "PUT", item_path("category", sourced_id), json_body=body)
        recorder.judge(put, "putCategory")
        note += f"; a PUT with that token is {'refused' if put.status in REFUSED else 'answered'} {put.status}"
    recorder.observe("GEN-READ-TOKEN-SCOPES", note)
