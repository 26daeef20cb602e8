"""The command's exit codes, one enum for every subcommand (a pipeline reads them)."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0  # every MUST requirement passed (validate: the payload is valid)
    FAILED = 1  # a MUST requirement failed (validate: the payload is invalid)
    USAGE = 2  # a usage or configuration error, said in one line
    UNREACHABLE = 3  # the target did not answer, or refused the credentials, before any test ran
    INTERRUPTED = 130  # SIGINT or SIGTERM; what the run wrote was cleaned up first
