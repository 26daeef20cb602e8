"""Where the target is and how to authenticate: the run's configuration, checked up front.

Every problem is a ``ConfigError`` with a one-line message (exit 2). Secrets are registered for
redaction the moment they are read and never appear in ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from conformance import fixtures as fixtures_module
from conformance import profiles, redaction

DEFAULT_DEADLINE = 60.0


class ConfigError(ValueError):
    """A configuration problem; the message is one line."""


@dataclass(frozen=True)
class Target:
    base_url: str
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    profile: str = "timeback"
    fixtures_path: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    read_only: bool = False
    embedded: bool = False
    # Total seconds one request may take, connect to last byte (a read timeout is per read,
    # so a server dripping a byte at a time never trips it). None: DEFAULT_DEADLINE or twice the read timeout.
    request_deadline: float | None = None

    @property
    def deadline(self) -> float:
        return self.request_deadline or max(DEFAULT_DEADLINE, 2 * self.read_timeout)

    @property
    def uses_oauth(self) -> bool:
        return self.token is None

    def fixtures(self) -> fixtures_module.Fixtures:
        try:
            return fixtures_module.load(self.fixtures_path)
        except fixtures_module.FixturesError as exc:
            raise ConfigError(str(exc)) from None


def _check_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} {value!r} is not an http(s) URL")
    try:
        _ = parts.port
    except ValueError:
        raise ConfigError(f"{name} {value!r} has an invalid port") from None
    return value.rstrip("/")


def make_target(
    *,
    base_url: str,
    token_url: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    token: str | None = None,
    profile: str = "timeback",
    fixtures_path: str | None = None,
    connect_timeout: float = 5.0,
    read_timeout: float = 30.0,
    read_only: bool = False,
    embedded: bool = False,
    request_deadline: float | None = None,
) -> Target:
    """Build and check a target; raises ``ConfigError`` with a one-line message."""
    redaction.register(client_secret)
    redaction.register(token)
    if profile not in profiles.PROFILES:  # the registry as it is now: a profile may be registered late
        raise ConfigError(f"unknown profile {profile!r} (known: {', '.join(profiles.PROFILES)})")
    base = _check_url("--base-url", base_url)
    if token and (client_id or client_secret):
        raise ConfigError("give either --token or --client-id/--client-secret, not both")
    if not token:
        missing = [
            flag
            for flag, value in (
                ("--token-url", token_url),
                ("--client-id", client_id),
                ("--client-secret", client_secret),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"OAuth2 needs {', '.join(missing)} (or give a static --token)")
        token_url = _check_url("--token-url", token_url or "")
    if fixtures_path is not None and not Path(fixtures_path).is_file():
        raise ConfigError(f"fixtures file {fixtures_path} does not exist")
    if connect_timeout <= 0 or read_timeout <= 0 or (request_deadline is not None and request_deadline <= 0):
        raise ConfigError("timeouts must be positive")
    target = Target(
        base,
        token_url,
        client_id,
        client_secret,
        token,
        profile,
        fixtures_path,
        connect_timeout,
        read_timeout,
        read_only,
        embedded,
        request_deadline,
    )
    target.fixtures()  # fail now, with a one-line message, not mid-run
    return target
