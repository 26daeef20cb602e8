"""Throughput and run time of the suite, measured against the peers on this machine.

One invocation measures everything, each against a freshly started embedded reference server, and
prints one markdown table (also written to ``benchmarks/results.json``):

- the ceiling: a tight httpx loop (one keep-alive client, one token) replaying the request mix the
  suite's own default run sent, read back from the Allure results that run wrote;
- the suite's default run (``oneroster-conformance run``): wall time, requests, requests per
  second, peak memory of the process tree;
- ``schemathesis run`` (its CLI, on the strict OpenAPI document, a static bearer token), with a
  ``--max-examples`` calibrated so that it sends as many requests as the suite did;
- the suite with ``--workers 2``, against the default run's one worker.

Compare the ratios measured in one invocation, never absolute numbers across machines or runs.
Secrets (the client secret, the token) are never printed or written: the token reaches schemathesis
on its command line only, and its HAR report (used to count its requests) is deleted once read.

    .venv/bin/python benchmarks/bench.py [--max-examples N] [--seed N] [--skip-schemathesis]
        [--profile P] [--baseline REV] [--latency 0,50,150]

``--baseline REV`` adds the same default run from the project at an earlier git revision (run with
this environment's packages): this tree's requests and wall time must stay within 10 % of it.
``--latency`` adds the rows of ``latency.py``: the same runs against a server that far away.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import latency

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
BIN = Path(sys.executable).parent
BOGUS_TOKEN = "not-a-valid-token-0000"  # noqa: S105 - the suite's deliberately invalid token
# Headers the replay leaves to httpx (or sets itself): the recorded ones are the suite's client's.
_REPLAY_DROPS = {"host", "content-length", "accept-encoding", "connection", "user-agent", "authorization"}
_CUT = re.compile(r"\n… \(cut at \d+ characters; \d+ bytes in all\)$")
TARGETS = {
    "wall_s": 60.0,
    "vs_schemathesis": 3.0,
    "vs_ceiling": 0.5,
    "workers_speedup": 1.6,
    "baseline_requests": 1.10,
    "baseline_wall": 1.10,
}
AT_MOST = frozenset({"wall_s", "baseline_requests", "baseline_wall"})


# Measuring a process tree -------------------------------------------------------------------------
@dataclass
class Usage:
    """What a process tree used: peak resident memory (summed over the tree) and CPU seconds."""

    peak_rss_mib: float | None = None
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0


class TreeSampler(threading.Thread):
    """Samples /proc every ``interval`` seconds: the tree's summed RSS, and each process's CPU time
    (the last sample of a process that exited is its CPU time, to within one interval). The reference
    server (``conformance serve``) is counted apart from the rest (the client side)."""

    def __init__(self, roots: Sequence[int], interval: float = 0.2) -> None:
        super().__init__(daemon=True, name="tree-sampler")
        self.roots, self.interval = set(roots), interval
        self.peak = 0
        self.cpu: dict[int, float] = {}
        self.initial: dict[int, float] | None = None  # CPU already used when sampling began
        self.server: dict[int, bool] = {}
        self._halt = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._tick = os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> Usage:
        self._halt.set()
        self.join()
        self.sample()
        initial = self.initial or {}
        used = {pid: cpu - initial.get(pid, 0.0) for pid, cpu in self.cpu.items()}
        client = sum(cpu for pid, cpu in used.items() if not self.server.get(pid))
        server = sum(cpu for pid, cpu in used.items() if self.server.get(pid))
        peak = self.peak / 2**20 if self.peak else None
        return Usage(peak, client, server)

    def sample(self) -> None:
        stats: dict[int, tuple[int, int, float]] = {}  # pid → (ppid, rss bytes, cpu s)
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = raw[raw.rindex(")") + 2 :].split()
            cpu = (int(fields[11]) + int(fields[12])) / self._tick
            stats[int(entry)] = (int(fields[1]), int(fields[21]) * self._page, cpu)
        tree, frontier = set(), [pid for pid in self.roots if pid in stats]
        while frontier:
            pid = frontier.pop()
            tree.add(pid)
            frontier += [child for child, (ppid, _, _) in stats.items() if ppid == pid and child not in tree]
        self.peak = max(self.peak, sum(stats[pid][1] for pid in tree))
        if self.initial is None:
            self.initial = {pid: stats[pid][2] for pid in tree}
        for pid in tree:
            self.cpu[pid] = stats[pid][2]
            if pid not in self.server:
                self.server[pid] = _is_server(pid)


def _is_server(pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"serve" in argv and any(b"conformance" in part for part in argv)


@contextmanager
def sampled(roots: Sequence[int]) -> Iterator[TreeSampler | None]:
    if not Path("/proc/self/stat").exists():  # not Linux: no tree sampling
        yield None
        return
    sampler = TreeSampler(roots)
    sampler.start()
    try:
        yield sampler
    finally:
        if sampler.is_alive():
            sampler.stop()


@dataclass
class Row:
    name: str
    wall_s: float
    requests: int
    usage: Usage = field(default_factory=Usage)
    notes: str = ""
    # The machine's 1-minute load average when the measurement began: other work on a shared machine
    # skews every number, the ratios less than the rest.
    load: float = 0.0
    in_flight: int = 1  # the most requests the run allowed in flight (the suite's summary.json)

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0


def _env() -> dict[str, str]:
    # ONEROSTER_* variables would become the runs' options: every run here is a default run.
    return {k: v for k, v in os.environ.items() if not k.startswith("ONEROSTER_")}


def _timed(
    argv: list[str],
    log: Path,
    server: int | None = None,
    cwd: Path = ROOT,
    pythonpath: Path | None = None,
    secret: str | None = None,
) -> tuple[float, int, Usage]:
    """Run a command to its end; its wall time, exit code and the usage of its process tree (and of
    the reference server process ``server``, when it is not in that tree). Output goes to ``log``;
    ``pythonpath`` puts another tree of the project first on the path (and its server's); ``secret``
    is the target's client secret, passed in the environment only."""
    env = _env() | ({"PYTHONPATH": str(pythonpath)} if pythonpath is not None else {})
    if secret is not None:
        env["ONEROSTER_CLIENT_SECRET"] = secret
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        with sampled([process.pid] if server is None else [process.pid, server]) as sampler:
            code = process.wait()
            wall = time.perf_counter() - started
            usage = sampler.stop() if sampler is not None else Usage()
    if usage.peak_rss_mib is None:  # no /proc: the largest single process instead
        import resource

        usage.peak_rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, code, usage


def _tool(name: str) -> list[str]:
    script = BIN / name
    return [str(script)] if script.exists() else [sys.executable, "-m", name.replace("-", "_")]


# The suite ------------------------------------------------------------------------------------------
def suite_run(
    args: argparse.Namespace,
    work: Path,
    workers: int | None = None,
    source: Path | None = None,
    label: str = "",
    target: Any = None,
) -> tuple[Row, Path]:
    """The suite's default run (with ``--workers`` when given), from this checkout or, with ``source``, from another
    tree of the project (an earlier commit, run with this environment's packages); against its own
    embedded server, or against ``target`` (a running reference server) when given."""
    tag = re.sub(r"[^\w.-]+", "-", f"suite-w{workers or 'auto'}{label}")
    reports = work / tag
    command = _tool("oneroster-conformance") if source is None else [sys.executable, "-m", "conformance"]
    argv = [*command, "run", "--reports", str(reports)]
    if target is not None:
        argv += ["--base-url", target.base_url, "--token-url", target.token_url, "--client-id", target.client_id]
    if args.profile:
        argv += ["--profile", args.profile]
    if args.max_examples is not None:
        argv += ["--max-examples", str(args.max_examples)]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if args.only:
        argv += ["--only", args.only]
    if workers is not None:
        argv += ["--workers", str(workers)]
    print(f"bench: suite, {workers or 'the default'} worker(s){label} …", file=sys.stderr, flush=True)
    load = os.getloadavg()[0]
    server = target.process.pid if target is not None else None
    secret = target.client_secret if target is not None else None
    wall, code, usage = _timed(argv, work / f"{tag}.log", server, cwd=source or ROOT, pythonpath=source, secret=secret)
    summary_path = reports / "summary.json"
    if not summary_path.is_file():
        raise SystemExit(f"bench: the suite wrote no summary (exit {code}); see {work / f'{tag}.log'}")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    notes = f"exit {code}, {summary['verdict']}; in-run {summary['duration_s']:.1f} s"
    in_flight = summary.get("in_flight", {"peak": 1, "limit": 1})  # an older tree's summary may not say
    notes += f"; at most {in_flight['peak']} of {in_flight['limit']} requests in flight"
    name = "suite `run" + (f" --workers {workers}`" if workers is not None else "`")
    name += f" at {label.strip(' -')}" if label else ""
    row = Row(name, wall, int(summary["requests"]), usage, notes, load, int(in_flight["limit"]))
    return row, reports


def checkout(revision: str, work: Path) -> Path:
    """The project's tree at ``revision`` (git archive), to run the same default run from it."""
    target = work / "baseline-src"
    target.mkdir()
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"bench: no revision {revision!r}: {archive.stderr.decode(errors='replace').strip()}")
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


# The request mix, from the default run's Allure results --------------------------------------------
@dataclass
class Request:
    method: str
    target: str  # path and query
    headers: dict[str, str]
    body: bytes | None
    auth: str  # "token", "bogus" or "none"
    status: int | None  # what the suite's run got


def request_mix(allure_dir: Path) -> tuple[list[Request], int]:
    """Every exchange the run recorded as an Allure step, in the order sent; and how many bodies the
    report had cut (replayed as cut: the server answers them 400)."""
    steps: list[tuple[int, int, dict[str, Any]]] = []
    for path in sorted(allure_dir.glob("*.json")):
        if not path.name.endswith(("-result.json", "-container.json")):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        pending = [*data.get("steps", []), *data.get("befores", []), *data.get("afters", [])]
        while pending:
            step = pending.pop(0)
            pending[:0] = step.get("steps", [])
            names = {a.get("name"): a.get("source") for a in step.get("attachments", [])}
            if "request" in names and "response" in names:
                steps.append((int(step.get("start", 0)), len(steps), names))
    mix, cut = [], 0
    for _, _, names in sorted(steps, key=lambda s: (s[0], s[1])):
        request = (allure_dir / names["request"]).read_text(encoding="utf-8")
        response = (allure_dir / names["response"]).read_text(encoding="utf-8")
        head, _, body = request.partition("\n\n")
        if _CUT.search(body):
            body, cut = _CUT.sub("", body), cut + 1
        first, *header_lines = head.split("\n")
        method, _, url = first.partition(" ")
        headers = dict(line.split(": ", 1) for line in header_lines if ": " in line)
        status_line = response.split("\n", 1)[0]
        status = int(status_line.split()[1]) if status_line.startswith("HTTP ") else None
        has_auth = any(k.lower() == "authorization" for k in headers)
        auth = "none" if not has_auth else "bogus" if status == 401 else "token"
        parts = urlsplit(url)
        mix.append(
            Request(
                method,
                parts.path + (f"?{parts.query}" if parts.query else ""),
                {k: v for k, v in headers.items() if k.lower() not in _REPLAY_DROPS},
                body.encode("utf-8") if body else None,
                auth,
                status,
            )
        )
    return mix, cut


def _token(server: Any) -> str:
    answer = httpx.post(
        server.token_url,
        data={"grant_type": "client_credentials", "client_id": server.client_id, "client_secret": server.client_secret},
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def ceiling(mix: list[Request], cut: int) -> Row:
    from conformance.reference import embedded

    print(f"bench: ceiling, replaying {len(mix)} requests …", file=sys.stderr, flush=True)
    load = os.getloadavg()[0]
    with embedded.start() as server:
        token = _token(server)
        credentials = {"token": f"Bearer {token}", "bogus": f"Bearer {BOGUS_TOKEN}"}
        prepared = []
        for r in mix:
            headers = dict(r.headers)
            if r.auth in credentials:
                headers["Authorization"] = credentials[r.auth]
            prepared.append((r.method, server.base_url + r.target, headers, r.body))
        statuses: list[int] = []
        with httpx.Client(timeout=30) as client, sampled([server.process.pid]) as sampler:
            cpu = time.process_time()
            started = time.perf_counter()
            for method, url, headers, body in prepared:
                statuses.append(client.request(method, url, headers=headers, content=body).status_code)
            wall = time.perf_counter() - started
            client_cpu = time.process_time() - cpu
            usage = sampler.stop() if sampler is not None else Usage()
    usage.client_cpu_s, usage.peak_rss_mib = client_cpu, None
    same = sum(a == r.status for a, r in zip(statuses, mix, strict=True))
    notes = f"{same / len(mix):.0%} same status as in the run" + (f"; {cut} bodies cut by the report" if cut else "")
    return Row("ceiling: httpx loop replaying the run's requests", wall, len(mix), usage, notes, load)


# schemathesis ---------------------------------------------------------------------------------------
def _openapi(args: argparse.Namespace) -> Path:
    if args.openapi:
        return Path(args.openapi)
    import conformance

    return Path(conformance.__file__).resolve().parent / "contract" / "openapi" / "timeback.strict.json"


def _schemathesis_once(
    args: argparse.Namespace, work: Path, server: Any, token: str, examples: int, workers: int = 1
) -> tuple[float, int, Usage, str]:
    har = work / "schemathesis.har"
    argv = [
        *_tool("schemathesis"),
        "run",
        str(_openapi(args)),
        "--url",
        server.base_url,
        "-H",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(examples),
        "--seed",
        str(args.seed or 0),
        "--phases",
        args.schemathesis_phases,
        "--workers",
        str(workers),
        "--generation-database",
        "none",
        "--report",
        "har",
        "--report-har-path",
        str(har),
        "--no-color",
    ]
    log = work / "schemathesis.log"
    wall, _, usage = _timed(argv, log, server.process.pid, cwd=work)  # its caches stay out of the tree
    try:
        requests = len(json.loads(har.read_text(encoding="utf-8"))["log"]["entries"])
    except (OSError, ValueError, KeyError):
        raise SystemExit(f"bench: schemathesis wrote no HAR report; its exit and output: {log}") from None
    finally:
        har.unlink(missing_ok=True)  # its headers are filtered, but nothing of a run's traffic is kept
    text = log.read_text(encoding="utf-8", errors="replace")
    log.write_text(text.replace(token, "***"), encoding="utf-8")
    took = re.findall(r"in ([0-9.]+)s =+\s*$", text, flags=re.MULTILINE)
    return wall, requests, usage, f"in-run {float(took[-1]):.1f} s" if took else ""


def schemathesis_row(
    args: argparse.Namespace,
    work: Path,
    budget: int,
    *,
    workers: int = 1,
    delay_ms: int = 0,
    start: int | None = None,
    name: str = "`schemathesis run` (CLI)",
) -> tuple[Row, int]:
    """``schemathesis run`` with ``workers`` against a reference server ``delay_ms`` away, with as many
    requests as the suite sent (within 10 %). From ``start`` (a ``--max-examples`` found for one
    worker), or else two small probes fitting requests = a + b·n, each measured run that misses refits
    the line through its own count and the previous point: up to three measured runs for one worker, and
    four for several, since schemathesis's workers send fewer requests per example than one worker does
    (a share of its coverage cases fail in threads). The last run is reported, with both counts. Also the
    ``--max-examples`` it settled on."""
    from conformance.reference import embedded

    where = f" at {delay_ms} ms" if delay_ms else ""
    print(
        f"bench: schemathesis CLI{where}, {workers} worker(s), calibrating --max-examples …",
        file=sys.stderr,
        flush=True,
    )
    points: list[tuple[int, int]] = []  # (max-examples, requests)
    if args.schemathesis_max_examples:
        examples = args.schemathesis_max_examples
    elif start is not None:
        examples, points = start, [(0, 0)]  # no examples, no requests: the line's other end until a second run
    else:
        with embedded.start() as server:
            token = _token(server)
            for probe in (2, 10):
                points.append((probe, _schemathesis_once(args, work, server, token, probe)[1]))
        examples = _aim(points, budget)
    tries = 3 if workers == 1 else 4
    for attempt in range(1, tries + 1):
        print(f"bench: schemathesis CLI{where}, --max-examples {examples} …", file=sys.stderr, flush=True)
        load = os.getloadavg()[0]
        with embedded.start(latency_ms=delay_ms) as server:
            token = _token(server)
            wall, requests, usage, in_run = _schemathesis_once(args, work, server, token, examples, workers)
        print(f"bench: … {requests} requests (the suite sent {budget})", file=sys.stderr, flush=True)
        if args.schemathesis_max_examples or attempt == tries or abs(requests - budget) <= 0.1 * budget:
            break
        points.append((examples, requests))
        examples = _aim(points[-2:], budget)
    notes = f"--max-examples {examples}, --workers {workers}, --phases {args.schemathesis_phases}; {in_run}"
    return Row(name, wall, requests, usage, notes, load), examples


def _aim(points: list[tuple[int, int]], budget: int) -> int:
    """The max-examples at which the line through two (max-examples, requests) points meets ``budget``."""
    (n1, r1), (n2, r2) = points[-2], points[-1]
    slope = (r2 - r1) / (n2 - n1) if n2 != n1 else r2 / max(n2, 1)
    slope = max(slope, 1.0)
    return max(1, round(n2 + (budget - r2) / slope))


# The table ------------------------------------------------------------------------------------------
def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


def verdicts(rows: dict[str, Row]) -> dict[str, dict[str, Any]]:
    suite = rows["suite"]
    found: dict[str, dict[str, Any]] = {
        "wall_s": {"target": "default run ≤ 60 s", "value": suite.wall_s, "shown": f"{suite.wall_s:.1f} s"}
    }
    if "schemathesis" in rows:
        ratio = suite.rps / rows["schemathesis"].rps
        found["vs_schemathesis"] = {"target": "suite req/s ≥ 3× schemathesis CLI", "value": ratio}
    if "ceiling" in rows:
        ratio = suite.rps / rows["ceiling"].rps
        found["vs_ceiling"] = {"target": "suite req/s ≥ 50% of ceiling", "value": ratio, "shown": f"{ratio:.0%}"}
    if "workers" in rows:
        ratio = suite.wall_s / rows["workers"].wall_s
        found["workers_speedup"] = {"target": "2 workers ≥ 1.6× faster than 1", "value": ratio}
    if "baseline" in rows:
        base = rows["baseline"]
        found["baseline_requests"] = {
            "target": "requests ≤ 1.10× the baseline's",
            "value": suite.requests / base.requests,
        }
        found["baseline_wall"] = {"target": "wall time ≤ 1.10× the baseline's", "value": suite.wall_s / base.wall_s}
    for key, entry in found.items():
        value = entry["value"]
        entry.setdefault("shown", f"{value:.2f}×")
        entry["met"] = value <= TARGETS[key] if key in AT_MOST else value >= TARGETS[key]
    return found


def table(rows: dict[str, Row], found: dict[str, dict[str, Any]]) -> str:
    where = {
        "suite": "wall_s",
        "schemathesis": "vs_schemathesis",
        "workers": "workers_speedup",
        "baseline": "baseline_requests",
    }
    lines = [
        "| measurement | wall s | requests | req/s | peak RSS MiB | CPU s client / server | target | measured | met |",
        "|---|--:|--:|--:|--:|--:|---|--:|---|",
    ]

    def target_cells(key: str | None) -> str:
        entry = found.get(key or "")
        if entry is None:
            return " | | "
        return f"{entry['target']} | {entry['shown']} | {'yes' if entry['met'] else '**no**'}"

    for key in ("ceiling", "suite", "baseline", "schemathesis", "workers"):
        row = rows.get(key)
        if row is None:
            continue
        notes = [row.notes] if row.notes else []
        name = f"{row.name} ({'; '.join([*notes, f'load {row.load:.1f} at start'])})"
        cpu = f"{row.usage.client_cpu_s:.1f} / {row.usage.server_cpu_s:.1f}"
        lines.append(
            f"| {name} | {row.wall_s:.2f} | {row.requests:,} | {row.rps:,.0f} | {_fmt(row.usage.peak_rss_mib, 0)} "
            f"| {cpu} | {target_cells(where.get(key))} |"
        )
    if "vs_ceiling" in found:
        lines.append(f"| suite req/s against the ceiling | | | | | | {target_cells('vs_ceiling')} |")
    if "baseline_wall" in found:
        lines.append(f"| suite wall time against the baseline | | | | | | {target_cells('baseline_wall')} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--max-examples", type=int, help="passed to the suite's runs (default: the suite's own)")
    parser.add_argument("--seed", type=int, help="passed to the suite's runs and schemathesis (default 0)")
    parser.add_argument("--only", help="passed to the suite's runs (for trying the script on a small budget)")
    parser.add_argument("--skip-schemathesis", action="store_true", help="leave out the schemathesis CLI row")
    parser.add_argument("--skip-workers", action="store_true", help="leave out the --workers 2 row")
    parser.add_argument("--schemathesis-max-examples", type=int, help="skip the calibration and use this")
    parser.add_argument(
        "--schemathesis-phases",
        default="examples,coverage,fuzzing,stateful",
        help="schemathesis --phases (default: all of them, its own default)",
    )
    parser.add_argument("--openapi", help="the OpenAPI document for schemathesis (default: the strict one)")
    parser.add_argument("--json", default=str(RESULTS), help=f"where to write the results (default {RESULTS})")
    parser.add_argument("--keep", action="store_true", help="keep the runs' reports and logs (the path is printed)")
    parser.add_argument("--profile", help="the suite's runs speak this profile (default: the suite's own)")
    parser.add_argument(
        "--latency",
        type=latency.delays,
        default=[],
        metavar="MS[,MS…]",
        help="also measure against a reference server this far away, e.g. 0,50,150 (see benchmarks/latency.py)",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run the default run from the project at this git revision, just before this tree's: "
        "requests and wall time must stay within 10 %% of it",
    )
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="oneroster-bench-"))
    rows: dict[str, Row] = {}
    far: list[latency.Far] = []
    try:
        source = checkout(args.baseline, work) if args.baseline else None
        if source is not None:  # first, so that neither run gets the machine's warm caches alone
            rows["baseline"], _ = suite_run(args, work, source=source, label=f" - {args.baseline}")
        rows["suite"], reports = suite_run(args, work)
        mix, cut = request_mix(reports / "allure-results")
        rows["ceiling"] = ceiling(mix, cut)
        examples = None
        if not args.skip_schemathesis:
            rows["schemathesis"], examples = schemathesis_row(args, work, rows["suite"].requests)
        if not args.skip_workers:
            rows["workers"], _ = suite_run(args, work, workers=2)
        if args.latency:
            far = latency.measure(args, work, examples, sys.modules[__name__])
    finally:
        if args.keep:
            print(f"bench: reports and logs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    found = verdicts(rows)
    rendered = table(rows, found)
    if far:
        far_found = latency.verdicts(far)
        rendered += "\n\n" + latency.table(far, far_found)
        found |= far_found
    print(rendered)
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "versions": _versions(),
        "command": " ".join(["benchmarks/bench.py", *(argv if argv is not None else sys.argv[1:])]),
        "rows": {k: asdict(v) | {"rps": v.rps} for k, v in rows.items()},
        "far": [asdict(f.row) | {"rps": f.row.rps, "delay_ms": f.delay_ms, "floor_s": f.floor_s} for f in far],
        "targets": found,
        "table": rendered,
    }
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("oneroster-conformance", "schemathesis", "hypothesis", "httpx", "starlette", "uvicorn"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


if __name__ == "__main__":
    raise SystemExit(main())
