"""One run of the suite: the target, its profile, the options, the guard and the ledger.

The ``run`` command builds one ``Run`` from its settings (``build``), hands it to pytest as a plugin
object, and asks it for the verdict in memory once pytest returns. Nothing about a run lives in a
module: two runs in one process (the project's own tests do this) are two objects. A pytest-xdist
worker rebuilds its ``Run`` from ``describe()``, one serialisable dictionary the controller sends it,
and sends its ledger back the same way.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from conformance import catalogue, pace, profiles, redaction, waivers
from conformance.client import AuthenticationFailed, SuiteClient, TargetUnreachable
from conformance.contract.operations import GRADEBOOK
from conformance.discovery.settle import MODES, mode_of, settle
from conformance.guard import Guard
from conformance.ledger import Ledger
from conformance.target import ConfigError, Target, make_target
from conformance.waivers import Waiver

DEFAULT_BUDGET = 900.0
ROUND_TRIPS = 4  # requests preflight times after the first


@dataclass(frozen=True)
class RunOptions:
    """How the suite runs, beyond where the target is."""

    max_examples: int = 20
    seed: int = 0
    only: str = ""
    shrink: bool = True
    time_budget: float = DEFAULT_BUDGET
    reports: str = "reports"
    workers: int = 1  # processes (pytest-xdist workers), each running its share of the tests; AUTO until ``build``
    concurrency: int = pace.AUTO  # tests run together in each process (threads: one request each in flight)
    strict: bool = False  # failed SHOULD requirements count in the verdict
    waivers: str = ""  # the waiver file (loaded by ``build``: a bad one stops the run before any test)
    verbose: bool = False  # pytest's own terminal output as well as the run's

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> RunOptions:
        """From the settings as given (strings or None); raises ConfigError with a one-line message."""
        raw_budget = values.get("time_budget")
        try:
            budget = float(raw_budget if raw_budget not in (None, "") else DEFAULT_BUDGET)
        except (TypeError, ValueError):
            raise ConfigError(f"--time-budget must be a number, not {raw_budget!r}") from None
        if budget <= 0:
            raise ConfigError(f"--time-budget must be a positive number of seconds, not {raw_budget!r}")
        return cls(
            max_examples=pace.whole("max-examples", values.get("max_examples"), 20),
            seed=pace.whole("seed", values.get("seed"), 0),
            only=str(values.get("only") or ""),
            shrink=not values.get("no_shrink"),
            time_budget=budget,
            reports=str(values.get("reports") or "reports"),
            workers=pace.workers(values.get("workers")),
            concurrency=pace.concurrency(values.get("concurrency")),
            strict=bool(values.get("strict")),
            waivers=str(values.get("waivers") or ""),
            verbose=bool(values.get("verbose")),
        )


@dataclass
class Run:
    """Everything one run of the suite knows; the controller's, or a worker's copy of it."""

    target: Target
    options: RunOptions
    run_id: str
    guard: Guard = field(default_factory=Guard)
    ledger: Ledger = field(default_factory=Ledger)
    started: float = field(default_factory=time.time)
    worker: str | None = None  # the pytest-xdist worker id; None in the controller
    server: Any = None  # the embedded reference server, when this run started one
    baseline: tuple[str, dict[str, str]] | None = None  # (path, statuses) of an earlier summary.json
    signs: Counter[str] = field(default_factory=Counter)  # signs of the other dialect in the answers
    cleanup_errors: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None  # the summary, once the run ended
    waivers: tuple[Waiver, ...] = ()  # the controller's, from options.waivers
    console: Any = None  # a rich Console on the terminal, when the run's progress is drawn there
    fixture_lines: list[str] = field(default_factory=list)  # what discovery or provisioning chose, and why
    fixture_source: str = ""  # "discover" or "provision" when no file named the fixtures
    provisioned: Any = None  # the records provisioning wrote (``Provisioned``), until they are removed
    usage_error: str | None = None  # why the run could not be judged at all (``--only`` selected nothing)
    # Who else watches: called with every exchange sent, and with every finding recorded (the Allure
    # recorder, while a run writes Allure results). Empty otherwise, so watching costs nothing.
    exchange_observers: list[Callable[[Any], None]] = field(default_factory=list)
    finding_observers: list[Callable[[Any, Any], None]] = field(default_factory=list)

    @property
    def profile(self) -> profiles.Profile:
        return profiles.get(self.target.profile)

    @property
    def reports(self) -> Path:
        return Path(self.options.reports)

    @property
    def prefix(self) -> str:
        """The prefix of every sourcedId this process writes: the run's id, then the process's."""
        return f"{self.run_id}-{self.worker or 'm'}-"

    # Across processes --------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """What a pytest-xdist worker needs to rebuild this run (secrets included: it travels over
        the workers' own channel, never argv, files or the environment)."""
        return {
            "target": {f.name: getattr(self.target, f.name) for f in fields(Target)},
            "options": asdict(self.options),
            "run_id": self.run_id,
            "guard": {"budget": self.guard.budget, "deadline": self.guard.deadline, "stop_file": _str(self.guard)},
        }

    @classmethod
    def from_description(cls, data: dict[str, Any], worker: str) -> Run:
        target = Target(**data["target"])
        redaction.register(target.client_secret)
        redaction.register(target.token)
        run = cls(target, RunOptions(**data["options"]), data["run_id"], worker=worker)
        guard = data["guard"]
        stop_file = Path(guard["stop_file"]) if guard["stop_file"] else None
        run.guard.configure(budget=guard["budget"], deadline=guard["deadline"], stop_file=stop_file)
        return run

    def worker_output(self) -> dict[str, Any]:
        """What a worker sends back when its session ends."""
        return {"ledger": self.ledger.to_dict(), "cleanup": list(self.cleanup_errors), "signs": dict(self.signs)}

    def absorb(self, output: dict[str, Any]) -> None:
        """Merge a finished worker's outcomes into this (the controller's) run."""
        self.ledger.absorb(Ledger.from_dict(output["ledger"]))
        self.cleanup_errors.extend(output.get("cleanup", ()))
        self.signs.update(output.get("signs", {}))

    @property
    def in_flight_limit(self) -> int:
        """The most requests the run's tests may have in flight: each process's threads (one process, or
        each pytest-xdist worker)."""
        return self.options.workers * self.options.concurrency

    # Lifecycle ---------------------------------------------------------------------------------
    def arm(self) -> None:
        """Start the time budget: from now on a signal stops the run gracefully."""
        stop_file = self.reports / ".stop"
        stop_file.unlink(missing_ok=True)  # left by an earlier run into the same reports directory
        self.guard.configure(
            budget=self.options.time_budget, deadline=time.time() + self.options.time_budget, stop_file=stop_file
        )

    def fixtures_summary(self) -> dict[str, Any] | None:
        """How the fixtures were settled, for summary.json (None: a file named them)."""
        if not self.fixture_source:
            return None
        lines = [redaction.redact(line) for line in self.fixture_lines]
        return {"source": self.fixture_source, "file": str(self.target.fixtures_path), "roles": lines}

    def unprovision(self) -> None:
        """Delete the records provisioning wrote (once); what could not be, joins the cleanup errors."""
        if self.provisioned is not None:
            provisioned, self.provisioned = self.provisioned, None
            self.cleanup_errors.extend(f"provisioned {line}" for line in provisioned.remove())

    def stop_server(self) -> None:
        self.unprovision()
        if self.server is not None:
            Resolved(self.target, self.server).stop()
            self.server = None


def _str(guard: Guard) -> str | None:
    return str(guard.stop_file) if guard.stop_file is not None else None


def build(values: dict[str, Any], *, guard: Guard | None = None, check: bool = True) -> Run:
    """A run from its settings: the options checked, the target resolved (the embedded reference
    server started when no ``base_url`` is given) and, with ``check``, reached and authenticated.

    Raises ``ConfigError`` (exit 2), ``ServerStartError`` (exit 2), ``TargetUnreachable`` and
    ``AuthenticationFailed`` (exit 3); an embedded server started here is stopped again on error."""
    options = RunOptions.from_values(values)
    resolved = resolve(values)
    run_id = f"oc{secrets.token_hex(3)}"
    settled = None
    try:
        waived = _waivers(options.waivers, resolved.target.profile)
        round_trip = preflight(resolved.target) if check else None
        if options.concurrency == pace.AUTO:
            options = replace(options, concurrency=pace.concurrency_for(round_trip))
        if options.workers == pace.AUTO:
            options = replace(options, workers=pace.workers_for(round_trip, pace.cores()))
        mode = mode_of(values)
        if mode is not None:
            settled = settle(
                resolved.target,
                mode,
                prefix=f"{run_id}-fx-",
                reports=Path(options.reports),
                write_to=values.get("write_fixtures") or None,
                guard=guard or Guard(),
            )
            resolved.target = settled.target
    except BaseException:
        resolved.stop()
        raise
    run = Run(resolved.target, options, run_id, server=resolved.server, waivers=waived)
    if settled is not None:
        run.fixture_lines, run.provisioned, run.fixture_source = settled.lines, settled.provisioned, settled.mode
    if guard is not None:
        run.guard = guard
    return run


def _waivers(path: str, profile: str) -> tuple[Waiver, ...]:
    if not path:
        return ()
    try:
        return waivers.load(path, catalogue.catalogue(profile))
    except waivers.WaiverError as exc:
        raise ConfigError(str(exc)) from None


# Resolving the target ---------------------------------------------------------------------------
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


def resolve(values: dict[str, Any], faults: Sequence[str] = ()) -> Resolved:
    """``values`` maps option names (``base_url``…) to strings; raises ConfigError / exit-3 errors.
    ``faults`` are switched on in the embedded reference server (``replay --fault``). A fixtures mode
    (``discover``, ``provision``) leaves the target on the packaged fixtures until ``settle``."""
    given = values.get("fixtures") or None
    common = {
        "profile": values.get("profile") or "timeback",
        "fixtures_path": None if given in MODES else given,
        "connect_timeout": _number("--connect-timeout", values.get("connect_timeout"), float),
        "read_timeout": _number("--read-timeout", values.get("read_timeout"), float),
        "request_deadline": _number("--request-deadline", values.get("request_deadline"), float) or None,
        "read_only": bool(values.get("read_only")),
    }
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
    return start_embedded(faults=faults, **common)


def start_embedded(
    *,
    profile: str = profiles.DEFAULT,
    fixtures_path: str | None = None,
    faults: Sequence[str] = (),
    connect_timeout: float = 5.0,
    read_timeout: float = 30.0,
    request_deadline: float | None = None,
    read_only: bool = False,
) -> Resolved:
    """A fresh embedded reference server with ``faults`` on, and the target that reaches it; the
    caller stops it (``Resolved.stop``). Raises ``ConfigError`` for an unknown fault, and
    ``ServerStartError`` when the server does not start."""
    from conformance.reference import embedded
    from conformance.reference.faults import UnknownFault

    try:
        server = embedded.start(fixtures=fixtures_path, profile=profile, faults=faults)
    except UnknownFault as exc:
        raise ConfigError(str(exc)) from None
    try:
        target = make_target(
            base_url=server.base_url,
            token_url=server.token_url,
            client_id=server.client_id,
            client_secret=server.client_secret,
            profile=profile,
            fixtures_path=fixtures_path,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            request_deadline=request_deadline,
            read_only=read_only,
            embedded=True,
        )
    except ConfigError:
        server.stop()
        raise
    return Resolved(target, server)


def preflight(target: Target) -> float:
    """Authenticate and reach one collection; raise TargetUnreachable / AuthenticationFailed; return
    the round trip (seconds) of a request over the open connection.

    Bounded like every request (connect/read timeouts, the request deadline, capped retry waiting):
    a target that hangs, resets, drips or floods is 'unreachable' here, in one line, before any test.
    Its own guard, so that nothing a stopped earlier run left behind stops this one.
    """
    client = SuiteClient(target, guard=Guard())
    try:
        client.authenticate()
        path = f"{GRADEBOOK}/categories" + ("/" if profiles.get(target.profile).dialect.collection_slash else "")
        exchange = client.send("GET", path, params={"limit": 1})
        if exchange.error and exchange.error.startswith("response body larger"):
            body = exchange.error.removeprefix("response ")
            raise TargetUnreachable(
                f"{target.base_url} cannot be certified: GET {path} answered with a {body}, "
                "past the suite's cap on one answer"
            )
        if exchange.error and exchange.status is None:
            raise TargetUnreachable(f"{target.base_url} unreachable: GET {path} got no usable answer: {exchange.error}")
        if exchange.status is not None and 300 <= exchange.status < 400:
            where = exchange.headers.get("location", "nowhere")
            raise TargetUnreachable(
                f"{target.base_url} redirected GET {path} ({exchange.status}) to {redaction.redact(where)}; the suite "
                "does not follow redirects with credentials: give the final URL as --base-url"
            )
        if exchange.status == 401:
            raise AuthenticationFailed(f"{target.base_url} refused the credentials (401 on GET {path})")
        # The fastest of a few more over the open connection (the first paid for it): on a busy machine
        # one request to a near server may take longer than a far one's round trip.
        again = [client.send("GET", path, params={"limit": 1}) for _ in range(ROUND_TRIPS)]
        return min([exchange.elapsed, *(e.elapsed for e in again if e.status is not None)])
    finally:
        client.close()
