"""Waivers: a known failure waived until a date, reported as waived everywhere; a waiver past its
date fails the run; ``waivers update`` and ``waivers prune`` keep the file in step with runs."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conformance import catalogue, cli, profiles, waivers
from conformance.exits import Exit
from conformance.ledger import Ledger
from conformance.reference import embedded
from conformance.reporting import certificate
from conformance.suite import verdict
from conformance.waivers import Waiver, WaiverError
from tests._cli import valid_summary

KNOWN = catalogue.catalogue(profiles.TIMEBACK)
ID = "GB-CATEGORY-PUT-UPSERT"
ON = date(2026, 12, 6)


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[[waiver]]\nrequirement = "GB-NOPE"\nreason = "r"\nexpires = 2027-01-31\n', "'GB-NOPE' is no requirement"),
        (f'[[waiver]]\nrequirement = "{ID}"\nexpires = 2027-01-31\n', "a waiver needs a reason"),
        (f'[[waiver]]\nrequirement = "{ID}"\nreason = "r"\n', "a waiver needs expires"),
        (f'[[waiver]]\nrequirement = "{ID}"\nreason = "r"\nexpires = "soon"\n', "expires must be a date"),
        (f'[[waiver]]\nrequirement = "{ID}"\nreason = "r"\nexpires = 2027-01-31\nwhy = 1\n', "unknown key 'why'"),
        ('requirement = "x"\n', "unknown key 'requirement'"),
        ("[[waiver]\n", "is not valid TOML"),
    ],
)
def test_a_waiver_file_that_cannot_be_used_says_why(text: str, words: str, tmp_path: Path) -> None:
    with pytest.raises(WaiverError, match=None) as raised:
        waivers.load(_file(tmp_path, text), KNOWN)
    assert words in str(raised.value)


def _rows(*messages: str) -> list[dict[str, Any]]:
    return [{"id": ID, "status": "failed", "failures": [{"message": m} for m in messages]}]


def test_a_waiver_covers_a_failure_only_until_its_date_and_only_what_it_matches() -> None:
    forever = Waiver(ID, "TICKET-12", date(2027, 1, 31))
    rows = _rows("PUT answered 204")
    applied = waivers.apply(rows, [forever], ON)
    assert rows[0]["status"] == "waived" and rows[0]["waivers"] == [forever.to_dict()]
    assert (applied.waived, applied.expired, applied.unused) == ([forever.to_dict()], [], [])
    narrow = Waiver(ID, "TICKET-12", date(2027, 1, 31), match="204")
    rows = _rows("PUT answered 204", "PUT answered 500")
    waivers.apply(rows, [narrow], ON)
    assert rows[0]["status"] == "failed", "one failure the waiver does not match keeps the requirement failed"
    late = Waiver(ID, "TICKET-12", date(2026, 12, 5))
    rows = _rows("PUT answered 204")
    applied = waivers.apply(rows, [late], ON)
    assert rows[0]["status"] == "failed" and applied.expired == [late.to_dict()]
    other = Waiver("GB-RESULT-GET", "TICKET-13", date(2027, 1, 31))
    assert waivers.apply(_rows("x"), [other], ON).unused == [other.to_dict()]


def _verdict(tmp_path: Path, waiver: Waiver) -> dict[str, Any]:
    ledger = Ledger()
    ledger.requests = 10
    ledger.failed(ID, "PUT answered 204 — expected 201")
    info = verdict.RunInfo(
        profiles.TIMEBACK, "http://t", 0, "2026-12-06T00:00:00+00:00", 1.0,
        waiver_file=str(tmp_path / "w.toml"), waivers=(waiver,), today=ON,
    )  # fmt: skip
    return valid_summary(verdict.build(ledger, info))


def test_a_waived_failure_is_conformant_with_a_waiver_and_never_hidden(tmp_path: Path) -> None:
    summary = _verdict(tmp_path, Waiver(ID, "TICKET-12: next release", date(2027, 1, 31)))
    row = next(r for r in summary["requirements"] if r["id"] == ID)
    assert summary["verdict"] == "conformant" and summary["counts"]["waived"] == 1
    assert row["status"] == "waived" and row["failures"], "the evidence stays"
    page = certificate.render(summary)
    assert "Conformant with 1 waiver" in page and "TICKET-12: next release" in page and "2027-01-31" in page
    from conformance.reporting import summary as summary_files

    text = summary_files.markdown(summary)
    assert text.startswith("# OneRoster conformance: conformant with 1 waiver")
    assert "**Waived** until 2027-01-31: TICKET-12: next release" in text


def test_a_waiver_past_its_date_fails_the_run_and_says_which(tmp_path: Path) -> None:
    summary = _verdict(tmp_path, Waiver(ID, "TICKET-12", date(2026, 12, 1)))
    assert summary["verdict"] == "non-conformant"
    assert summary["waivers"]["expired"] == [{"requirement": ID, "reason": "TICKET-12", "expires": "2026-12-01"}]
    from conformance.runner.run_command import explain

    assert f"1 waiver(s) past their date in {tmp_path / 'w.toml'}: {ID} (until 2026-12-01)" in explain(summary)


def _main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _run(server: Any, reports: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    target = (*server.target_args(), "--client-secret", server.client_secret)
    code, _, err = _main(
        "run", *target, "--reports", str(reports), "--max-examples", "2", "--only", "GB-CATEGORY", *extra
    )
    return code, json.loads((reports / "summary.json").read_text(encoding="utf-8")), err


def test_update_waives_a_runs_failures_and_prune_drops_what_passes(tmp_path: Path) -> None:
    file = tmp_path / "waivers.toml"
    with embedded.start(faults=("put-returns-204",)) as broken:
        code, first, _ = _run(broken, tmp_path / "first")
        assert code == Exit.FAILED
        failed = sorted(r["id"] for r in first["requirements"] if r["status"] == "failed")
        assert ID in failed
        code, out, _ = _main("waivers", "update", str(tmp_path / "first" / "summary.json"), "--waivers", str(file))
        assert code == Exit.OK and f"added {ID}, until " in out
        assert sorted(w.requirement for w in waivers.load(file, KNOWN)) == failed
        code, again, err = _run(broken, tmp_path / "again", "--waivers", str(file))
    assert code == Exit.OK, err[-1500:]
    assert again["verdict"] == "conformant" and again["counts"]["waived"] == len(failed)
    assert f"conformant with {len(failed)} waiver" in err
    with embedded.start() as fixed:
        code, clean, _ = _run(fixed, tmp_path / "clean", "--waivers", str(file))
    assert code == Exit.OK and clean["waivers"]["unused"]
    code, out, _ = _main("waivers", "prune", str(tmp_path / "clean" / "summary.json"), "--waivers", str(file))
    assert code == Exit.OK and f"dropped {ID}: it passed" in out
    assert ID not in {w.requirement for w in waivers.load(file, KNOWN)}


def test_a_bad_waiver_file_stops_the_run_before_any_test(tmp_path: Path) -> None:
    bad = _file(tmp_path, '[[waiver]]\nrequirement = "GB-NOPE"\nreason = "r"\nexpires = 2027-01-31\n')
    with embedded.start() as server:
        code, _, err = _main("run", *server.target_args(), "--client-secret", server.client_secret,
                             "--reports", str(tmp_path / "r"), "--waivers", str(bad))  # fmt: skip
    assert code == Exit.USAGE and err.strip().splitlines()[-1].startswith("oneroster-conformance: error: waiver file")
    assert not (tmp_path / "r" / "summary.json").exists()
