"""The signing audit's entries in the shared chain format: sealing, reading back, tampering,
and the ``--since`` parser. In process, hand-made entries, no server."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from kyso.errors import InvalidInput, Unavailable
from signer.audit import (
    SigningAttempt,
    SigningAudit,
    SigningAuditEntry,
    SigningResult,
    seal_attempt,
)
from trust_store.audit import GENESIS, parse_since, verify_chain

SHA_IN = "a" * 64
SHA_OUT = "b" * 64


def _attempt(result: SigningResult = SigningResult.OK, **fields: str) -> SigningAttempt:
    base = {
        "actor": "token:qlvb",
        "operation": "Sign",
        "key": "ubnd-seal",
        "profile": "organisation",
        "level": "B-T",
        "input_sha256": SHA_IN,
        "output_sha256": SHA_OUT,
        "field_name": "Signature1",
    }
    return SigningAttempt(result=result, **{**base, **fields})


def _chain(n: int) -> list[SigningAuditEntry]:
    out: list[SigningAuditEntry] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        entry = seal_attempt(_attempt(key=f"k{seq}"), seq=seq, prev=prev)
        out.append(entry)
        prev = entry.hash
    return out


def test_sealed_entry_round_trips_and_chains() -> None:
    entries = _chain(3)
    lines = [e.to_json() for e in entries]
    assert [SigningAuditEntry.from_dict(json.loads(line)) for line in lines] == entries
    assert entries[0].prev == GENESIS and entries[1].prev == entries[0].hash
    assert entries[0].result == "OK" and entries[0].when().tzinfo is not None
    report = verify_chain(lines)
    assert report.ok and report.entries == 3 and report.head_seq == 3


def test_every_field_is_covered_by_the_hash() -> None:
    entries = _chain(3)
    for name in ("actor", "key", "level", "input_sha256", "output_sha256", "result", "code"):
        changed = replace(entries[1], **{name: "x"})
        lines = [entries[0].to_json(), changed.to_json(), entries[2].to_json()]
        problems = verify_chain(lines).problems
        assert [(p.seq, p.kind) for p in problems] == [(2, "altered")], name


def test_removed_middle_and_cut_tail_are_named() -> None:
    lines = [e.to_json() for e in _chain(4)]
    (missing,) = verify_chain([lines[0], lines[3]]).problems
    assert missing.kind == "missing" and "seq 2..3" in missing.message
    last = _chain(4)[-1]
    (cut,) = verify_chain(lines[:2], head=(last.seq, last.hash)).problems
    assert cut.kind == "truncated"


def test_file_log_appends_and_reads_back(tmp_path: Path) -> None:
    audit = SigningAudit.file(tmp_path / "audit" / "signing.log")
    audit.record(_attempt(key="a"))
    audit.record(_attempt(key="b", result=SigningResult.REFUSED, code="KEY_NOT_FOUND"))
    assert audit.verify().ok
    assert [e.key for e in audit.entries()] == ["a", "b"]
    assert [e.code for e in audit.entries(key="b")] == ["KEY_NOT_FOUND"]
    assert audit.entries(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    assert [e.key for e in audit.entries(newest=1)] == ["b"]


def test_unwritable_file_log_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "signing.log"
    audit = SigningAudit.file(path)
    path.mkdir()  # a directory where the log should be: no write can succeed, even as root
    with pytest.raises(Unavailable) as raised:
        audit.record(_attempt())
    assert raised.value.code == "AUDIT_UNAVAILABLE"


def test_parse_since() -> None:
    assert parse_since("") is None
    assert parse_since("2026-11-30") == datetime(2026, 11, 30, tzinfo=UTC)
    assert parse_since("2026-11-30T08:00:00+07:00") == datetime(
        2026, 11, 30, 8, tzinfo=timezone(timedelta(hours=7))
    )
    with pytest.raises(InvalidInput) as raised:
        parse_since("yesterday")
    assert raised.value.code == "OPTION_INVALID"
