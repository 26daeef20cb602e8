"""The kill matrix: run the suite against the reference server, each fault and each benign
variation, and record what it reported. Every run is ``--strict``, so that a failed SHOULD counts.

A harmful fault is *killed* when the run is non-conformant, every requirement its expectation
names is among those failed, and the failure replays: the first failure of an expected requirement,
its steps sent again as summary.json holds them (``runner.replay``), fails again on a fresh
reference server with the fault, and does not on a fresh plain one — a vendor handed that
reproduction sees the bug, and sees it gone once fixed. A benign variation, or the plain reference
server, must give a conformant run — or, for a variation that a real client trips over (its
``should``), a run that fails exactly those SHOULD requirements and no MUST. Each run is a separate
``oneroster-conformance run`` process against a separate reference server, so runs cannot leak state
into one another.

A matrix is one profile's: the suite and the server both speak it, and only the faults that apply
to it are run, with that profile's expectations. Both come from the fault data
(``conformance/reference/faults.toml``), which also says which faults each profile's CI subset runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance import catalogue, profiles
from conformance.reference import embedded
from conformance.reference.faults import ALL, registry
from conformance.runner import replay
from conformance.selftest.coverage import coverage

BASELINE = "(none)"  # the reference server with no fault switched on
RUN_TIMEOUT = 600.0
# Fault categories whose failures cannot be expected to replay, with the reason: their replay is still
# tried and shown in the matrix, but a fault of them is killed without it. None today: a category goes
# here only with a reason a vendor could check.
NOT_REPLAYABLE: dict[str, str] = {}


def not_replayable(fault: str) -> str:
    """Why ``fault``'s failure cannot be expected to replay; "" when it must."""
    known = ALL.get(fault)
    return NOT_REPLAYABLE.get(known.category, "") if known is not None else ""


@dataclass(frozen=True)
class Expectation:
    fault: str
    harmful: bool
    expect: tuple[str, ...] = ()
    ci: bool = False
    should: tuple[str, ...] = ()  # a benign fault's SHOULD failures: what real clients trip over


def expectations(profile: str = profiles.TIMEBACK) -> dict[str, Expectation]:
    """One per fault of ``profile`` (harmful with its expected IDs; benign with none) plus the baseline."""
    profile = profiles.resolve(profile)
    found = {BASELINE: Expectation(BASELINE, harmful=False, ci=True)}
    for name, fault in registry(profile).items():
        found[name] = Expectation(
            name, fault.harmful, fault.expect(profile), fault.in_ci(profile), fault.should(profile)
        )
    return found


def unknown_requirements(profile: str = profiles.TIMEBACK) -> list[str]:
    """``fault: ID`` for every expected ID that is not a MUST or SHOULD of ``profile``'s catalogue, and
    every ``should`` ID that is not a SHOULD of it."""
    requirements = catalogue.catalogue(profile)

    def level(rid: str) -> str:
        return requirements[rid].level if rid in requirements else ""

    found = [
        f"{e.fault}: {rid}"
        for e in expectations(profile).values()
        for rid in e.expect
        if level(rid) not in ("MUST", "SHOULD")
    ]
    return found + [
        f"{e.fault}: {rid}" for e in expectations(profile).values() for rid in e.should if level(rid) != "SHOULD"
    ]


@dataclass
class Row:
    fault: str
    harmful: bool
    expected: list[str]
    verdict: str
    exit_code: int
    reported: list[str] = field(default_factory=list)
    should: list[str] = field(default_factory=list)  # a benign fault's expected SHOULD failures
    must_failed: bool = False
    requests: int = 0
    first_failure_request: int | None = None
    seconds: float = 0.0
    error: str = ""
    # The first failure of an expected requirement, replayed: on a fresh server with the fault (it must
    # fail again) and on a fresh plain one (it must not). None: not replayed.
    reproduces: bool | None = None
    plain_passes: bool | None = None
    replay_note: str = ""  # which failure was replayed, or why it was not, or why it did not hold
    replay_exempt: str = ""  # why this fault's failure cannot be expected to replay (``not_replayable``)

    @property
    def caught(self) -> bool:
        return self.verdict == "non-conformant" and self.exit_code == 1 and set(self.expected) <= set(self.reported)

    @property
    def replays(self) -> bool:
        return bool(self.reproduces and self.plain_passes) or bool(self.replay_exempt)

    @property
    def ok(self) -> bool:
        if not self.harmful and self.should:  # conformant, but for exactly the SHOULDs it names (--strict)
            return self.exit_code == 1 and not self.must_failed and set(self.reported) == set(self.should)
        if not self.harmful:
            return self.verdict == "conformant" and self.exit_code == 0
        return self.caught and self.replays

    @property
    def outcome(self) -> str:
        if self.error and not self.verdict:
            return "ERROR"  # nothing was judged: neither killed nor passed
        if not self.harmful and self.should:
            return "passed, failing only the SHOULDs it names" if self.ok else "FALSE FAILURE"
        if not self.harmful:
            return "passed (no false failure)" if self.ok else "FALSE FAILURE"
        if not self.caught:
            return "killed, but not by the expected requirement" if self.reported else "SURVIVED"
        if self.replay_exempt and not (self.reproduces and self.plain_passes):
            return f"killed (its failure is not expected to replay: {self.replay_exempt})"
        if not self.reproduces:
            return "killed, but its failure does not reproduce"
        return "killed" if self.plain_passes else "killed, but its failure reproduces on the plain server too"

    @property
    def replay_text(self) -> str:
        """The replay, in a few words (the matrix's column)."""
        if not self.harmful or (self.reproduces is None and not self.replay_note):
            return "—"
        if self.reproduces and self.plain_passes:
            return f"reproduces, not on the plain server ({self.replay_note})"
        return self.replay_note or "not replayed"


def run_dir(reports: Path, fault: str, profile: str = profiles.TIMEBACK) -> Path:
    """Where one run's reports go: ``<reports>/<fault>``, under ``<reports>/<profile>/`` for another profile."""
    name = "baseline" if fault == BASELINE else fault
    tag = profiles.get(profile).file_tag
    return reports / tag / name if tag else reports / name


def run_one(
    expectation: Expectation,
    reports: Path,
    *,
    max_examples: int,
    seed: int,
    profile: str = profiles.TIMEBACK,
    concurrency: str = "auto",
) -> Row:
    """One run of the suite against a server with ``expectation``'s fault on. A server that does not
    start, or a run that ends without its summary, is an error row (judged neither killed nor passed)
    rather than the end of the whole matrix."""
    faults = () if expectation.fault == BASELINE else (expectation.fault,)
    out = run_dir(reports, expectation.fault, profile)
    row = Row(expectation.fault, expectation.harmful, list(expectation.expect), "", -1, should=list(expectation.should))
    summary_path = out / "summary.json"
    # A summary left by an earlier selftest into the same reports would be read as this run's.
    summary_path.unlink(missing_ok=True)
    started = time.monotonic()
    try:
        with embedded.start(faults=faults, profile=profile) as server:
            row.exit_code, row.error = _run_suite(server, out, max_examples, seed, concurrency)
    except embedded.ServerStartError as exc:
        row.error = str(exc)[:300]
    row.seconds = round(time.monotonic() - started, 1)
    if summary_path.is_file():
        summary: dict[str, Any] = json.loads(summary_path.read_text(encoding="utf-8"))
        row.verdict = summary["verdict"]
        row.requests = summary["requests"]
        failed = [r for r in summary["requirements"] if r["status"] == "failed"]
        row.reported = sorted(r["id"] for r in failed)
        row.must_failed = any(r["level"] == "MUST" for r in failed)
        firsts = [r["first_failure_request"] for r in failed if r.get("first_failure_request") is not None]
        row.first_failure_request = min(firsts) if firsts else None
        # A suite that could not collect or run its tests fails a run without failing a requirement:
        # say why, or the row would read as a plain survivor or false failure.
        if summary.get("errors") and not row.error:
            row.error = str(summary["errors"][0])[:300]
        if row.harmful and row.caught:
            row.replay_exempt = not_replayable(expectation.fault)
            replay_first(row, summary, expectation, profile)
    elif not row.error:
        row.error = f"the run (exit {row.exit_code}) wrote no summary.json"
    return row


def replay_first(row: Row, summary: dict[str, Any], expectation: Expectation, profile: str) -> None:
    """Replay the first failure of the first expected requirement that has one with steps: on a fresh
    server with the fault, then on a fresh plain server; the outcome goes on ``row``."""
    chosen = None
    for requirement in expectation.expect:
        try:
            found = replay.failures(summary, requirement)
        except replay.ReplayError as exc:
            row.replay_note = str(exc)
            continue
        if found:
            chosen = found[0]
            break
    if chosen is None:
        row.reproduces = False
        row.replay_note = row.replay_note or "no failure of an expected requirement carries steps"
        return
    steps = len(chosen.data["steps"])
    what = f"{chosen.data.get('requirement')}, {steps} step{'s' if steps != 1 else ''}"
    try:
        with_fault = replay.replay_on_reference(chosen.data, profile, (expectation.fault,))
        row.reproduces = with_fault.reproduces
        if not with_fault.reproduces:
            row.replay_note = f"{what}: with the fault, {with_fault.reason}"
            return
        plain = replay.replay_on_reference(chosen.data, profile)
    except embedded.ServerStartError as exc:
        row.reproduces, row.replay_note = False, f"{what}: {exc}"[:300]
        return
    row.plain_passes = not plain.reproduces and plain.replayed
    if row.plain_passes:
        row.replay_note = what
    elif plain.reproduces:
        row.replay_note = f"{what}: it fails on the plain server too"
    else:
        row.replay_note = f"{what}: on the plain server it cannot be replayed: {plain.reason}"


def _run_suite(
    server: embedded.RunningServer, out: Path, max_examples: int, seed: int, concurrency: str = "auto"
) -> tuple[int, str]:
    """``oneroster-conformance run`` against ``server``, in a process of its own: its exit code, and
    the last line it wrote to stderr when it did not end with a verdict (0 or 1)."""
    argv = [sys.executable, "-m", "conformance", "run", *server.target_args(), "--reports", str(out)]
    argv += ["--concurrency", concurrency]
    # --strict: a fault made for a consumer expectation (SHOULD) is killed by its failure alone.
    argv += ["--max-examples", str(max_examples), "--seed", str(seed), "--no-shrink", "--strict"]
    try:
        done = subprocess.run(
            argv, env=server.environment(), capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return -1, f"run exceeded {RUN_TIMEOUT:.0f} s"
    if done.returncode in (0, 1) and (out / "summary.json").is_file():
        return done.returncode, ""
    return done.returncode, (done.stderr.strip().splitlines() or ["no output"])[-1][:300]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def markdown(rows: list[Row], profile: str = profiles.TIMEBACK) -> str:
    harmful = [r for r in rows if r.harmful]
    benign = [r for r in rows if not r.harmful]
    killed = sum(r.ok for r in harmful)
    lines = [
        f"# Fault matrix ({profile} profile)",
        "",
        f"- Harmful faults killed: {killed}/{len(harmful)} (killed: caught by the expected requirement, and its "
        "first failure, replayed from summary.json, fails on a fresh server with the fault and not on a plain one)",
        f"- Replays that hold: {sum(bool(r.reproduces and r.plain_passes) for r in harmful)}/{len(harmful)}"
        + (
            f" ({sum(bool(r.replay_exempt) for r in harmful)} not expected to: see the outcome)"
            if any(r.replay_exempt for r in harmful)
            else ""
        ),
        f"- Benign variations (and the plain reference server) passed: {sum(r.ok for r in benign)}/{len(benign)}",
        "- " + _capital(coverage(profile).line(killed=[r.fault for r in harmful if r.ok])),
        "",
        "| fault | harmful | outcome | expected | reported by | replay of its first failure "
        "| requests to first failure | requests | s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| `{r.fault}` | {'yes' if r.harmful else 'no'} | {r.outcome}{' — ' + r.error if r.error else ''} | "
            f"{', '.join(r.expected or r.should) or '—'} | {', '.join(r.reported) or '—'} | {_cell(r.replay_text)} | "
            f"{r.first_failure_request if r.first_failure_request is not None else '—'} | {r.requests} | "
            f"{r.seconds} |"
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """``text`` as one Markdown table cell: a ``|`` would split it, a ``<word>`` would vanish as HTML."""
    return text.replace("|", "\\|").replace("<", "\\<")


def fault_table(profile: str = profiles.TIMEBACK) -> str:
    """What ``selftest --list`` prints: ``profile``'s faults as a Markdown table, from the fault data."""
    profile = profiles.resolve(profile)
    lines = [
        "| fault | kind | category | profiles | expected failure | CI | what it does |",
        "|---|---|---|---|---|---|---|",
    ]
    for fault in registry(profile).values():
        expected = ", ".join(fault.expect(profile)) if fault.harmful else "none: a conformant run"
        if fault.should(profile):
            expected = "SHOULD only: " + ", ".join(fault.should(profile))
        lines.append(
            f"| `{fault.name}` | {'harmful' if fault.harmful else 'benign'} | {fault.category} | "
            f"{', '.join(fault.profiles)} | {expected} | {'yes' if fault.in_ci(profile) else ''} | "
            f"{_cell(fault.describe(profile))} |"
        )
    return "\n".join(lines) + "\n"


def matrix_name(profile: str = profiles.TIMEBACK) -> str:
    """``kill-matrix`` for the first profile, ``kill-matrix-<profile>`` for another (add .md / .json)."""
    tag = profiles.get(profile).file_tag
    return f"kill-matrix-{tag}" if tag else "kill-matrix"


def write(rows: list[Row], reports: Path, profile: str = profiles.TIMEBACK) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    data = [asdict(r) | {"ok": r.ok, "outcome": r.outcome, "profile": profile, "replay": r.replay_text} for r in rows]
    name = matrix_name(profile)
    (reports / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (reports / f"{name}.md").write_text(markdown(rows, profile), encoding="utf-8")
