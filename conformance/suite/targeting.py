"""Resolving the run's target from options: a remote server, or the embedded reference server
started on a free loopback port. Also the preflight that tells 'unreachable' and 'refused' apart
before any test runs (exit 3)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

from conformance import profiles
from conformance.client import AuthenticationFailed, SuiteClient, TargetUnreachable
from conformance.contract.operations import GRADEBOOK
from conformance.guard import Guard
from conformance.target import ConfigError, Target, make_target

# (flag, default, help). Each is also read from ONEROSTER_<FLAG>; secrets belong there.
OPTIONS: tuple[tuple[str, str | None, str], ...] = (
    ("--base-url", None, "target base URL (default: start the embedded reference server)"),
    ("--token-url", None, "OAuth2 token URL"),
    ("--client-id", None, "OAuth2 client id"),
    ("--client-secret", None, "OAuth2 client secret (prefer the environment variable)"),
    ("--token", None, "a static bearer token instead of OAuth2 (prefer the environment variable)"),
    ("--profile", "timeback", "API profile"),
    ("--fixtures", None, "fixtures TOML naming the target's students, classes, schools and lessons"),
    ("--max-examples", "20", "generated examples per operation and mode"),
    ("--seed", "0", "random seed (same seed, same requests)"),
    ("--only", "", "comma-separated requirement areas or ID prefixes to run (e.g. GB-RESULT,PP)"),
    ("--reports", "reports", "reports directory"),
    ("--connect-timeout", "5", "connect timeout, seconds"),
    ("--read-timeout", "30", "read timeout, seconds (each read; see --request-deadline)"),
    (
        "--request-deadline",
        None,
        "total seconds one request may take, connect to last byte (default: 60, or twice --read-timeout)",
    ),
    (
        "--time-budget",
        "900",
        "seconds the whole run may take; then the remaining tests are skipped and the summary says so",
    ),
)
FLAGS = ("--read-only", "--no-shrink")
FLAG_HELP = {
    "--read-only": "send GETs only (production smoke checks)",
    "--no-shrink": "report the first failing example as found (faster; longer reproductions)",
}
PYTEST_RENAMES = {"--fixtures": "--fixtures-file"}


def env_name(flag: str) -> str:
    return "ONEROSTER_" + flag.lstrip("-").replace("-", "_").upper()


def env_default(flag: str, default: str | None) -> str | None:
    return os.environ.get(env_name(flag), default)


@dataclass
class Resolved:
    target: Target
    server: Any = None  # the embedded RunningServer, when the suite started one

    def stop(self) -> None:
        if self.server is not None:
            with contextlib.suppress(Exception):
                self.server.stop()
            self.server = None


def _number(name: str, raw: str | None, kind: type[int] | type[float]) -> Any:
    try:
        value = kind(raw or 0)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    return value


def resolve(values: dict[str, Any]) -> Resolved:
    """``values`` maps option names (``base_url``…) to strings; raises ConfigError / exit-3 errors."""
    common = {
        "profile": values.get("profile") or "timeback",
        "fixtures_path": values.get("fixtures") or None,
        "connect_timeout": _number("--connect-timeout", values.get("connect_timeout"), float),
        "read_timeout": _number("--read-timeout", values.get("read_timeout"), float),
        "request_deadline": _number("--request-deadline", values.get("request_deadline"), float) or None,
        "read_only": bool(values.get("read_only")),
    }
    time_budget(values)  # a bad --time-budget is a usage error before anything starts
    if values.get("base_url"):
        target = make_target(
            base_url=values["base_url"],
            token_url=values.get("token_url"),
            client_id=values.get("client_id"),
            client_secret=values.get("client_secret"),
            token=values.get("token"),
            **common,
        )
        return Resolved(target)
    # Check everything but the URL before starting a server: a bad profile or fixtures file is a
    # configuration error (exit 2), not a server that failed to start.
    make_target(base_url="http://127.0.0.1", token="x" * 8, **common)  # a placeholder token, never sent
    from conformance.reference import embedded

    server = embedded.start(fixtures=common["fixtures_path"], profile=common["profile"])
    try:
        target = make_target(
            base_url=server.base_url,
            token_url=server.token_url,
            client_id=server.client_id,
            client_secret=server.client_secret,
            embedded=True,
            **common,
        )
    except ConfigError:
        server.stop()
        raise
    return Resolved(target, server)


def time_budget(values: dict[str, Any]) -> float:
    """--time-budget in seconds (positive); raises ConfigError."""
    budget: float = _number("--time-budget", values.get("time_budget") or "900", float)
    if budget <= 0:
        raise ConfigError(f"--time-budget must be a positive number of seconds, not {values.get('time_budget')!r}")
    return budget


def preflight(target: Target) -> None:
    """Authenticate and reach one collection; raise TargetUnreachable / AuthenticationFailed.

    Bounded like every request (connect/read timeouts, the request deadline, capped retry waiting):
    a target that hangs, resets, drips or floods is 'unreachable' here, in one line, before any test.
    Its own guard, so that nothing a stopped earlier run left behind stops this one.
    """
    client = SuiteClient(target, guard=Guard())
    try:
        client.authenticate()
        path = f"{GRADEBOOK}/categories" + ("/" if target.profile == profiles.TIMEBACK else "")
        exchange = client.send("GET", path, params={"limit": 1})
        if exchange.error and exchange.status is None:
            raise TargetUnreachable(f"{target.base_url} unreachable: GET {path} got no usable answer: {exchange.error}")
        if exchange.status == 401:
            raise AuthenticationFailed(f"{target.base_url} refused the credentials (401 on GET {path})")
    finally:
        client.close()
