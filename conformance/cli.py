"""The ``oneroster-conformance`` command: run, replay, waivers, consumer-flow, serve, validate, report,
selftest, openapi.

Exit codes (``conformance.exits``): 0 every MUST requirement passed; 1 a MUST failed (or, for
``validate``, the payload is invalid); 2 usage or configuration error; 3 target unreachable or
authentication failed before any test ran. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from conformance import __version__, config_file
from conformance.config_file import CONFIG_FLAG, OWN_FILE, ConfigFile, ConfigFileError
from conformance.exits import Exit
from conformance.settings import TRUE_WORDS, env_name


class UsageError(Exception):
    """A configuration or usage problem: exit 2 with the message on one line."""


class EnvDefaultsParser(argparse.ArgumentParser):
    """Every ``--flag`` also reads ``ONEROSTER_FLAG`` from the environment (secrets belong there)."""

    def error(self, message: str) -> Any:  # argparse prints usage and exits 2: keep it to one line
        raise UsageError(message)


class _Settings:
    """Adds the flags that read ``ONEROSTER_FLAG`` and the configuration file, and remembers them."""

    def __init__(self, file: ConfigFile) -> None:
        self.file, self.flags = file, set[str]()

    def __call__(self, parser: argparse.ArgumentParser, flag: str, **kwargs: Any) -> None:
        """Add ``flag``; its default is the environment variable's value when set, else the file's,
        else the given default."""
        self.flags.add(flag)
        env = env_name(flag)
        on_off = kwargs.get("action") == "store_true"
        if env in os.environ:
            raw = os.environ[env]
            kwargs["default"] = raw.strip().lower() in TRUE_WORDS if on_off else raw
        elif (value := self.file.default(flag, None)) is not None:
            if on_off is not isinstance(value, bool):
                kind = "true or false" if on_off else "text or a number"
                raise ConfigFileError(f"{self.file.path}: {flag.lstrip('-')!r} must be {kind}, not {value!r}")
            kwargs["default"] = value
        kwargs.setdefault("help", "")
        kwargs["help"] = f"{kwargs['help']} [env {env}]".strip()
        parser.add_argument(flag, **kwargs)


def _validate_profile(args: argparse.Namespace) -> str:
    from conformance import profiles

    try:
        return profiles.resolve(getattr(args, "profile", None))
    except profiles.UnknownProfile as exc:
        raise UsageError(exc.args[0]) from None


def _cmd_validate(args: argparse.Namespace) -> int:
    from conformance import profiles
    from conformance.contract import schemas

    profile = _validate_profile(args)
    try:
        schemas.kind_ref(args.kind, profile=profile)
    except schemas.UnknownKind as exc:
        listing = "validate --list" + profiles.unless_default(profile, f" --profile {profile}")
        raise UsageError(f"unknown kind {args.kind!r}: {exc}; list them with '{listing}'") from None
    path = Path(args.file)
    try:
        instance = json.loads(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path} is not JSON: {exc}") from None
    found = schemas.problems(args.kind, instance, args.reading, profile)
    # The default profile's lines stay as they always were; another profile is named in them.
    reading = f"{args.reading} reading" + profiles.unless_default(profile, f", {profile} profile")
    for problem in found:
        print(f"{path}: {problem}")
    if found:
        print(f"{path}: invalid {args.kind} ({reading}): {len(found)} problem(s)")
        return Exit.FAILED
    note = ""
    if args.reading == "lenient" and schemas.has_readings(args.kind, profile):
        extra = schemas.problems(args.kind, instance, "strict", profile)
        if extra:
            note = " (the strict reading adds: " + "; ".join(str(p) for p in extra) + ")"
    print(f"{path}: valid {args.kind} ({reading}){note}")
    return Exit.OK


def _cmd_openapi(args: argparse.Namespace) -> int:
    from conformance.contract import openapi

    if args.check:
        stale = openapi.stale()
        for path in stale:
            print(f"stale: {path} (regenerate with 'oneroster-conformance openapi --write')", file=sys.stderr)
        return Exit.FAILED if stale else Exit.OK
    if args.write:
        for path in openapi.write():
            print(f"wrote {path}")
        return Exit.OK
    sys.stdout.write(openapi.render(openapi.assemble(args.reading)))
    return Exit.OK


def _list_kinds(args: argparse.Namespace) -> int:
    from conformance.contract import schemas

    profile = _validate_profile(args)
    for kind in schemas.kinds(profile):
        print(kind + ("  [lenient|strict]" if schemas.has_readings(kind, profile) else ""))
    return Exit.OK


def build_parser(file: ConfigFile | None = None) -> argparse.ArgumentParser:
    """The command line; ``file``'s settings stand where the defaults were (``config_file``)."""
    file = file or ConfigFile()
    add = _Settings(file)
    parser = EnvDefaultsParser(prog="oneroster-conformance", description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"oneroster-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=EnvDefaultsParser)

    validate = sub.add_parser("validate", help="validate one JSON payload against a schema kind")
    validate.add_argument(
        "kind", nargs="?", help="e.g. result.putRequest, lineItem.single, powerpath.makeAssignmentRequest"
    )
    validate.add_argument("file", nargs="?", help="the JSON file")
    validate.add_argument(
        "--reading",
        choices=("lenient", "strict"),
        default="lenient",
        help="lenient: what a server must accept and a response must contain; strict: what the suite sends",
    )
    add(
        validate,
        "--profile",
        default="timeback",
        help="the profile whose schemas judge the payload (timeback, 1edtech)",
    )
    validate.add_argument("--list", action="store_true", help="list the kinds (of --profile)")
    validate.set_defaults(func=_cmd_validate)

    spec = sub.add_parser("openapi", help="print, write or check the assembled OpenAPI documents")
    spec.add_argument("--reading", choices=("lenient", "strict"), default="strict")
    spec.add_argument("--write", action="store_true", help="regenerate the stored documents")
    spec.add_argument("--check", action="store_true", help="exit 1 when a stored document is stale")
    spec.set_defaults(func=_cmd_openapi)

    run = sub.add_parser("run", help="run the suite against a target (default: the embedded reference server)")
    from conformance.settings import FLAG_HELP, FLAGS, OPTIONS

    for flag, default, help_text in OPTIONS:
        add(run, flag, default=default, help=help_text)
    for flag in FLAGS:
        add(run, flag, action="store_true", default=False, help=FLAG_HELP[flag])
    add(
        run,
        "--workers",
        default="auto",
        help="processes (pytest-xdist workers), each running its share of the tests on --concurrency threads; "
        "auto: 1 when the target's round trip is under 10 ms, else one per core (at most 4)",
    )
    add(run, "--baseline", default=None, help="a previous summary.json to compare with")
    run.set_defaults(func=_lazy("conformance.runner.run_command", "run"))

    replay = sub.add_parser(
        "replay", help="send a run's failing steps again (summary.json) and say which failures still reproduce"
    )
    replay.add_argument("summary", help="the summary.json of the failing run, or the reports directory holding it")
    replay.add_argument("--requirement", default="", help="replay only this requirement's failures (an ID)")
    from conformance.runner.replay import TARGET_FLAGS

    for flag, default, help_text in OPTIONS:
        if flag in TARGET_FLAGS:  # the target as for run; the profile is the summary's
            add(replay, flag, default=default, help=help_text)
    add(replay, "--fault", default="", help="with no --base-url: faults to switch on in the embedded server")
    replay.set_defaults(func=_lazy("conformance.runner.replay", "replay_command"))

    waiving = sub.add_parser(
        "waivers", help="add a run's failures to a waiver file (update), or drop what now passes (prune)"
    )
    waiving.add_argument("action", choices=("update", "prune"))
    waiving.add_argument("summary", help="the summary.json of a run")
    add(waiving, "--waivers", default=None, help="the waiver file (created by update when missing)")
    waiving.set_defaults(func=_lazy("conformance.runner.waivers_command", "waivers_command"))

    flow = sub.add_parser(
        "consumer-flow",
        help="send Google Classroom's grade sync as its SIS conformance notebook does, and print each step",
    )
    from conformance.runner.consumer_flow_command import TARGET_FLAGS as FLOW_FLAGS

    for flag, default, help_text in OPTIONS:
        if flag in FLOW_FLAGS:
            add(flow, flag, default=default, help=help_text)
    add(flow, "--fault", default="", help="with no --base-url: faults to switch on in the embedded server")
    flow.set_defaults(func=_lazy("conformance.runner.consumer_flow_command", "consumer_flow"))

    report = sub.add_parser("report", help="write certificate.html and the Allure HTML report of a run")
    add(report, "--reports", default="reports", help="the reports directory of the run")
    report.add_argument("--open", action="store_true", help="serve the Allure report and open it in a browser")
    report.set_defaults(func=_lazy("conformance.reporting.report_command", "report"))

    selftest = sub.add_parser("selftest", help="the kill matrix: the suite against every reference-server fault")
    selftest.add_argument("--faults", default="", help="comma-separated faults (default: all, plus benign ones)")
    selftest.add_argument("--subset", choices=("all", "ci"), default="all", help="ci: the representative subset")
    add(selftest, "--profile", default="timeback", help="API profile: the suite and the server both speak it")
    add(selftest, "--max-examples", default="8", help="examples per operation and mode in each run")
    add(selftest, "--seed", default="0", help="random seed for every run")
    add(selftest, "--concurrency", default="auto", help="each run's --concurrency (tests run together)")
    selftest.add_argument("--reports", default="reports/selftest", help="where the runs and the matrix go")
    selftest.add_argument("--list", action="store_true", help="print the profile's faults as a Markdown table and exit")
    selftest.set_defaults(func=_lazy("conformance.selftest.selftest_command", "selftest"))

    serve = sub.add_parser("serve", help="run the reference server on its own")
    add(serve, "--host", default="127.0.0.1", help="loopback address to bind")
    add(serve, "--port", default="8000", help="port (0 picks a free one)")
    add(serve, "--db", default=None, help="SQLite file (default: a temporary file)")
    add(serve, "--fault", default="", help="comma-separated fault switches (see --list-faults)")
    add(serve, "--client-id", default=None, help="OAuth2 client id (default: generated)")
    add(serve, "--client-secret", default=None, help="OAuth2 client secret (default: generated and printed)")
    add(serve, "--token-lifetime", default="3600", help="access-token lifetime in seconds")
    add(serve, "--fixtures", default=None, help="fixtures TOML to seed (default: the packaged fixtures)")
    add(serve, "--profile", default="timeback", help="API profile the server speaks (timeback, 1edtech)")
    add(serve, "--latency-ms", default="0", help="wait this long before handling each request (a remote server)")
    serve.add_argument("--list-faults", action="store_true", help="list the fault switches and exit")
    serve.set_defaults(func=_lazy("conformance.reference.serve_command", "serve"))
    for command in sub.choices.values():
        command.add_argument(
            CONFIG_FLAG, metavar="FILE", help=f"settings file (default: {OWN_FILE} or pyproject.toml, found upward)"
        )
        command.set_defaults(config_file=str(file.path) if file.path else None)
    file.check_keys(add.flags)
    return parser


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A handler imported on first use, so ``validate`` does not pay for the server or the suite."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        function: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), name)
        return function(args)

    return handler


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(config_file.load(argv))
    except ConfigFileError as exc:
        print(f"oneroster-conformance: error: {exc}", file=sys.stderr)
        return Exit.USAGE
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return Exit.USAGE
        if args.command == "validate":
            if args.list:
                return _list_kinds(args)
            if not args.kind or not args.file:
                raise UsageError("validate needs KIND and FILE (see 'validate --list')")
        result: int = args.func(args)
        return result
    except UsageError as exc:
        print(f"oneroster-conformance: error: {exc}", file=sys.stderr)
        return Exit.USAGE
    except KeyboardInterrupt:
        print("oneroster-conformance: interrupted", file=sys.stderr)
        return Exit.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): what is left to print has no one to read it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return Exit.FAILED
