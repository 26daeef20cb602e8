"""A step of a consumer flow: what was sent, what came back, what the consumer expected, how long it
took, and the requirement it speaks to; and the flow as lines a terminal shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from conformance.client import Exchange

Verdict = Literal["pass", "fail", "note", "skip"]


@dataclass(frozen=True)
class Step:
    """One request of the flow and what the flow makes of its answer."""

    name: str  # the notebook's name for the step
    requirement: str | None  # the INTEROP requirement it speaks to (None: the flow needs it, nothing more)
    verdict: Verdict
    expected: str
    actual: str = ""
    exchange: Exchange | None = None
    note: str = ""  # what the consumer prefers among the answers it accepts, when it got the other one

    @property
    def latency_ms(self) -> float | None:
        return None if self.exchange is None or self.exchange.status is None else self.exchange.elapsed * 1000


WHY_CUT = 160  # characters of an error's description shown with its status


def status(exchange: Exchange) -> str:
    """The answer in a few words: its status, and for an error what the server said of it."""
    if exchange.status is None:
        return f"no answer ({exchange.error})"
    body = exchange.try_json() if exchange.status >= 400 else None
    why = body.get("imsx_description") if isinstance(body, dict) else None
    if isinstance(why, str) and why.strip():
        cut = why.strip()[:WHY_CUT] + ("…" if len(why.strip()) > WHY_CUT else "")
        return f"status {exchange.status} ({cut})"
    return f"status {exchange.status}"


def answered(name: str, requirement: str | None, exchange: Exchange, accepted: tuple[int, ...], note: str = "") -> Step:
    expected = "status " + " or ".join(map(str, accepted))
    if exchange.status in accepted:
        return Step(name, requirement, "pass", expected, status(exchange), exchange, note)
    return Step(name, requirement, "fail", expected, status(exchange), exchange)


def summary_lines(steps: list[Step]) -> list[str]:
    """One line per step: verdict, name, latency, what came back against what was expected."""
    lines = []
    for step in steps:
        latency = f"{step.latency_ms:7.1f} ms" if step.latency_ms is not None else "      — ms"
        mark = {"pass": "pass", "fail": "FAIL", "note": "note", "skip": "skip"}[step.verdict]
        detail = (
            step.actual if step.verdict in ("pass", "note") else f"expected {step.expected}; got {step.actual or '—'}"
        )
        if step.note:
            detail += f" ({step.note})"
        if step.verdict == "skip":
            detail = f"not sent: {step.expected}"
        lines.append(f"{mark}  {latency}  {step.name}: {detail}")
    return lines
