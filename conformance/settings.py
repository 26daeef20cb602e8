"""The run's settings as the user gives them: flags, and ``ONEROSTER_<FLAG>`` environment variables.

One table serves the ``run`` command and the pytest plugin (``pytest --pyargs conformance.suite``),
so both accept the same options with the same defaults.
"""

from __future__ import annotations

import os

ENV_PREFIX = "ONEROSTER_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})

# (flag, default, help). Each is also read from ONEROSTER_<FLAG>; secrets belong there.
OPTIONS: tuple[tuple[str, str | None, str], ...] = (
    ("--base-url", None, "target base URL (default: start the embedded reference server)"),
    ("--token-url", None, "OAuth2 token URL"),
    ("--client-id", None, "OAuth2 client id"),
    ("--client-secret", None, "OAuth2 client secret (prefer the environment variable)"),
    ("--token", None, "a static bearer token instead of OAuth2 (prefer the environment variable)"),
    ("--profile", "timeback", "API profile"),
    (
        "--fixtures",
        None,
        "fixtures TOML naming the target's students, classes, schools and lessons; or 'discover' (read them "
        "from the target's rostering API: the default with --base-url) or 'provision' (create them there, "
        "deleted after the run)",
    ),
    ("--write-fixtures", None, "write the discovered or provisioned fixtures to this TOML file"),
    ("--max-examples", "20", "generated examples per operation and mode"),
    ("--seed", "0", "random seed (same seed, same requests)"),
    ("--only", "", "comma-separated requirement IDs, ID prefixes or areas to run (e.g. GB-RESULT,PP)"),
    ("--reports", "reports", "reports directory"),
    (
        "--concurrency",
        "auto",
        "tests run together in each process, each sending its own requests in order: at most this many "
        "requests in flight per process; auto: 1 when the target's round trip is under 10 ms, else 8 or more, one per "
        "8 ms of it (at most 32)",
    ),
    ("--connect-timeout", "5", "connect timeout, seconds"),
    ("--read-timeout", "30", "read timeout, seconds (each read; see --request-deadline)"),
    (
        "--request-deadline",
        None,
        "total seconds one request may take, connect to last byte (default: 60, or twice --read-timeout)",
    ),
    ("--waivers", None, "TOML file of known failures waived until a date (README: Use it in CI)"),
    (
        "--time-budget",
        "900",
        "seconds the whole run may take; then the remaining tests are skipped and the summary says so",
    ),
)
FLAGS = ("--read-only", "--no-shrink", "--strict", "--verbose")
FLAG_HELP = {
    "--verbose": "pytest's own output too (a mark per test, test ids, its summary); for debugging the suite",
    "--read-only": "send GETs only (production smoke checks)",
    "--no-shrink": "report the first failing example as found (faster; longer reproductions)",
    "--strict": "a failed SHOULD requirement fails the verdict too (exit 1), not only a failed MUST",
}
# The settings that say where a target is and how to reach it: what ``replay`` and ``consumer-flow``
# take of ``run``'s (each with the profile its own way).
TARGET_FLAGS = (
    "--base-url",
    "--token-url",
    "--client-id",
    "--client-secret",
    "--token",
    "--fixtures",
    "--connect-timeout",
    "--read-timeout",
    "--request-deadline",
)
# pytest owns --fixtures (it lists fixtures), --strict and --verbose: under pytest the suite's are renamed.
PYTEST_RENAMES = {"--fixtures": "--fixtures-file", "--strict": "--strict-should", "--verbose": "--suite-verbose"}


def dest(flag: str) -> str:
    """``--base-url`` → ``base_url``."""
    return flag.lstrip("-").replace("-", "_")


def env_name(flag: str) -> str:
    """``--base-url`` → ``ONEROSTER_BASE_URL``."""
    return ENV_PREFIX + dest(flag).upper()


def env_default(flag: str, default: str | None) -> str | None:
    return os.environ.get(env_name(flag), default)


def env_flag(flag: str) -> bool:
    """An on/off flag from its environment variable (``1``, ``true``, ``yes``, ``on``)."""
    return (os.environ.get(env_name(flag)) or "").strip().lower() in TRUE_WORDS


def names() -> list[str]:
    """Every setting's name, as a ``values`` dictionary keys them."""
    return [dest(flag) for flag, _, _ in OPTIONS] + [dest(flag) for flag in FLAGS]
