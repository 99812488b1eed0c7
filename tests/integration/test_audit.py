"""The audit hash chain: changes and refusals recorded, tampering named by `kyso audit verify`."""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path

import pytest
import redis

from kyso.errors import KysoError
from tests.integration.test_trust_support import kyso_cli, make_certificate
from trust_store import TrustStoreSettings, open_store
from trust_store.audit import AuditDraft, FileAuditLog, RedisAuditLog


def _store_with_history(home: Path) -> Path:
    """A local store with five audit entries: adopt, add, refused add, add, remove."""
    trust = home / "trust"
    trust.mkdir(parents=True)
    root_pem, _, _ = make_certificate("Root gốc (test)")
    (trust / "root.pem").write_bytes(root_pem)
    store = open_store(TrustStoreSettings(), home)
    a, _, _ = make_certificate("Root A (test)")
    b, _, _ = make_certificate("Root B (test)")
    store.add(a, actor="token:alice", reason="thêm A")
    with pytest.raises(KysoError):
        store.add(a, actor="token:alice", reason="trùng")
    out = store.add(b, actor="token:alice", reason="thêm B")
    store.remove(out.added[0].sha256, actor="token:alice", reason="gỡ B", confirm_in_use=True)
    store.close()
    return home / "audit" / "trust-store.log"


def _verify(log: Path) -> tuple[int, str]:
    proc = kyso_cli("audit", "verify", "--file", str(log))
    return proc.returncode, proc.stdout.decode()


def test_every_change_and_refusal_is_chained(tmp_path: Path) -> None:
    log = _store_with_history(tmp_path)
    lines = log.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("adopt", "applied"),
        ("add", "applied"),
        ("add", "refused"),
        ("add", "applied"),
        ("remove", "applied"),
    ]
    assert entries[2]["code"] == "TRUST_CERTIFICATE_EXISTS" and entries[2]["reason"] == "trùng"
    assert all(e["prev"] == p["hash"] for p, e in itertools.pairwise(entries))
    assert entries[4]["before"] == entries[3]["after"] and len(entries[4]["after"]) == 2
    code, out = _verify(log)
    assert (code, out.splitlines()[0]) == (
        0,
        "audit chain intact: 5 entries (nhật ký kiểm toán toàn vẹn)",
    )
    assert "signed checkpoints not checked" in out  # no server, no checkpoint key here


def test_one_edited_byte_is_named(tmp_path: Path) -> None:
    log = _store_with_history(tmp_path)
    data = bytearray(log.read_bytes())
    lines = data.split(b"\n")
    target = lines[3]  # seq 4
    i = target.index(b'"actor":"token:alice"') + len(b'"actor":"token:alic')
    offset = sum(len(line) + 1 for line in lines[:3]) + i
    data[offset] = ord("f")  # one byte: "alice" -> "alicf"
    log.write_bytes(bytes(data))
    code, out = _verify(log)
    assert code == 1
    assert "seq 4" in out and "altered" in out
    assert "seq 3" not in out and "seq 5" not in out


def test_removed_entry_is_named(tmp_path: Path) -> None:
    log = _store_with_history(tmp_path)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[1]  # seq 2
    log.write_text("".join(lines), encoding="utf-8")
    code, out = _verify(log)
    assert code == 1 and "missing" in out and "seq 2..2" in out


def test_reordered_entries_are_named(tmp_path: Path) -> None:
    log = _store_with_history(tmp_path)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2], lines[3] = lines[3], lines[2]
    log.write_text("".join(lines), encoding="utf-8")
    code, out = _verify(log)
    assert code == 1 and "reordered" in out and "seq 4" in out


def test_cut_tail_is_named(tmp_path: Path) -> None:
    log = _store_with_history(tmp_path)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:-1]), encoding="utf-8")
    code, out = _verify(log)
    assert code == 1 and "truncated" in out and "seq 5" in out


def test_redis_stream_chain(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    log = RedisAuditLog.trust(client, f"kyso-test-{uuid.uuid4().hex[:8]}")
    for n in range(4):
        log.append(AuditDraft(actor="token:alice", action="add", outcome="applied", version=n + 1))
    assert log.verify().ok and log.verify().entries == 4
    # Rewrite entry 2 in the stream (delete and append it changed): altered and reordered.
    rows = client.xrange(log.stream_key)
    entry_id, fields = rows[1]
    changed = json.loads(fields[b"entry"])
    changed["actor"] = "token:mallory"
    client.xdel(log.stream_key, entry_id)
    client.xadd(log.stream_key, {"entry": json.dumps(changed)})
    report = log.verify()
    assert not report.ok
    assert any(p.seq == 2 and p.kind == "altered" for p in report.problems)
    client.close()


def test_file_log_survives_concurrent_appends(tmp_path: Path) -> None:
    import threading

    log = FileAuditLog.trust(tmp_path / "audit.log")

    def work() -> None:
        for _ in range(25):
            log.append(AuditDraft(actor="t", action="add", outcome="refused", code="X"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = log.verify()
    assert report.ok and report.entries == 100 and report.head_seq == 100


def test_configured_audit_path(tmp_path: Path) -> None:
    settings = TrustStoreSettings(audit_path=tmp_path / "elsewhere.log")
    store = open_store(settings, tmp_path)
    pem_bytes, _, _ = make_certificate("Root (test)")
    store.add(pem_bytes, actor="token:alice", reason="r")
    assert (tmp_path / "elsewhere.log").is_file()
    assert _verify(tmp_path / "elsewhere.log")[0] == 0


def test_a_crash_between_entry_and_head_or_mid_entry_keeps_the_chain(tmp_path: Path) -> None:
    log = FileAuditLog.trust(tmp_path / "audit.log")
    draft = AuditDraft(actor="t", action="add", outcome="applied")
    log.append(draft)
    lagging_head = log.head_path.read_bytes()
    log.append(draft)
    log.head_path.write_bytes(lagging_head)  # killed after the entry, before the head
    assert log.verify().ok
    assert log.append(draft).seq == 3
    with log.path.open("ab") as f:
        f.write(b'{"seq":4,"time":"2026-')  # killed in the middle of writing an entry
    assert log.append(draft).seq == 4
    report = log.verify()
    assert report.ok and report.entries == 4
    # A head that names an entry the chain does not hold is still caught.
    log.head_path.write_bytes(b'{"hash":"' + b"0" * 64 + b'","seq":2}')
    assert [p.kind for p in log.verify().problems] == ["altered"]
