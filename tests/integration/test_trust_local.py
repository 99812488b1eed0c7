"""Local store: bootstrap adoption, crash leftovers, sharing, the embedded-defaults officer."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from kyso.server.app import running_server
from kyso.server.settings import Settings
from tests.integration.test_trust_support import kyso_cli, make_certificate
from tests.pki import TestPki
from trust_store import TrustRole, TrustStoreSettings, open_store
from trust_store.audit import AuditDraft, FileAuditLog


def _home_with_root(tmp_path: Path, pki: TestPki) -> Path:
    home = tmp_path / "home"
    (home / "trust").mkdir(parents=True)
    (home / "trust" / "root.pem").write_bytes(pki.root_path.read_bytes())
    return home


def test_bootstrap_directory_is_adopted_on_first_change(tmp_path: Path, pki: TestPki) -> None:
    home = _home_with_root(tmp_path, pki)
    store = open_store(TrustStoreSettings(), home)
    snap = store.snapshot()
    assert snap.version == 1 and snap.entries[0].role is TrustRole.ANCHOR
    assert not (home / "trust" / "current").exists()  # reading never writes
    pem_bytes, _, _ = make_certificate("Root mới (test)")
    store.add(pem_bytes, actor="token:alice", reason="new root")
    store.close()
    current = home / "trust" / "current"
    meta = json.loads((current / "metadata.json").read_text(encoding="utf-8"))
    assert meta["version"] == 2
    assert [e["added_by"] for e in meta["entries"]] == ["bootstrap", "token:alice"]
    for entry in meta["entries"]:  # one readable PEM per certificate
        assert (current / entry["file"]).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    again = open_store(TrustStoreSettings(), home)
    assert again.snapshot().version == 2 and len(again.snapshot().entries) == 2
    again.close()


def test_crash_leftovers_are_removed_and_an_unapplied_change_is_audited(
    tmp_path: Path, pki: TestPki
) -> None:
    home = _home_with_root(tmp_path, pki)
    store = open_store(TrustStoreSettings(), home)
    pem_bytes, _, _ = make_certificate("Root (test)")
    store.add(pem_bytes, actor="token:alice", reason="r")
    store.close()
    versions = home / "trust" / "versions"
    (versions / ".tmp-deadbeef").mkdir()
    (versions / ".tmp-deadbeef" / "half.pem").write_bytes(b"-----BEGIN CERT")
    (versions / "v00000003").mkdir()  # written, but the link was never swapped
    # The crash came after the audit entry of version 3 and before the link swap.
    FileAuditLog.trust(home / "audit" / "trust-store.log").append(
        AuditDraft(actor="token:alice", action="add", outcome="applied", version=3)
    )
    reopened = open_store(TrustStoreSettings(), home)
    assert reopened.snapshot().version == 2
    assert not (versions / ".tmp-deadbeef").exists() and not (versions / "v00000003").exists()
    last = reopened.history(limit=1)[-1]
    assert (last.action, last.outcome, last.version) == ("recovery", "not_applied", 2)
    assert reopened.verify_audit().ok
    reopened.close()


def test_processes_sharing_a_directory_follow_each_other(tmp_path: Path, pki: TestPki) -> None:
    home = _home_with_root(tmp_path, pki)
    a, b = open_store(TrustStoreSettings(), home), open_store(TrustStoreSettings(), home)
    try:
        pem_bytes, _, _ = make_certificate("Root chung (test)")
        out = a.add(pem_bytes, actor="token:alice", reason="r")
        deadline = time.monotonic() + 3
        while b.snapshot().version != out.version and time.monotonic() < deadline:
            time.sleep(0.02)
        assert b.snapshot().version == out.version
        # b plans its own change on the newest version, not on its older copy.
        other, _, _ = make_certificate("Root khác (test)")
        assert b.add(other, actor="token:bob", reason="r").version == out.version + 1
    finally:
        a.close()
        b.close()


def test_embedded_defaults_give_the_local_cli_every_role(tmp_path: Path, pki: TestPki) -> None:
    home = _home_with_root(tmp_path, pki)
    config = Settings(home=home).with_origin(embedded=True)
    with running_server(config) as (address, _ctx):
        credential = home / "auth" / "local-cli.token"
        assert stat.S_IMODE(credential.stat().st_mode) == 0o600
        assert stat.S_IMODE((home / "auth").stat().st_mode) == 0o700
        env = {"KYSO_HOME": str(home), "KYSO_SERVER": address, "KYSO_TOKEN": ""}
        added = kyso_cli(
            "trust", "add", str(pki.cert_path("other-root")), "--reason", "demo", env=env
        )
        assert added.returncode == 0, added.stderr
        history = kyso_cli("trust", "history", env=env)
        assert b"token:local-cli" in history.stdout
        audit = kyso_cli("audit", "verify", env=env)
        assert audit.returncode == 0, audit.stderr
        keys = kyso_cli("keys", env=env)
        assert keys.returncode == 0, keys.stderr
    # Only one local credential, whatever the number of starts.
    with running_server(config):
        pass
    tokens = (home / "auth" / "tokens").read_text().splitlines()
    assert len(tokens) == 1 and tokens[0].endswith(" local-cli")
    assert stat.S_IMODE((home / "auth" / "tokens").stat().st_mode) == 0o600
    assert credential.read_text().strip() not in (home / "auth" / "tokens").read_text()


def test_the_local_credential_is_not_sent_to_a_remote_server(
    tmp_path: Path, pki: TestPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    from kyso.cli.channel import bearer_token

    home = _home_with_root(tmp_path, pki)
    (home / "auth").mkdir()
    (home / "auth" / "local-cli.token").write_text("secret\n")
    monkeypatch.setenv("KYSO_HOME", str(home))
    monkeypatch.delenv("KYSO_TOKEN", raising=False)
    assert bearer_token(argparse.Namespace(server="10.1.2.3:50051", token_file=None)) is None
    assert bearer_token(argparse.Namespace(server="127.0.0.1:50051", token_file=None)) == "secret"
    # --token-file wins over KYSO_TOKEN, which wins over the local credential
    monkeypatch.setenv("KYSO_TOKEN", "from-env")
    assert bearer_token(argparse.Namespace(server="127.0.0.1:50051", token_file=None)) == "from-env"
    given = tmp_path / "given.token"
    given.write_text("from-file\n")
    ns = argparse.Namespace(server="10.1.2.3:50051", token_file=given)
    assert bearer_token(ns) == "from-file"


def test_a_follower_never_moves_readers_back(tmp_path: Path, pki: TestPki) -> None:
    home = _home_with_root(tmp_path, pki)
    store = open_store(TrustStoreSettings(), home)
    try:
        old = store.snapshot()
        pem_bytes, _, _ = make_certificate("Root mới hơn (test)")
        store.add(pem_bytes, actor="token:alice", reason="r")
        newer = store.snapshot()
        # A follower thread that read the old version just before the commit reports it late.
        store._followed(old)
        assert store.snapshot() is newer
    finally:
        store.close()


def test_token_add_without_config_reads_the_data_directorys_kyso_toml(
    tmp_path: Path, pki: TestPki
) -> None:
    """``kyso trust token add NAME`` on the server machine, without ``--config``: the clients
    of ``$KYSO_HOME/kyso.toml`` (the file ``kyso serve`` writes), as ``kyso keys enroll``;
    before, it read the embedded defaults (no [[clients]]) and refused every name."""
    from kyso.server.settings import load_settings
    from kyso.v1 import trust_store_pb2 as tpb
    from kyso.v1 import trust_store_pb2_grpc as tpb_grpc
    from tests.access import token_channel

    home = _home_with_root(tmp_path, pki)
    config = home / "kyso.toml"
    config.write_text(
        f'home = "{home}"\n[trust_store]\npath = "{home / "trust"}"\n'
        '[[clients]]\nname = "van-thu-script"\ntoken = true\nroles = ["verifier"]\n',
        encoding="utf-8",
    )
    env = {"KYSO_HOME": str(home), "KYSO_TOKEN": ""}
    added = kyso_cli("trust", "token", "add", "van-thu-script", env=env)
    assert added.returncode == 0, added.stderr
    token = added.stdout.decode().strip()
    assert " van-thu-script" in (home / "auth" / "tokens").read_text()
    with (
        running_server(load_settings(config)) as (address, _ctx),
        token_channel(address, token) as channel,
    ):
        tpb_grpc.TrustStoreStub(channel).Status(tpb.TrustStoreStatusRequest(), timeout=30)
    refused = kyso_cli("trust", "token", "add", "nobody", env=env)
    assert refused.returncode == 3 and b"OPTION_INVALID" in refused.stderr
    missing = kyso_cli("trust", "token", "add", "x", env={**env, "KYSO_HOME": str(tmp_path)})
    assert missing.returncode == 3 and b"kyso.toml does not exist" in missing.stderr
