"""Signed checkpoints of an audit chain, without a server (trust_store.checkpoints)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from kyso.errors import InvalidInput
from trust_store.audit import AuditDraft, FileAuditLog
from trust_store.checkpoints import (
    Checkpointer,
    FileKeySigner,
    check_checkpoints,
    generate_key,
    key_id,
    open_signer,
    sign_checkpoint,
    verify_signature,
)


def _chain(tmp_path: Path, every: int = 2) -> tuple[FileAuditLog, Checkpointer]:
    key, pub = tmp_path / "audit" / "checkpoint.key", tmp_path / "audit" / "checkpoint.pub"
    signer, pinned = open_signer(key, pub, default=True)
    log = FileAuditLog.trust(tmp_path / "audit" / "trust-store.log")
    checkpointer = Checkpointer(
        "trust", signer, log.checkpoint_store(), log.current_head, every, pinned
    )
    log.attach(checkpointer)
    return log, checkpointer


def _append(log: FileAuditLog, n: int) -> None:
    for _ in range(n):
        log.append(AuditDraft(actor="t", action="add", outcome="applied"))


@pytest.mark.parametrize(
    "key",
    [
        ed25519.Ed25519PrivateKey.generate(),
        ec.generate_private_key(ec.SECP256R1()),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    ],
)
def test_each_key_kind_signs_and_a_changed_field_breaks_the_signature(key: object) -> None:
    signer = FileKeySigner(key)  # type: ignore[arg-type]
    cp = sign_checkpoint(signer, "signing", 7, "ab" * 32)
    assert verify_signature(signer.public_key, cp)
    moved = type(cp)(**{**cp.__dict__, "seq": 8})
    assert not verify_signature(signer.public_key, moved)
    other = type(cp)(**{**cp.__dict__, "chain": "trust"})
    assert not verify_signature(signer.public_key, other)


def test_every_n_and_close_and_coverage(tmp_path: Path) -> None:
    log, checkpointer = _chain(tmp_path, every=2)
    _append(log, 5)
    records = [json.loads(r) for r in checkpointer.store.records()]
    assert [r["seq"] for r in records] == [2, 4]
    report = log.verify()
    assert report.ok and report.covered_seq == 4 and report.uncovered == 1
    checkpointer.close(log.verify)
    checkpointer.close(log.verify)  # no second checkpoint of the same head
    assert [json.loads(r)["seq"] for r in checkpointer.store.records()] == [2, 4, 5]
    assert log.verify().uncovered == 0
    key = tmp_path / "audit" / "checkpoint.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_a_broken_chain_is_not_sealed_at_shutdown(tmp_path: Path) -> None:
    log, checkpointer = _chain(tmp_path, every=10)
    _append(log, 3)
    lines = log.path.read_text().splitlines(keepends=True)
    log.path.write_text(lines[0] + lines[1].replace('"t"', '"u"') + lines[2])
    checkpointer.close(log.verify)
    assert checkpointer.store.records() == []


def test_findings(tmp_path: Path) -> None:
    log, checkpointer = _chain(tmp_path, every=2)
    _append(log, 4)
    report = log.verify()
    hashes, pinned = report.hashes, checkpointer.public_keys
    records = checkpointer.store.records()
    kinds = lambda result: [f.kind for f in result.findings]  # noqa: E731
    ok = check_checkpoints(records, chain="trust", hashes=hashes, last_seq=4, public_keys=pinned)
    assert kinds(ok) == [] and ok.covered_seq == 4
    cut = check_checkpoints(records, chain="trust", hashes=hashes, last_seq=3, public_keys=pinned)
    assert kinds(cut) == ["truncated"]
    other = {**hashes, 2: "0" * 64}
    bad = check_checkpoints(records, chain="trust", hashes=other, last_seq=4, public_keys=pinned)
    assert kinds(bad) == ["rewritten"] and bad.findings[0].seq == 2
    wrong = check_checkpoints(
        records, chain="signing", hashes=hashes, last_seq=4, public_keys=pinned
    )
    assert kinds(wrong) == ["checkpoint_forged", "checkpoint_forged"]
    none = check_checkpoints(
        [], chain="trust", hashes=hashes, last_seq=4, public_keys=pinned, every=2
    )
    assert kinds(none) == ["checkpoint_missing"]
    garbage = check_checkpoints(["{"], chain="trust", hashes=hashes, last_seq=4, public_keys=pinned)
    assert kinds(garbage) == ["checkpoint_unreadable"]
    stranger = FileKeySigner(ed25519.Ed25519PrivateKey.generate())
    forged = [sign_checkpoint(stranger, "trust", 4, hashes[4]).to_json()]
    found = check_checkpoints(forged, chain="trust", hashes=hashes, last_seq=4, public_keys=pinned)
    assert kinds(found) == ["checkpoint_forged"] and "not pinned" in found.findings[0].message


def test_keys_and_pins(tmp_path: Path) -> None:
    key, pub = tmp_path / "k" / "checkpoint.key", tmp_path / "k" / "checkpoint.pub"
    signer, pinned = open_signer(key, pub, default=True)
    assert list(pinned) == [key_id(signer.public_key)]
    key.unlink()  # a lost key is never replaced silently while its pin is there
    with pytest.raises(InvalidInput, match="pins a checkpoint key"):
        open_signer(key, pub, default=True)
    pub.unlink()
    generate_key(key, pub)
    other_pub = tmp_path / "other.pub"
    generate_key(tmp_path / "other.key", other_pub)
    with pytest.raises(InvalidInput, match="does not pin the public key"):
        open_signer(key, other_pub, default=False)
    with pytest.raises(InvalidInput, match="missing: pin"):
        open_signer(key, tmp_path / "nowhere.pub", default=False)
    both = tmp_path / "both.pub"  # an old key may stay pinned beside the new one
    both.write_bytes(other_pub.read_bytes() + pub.read_bytes())
    assert len(open_signer(key, both, default=False)[1]) == 2


def test_audit_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kyso.server.settings import load_settings

    def load(text: str) -> object:
        path = tmp_path / "kyso.toml"
        path.write_text(f'home = "{tmp_path}"\n[audit]\n{text}', encoding="utf-8")
        return load_settings(path)

    monkeypatch.setenv("KYSO_AUDIT_PIN", "123456")  # a KYSO_* variable named by the section
    config = load(
        'checkpoint_pkcs11_module = "/lib/p11.so"\ncheckpoint_key_label = "audit"\n'
        'checkpoint_public_key = "audit.pub"\ncheckpoint_pin_env = "KYSO_AUDIT_PIN"\n'
    )
    assert config.audit.read_checkpoint_pin() == "123456"  # type: ignore[attr-defined]
    assert config.audit.checkpoint_public_key == tmp_path / "audit.pub"  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="needs checkpoint_public_key"):
        load('checkpoint_pkcs11_module = "/lib/p11.so"\ncheckpoint_key_label = "audit"\n')
    with pytest.raises(InvalidInput, match="exclude each other"):
        load(
            'checkpoint_pkcs11_module = "/lib/p11.so"\ncheckpoint_key_label = "a"\n'
            'checkpoint_public_key = "a.pub"\ncheckpoint_key = "a.key"\n'
        )
    with pytest.raises(InvalidInput, match="checkpoint_every"):
        load("checkpoint_every = 0\n")
