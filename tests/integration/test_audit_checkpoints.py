"""Signed checkpoints of the audit chains, through the real server and `kyso audit verify`.

The server signs each chain's head every ``audit.checkpoint_every`` entries and at shutdown
(docs/security.md, "Signed checkpoints"). Editing one entry, deleting one, truncating the log
(head fixed up too) and a consistent rewrite of the whole chain are each named, for the file
backend and for the Redis stream; so are checkpoints re-signed with another key and removed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from cryptography.hazmat.primitives.asymmetric import ed25519
from documents import decree30_pdf as _document
from test_sign_support import RECT_SMALL, rpc_error, sign

from kyso.server.app import running_server
from kyso.server.tokens import add_token
from kyso.v1 import signer_pb2 as pb
from tests.access import admin_channel
from tests.integration.test_trust_support import kyso_cli
from trust_store.audit import GENESIS, canonical_json
from trust_store.checkpoints import FileKeySigner, sign_checkpoint

EVERY = 3
_B_B = {"level": pb.PADES_B_B, "placement": pb.SignPlacement(rect=RECT_SMALL)}
ENTRIES = 7  # checkpoints at seq 3 and 6 while serving, 7 at shutdown

Tamper = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def _rechain(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What someone holding the log and its head can do: a chain that is intact again."""
    prev, out = GENESIS, []
    for seq, entry in enumerate(entries, start=1):
        content = {k: v for k, v in entry.items() if k != "hash"} | {"seq": seq, "prev": prev}
        digest = hashlib.sha256(canonical_json(content).encode()).hexdigest()
        out.append({**content, "hash": digest})
        prev = digest
    return out


def _edit(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    changed = dict(entries[1])
    changed["result"] = "OK"  # seq 2 was REFUSED
    return [entries[0], changed, *entries[2:]]


def _delete(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return entries[:3] + entries[4:]  # seq 4


def _truncate(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return entries[:5]  # and the head is made to say seq 5


def _rewrite(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return _rechain(_edit(entries))  # seq 2 changed, every later hash recomputed


CASES: dict[str, tuple[Tamper, list[tuple[str, str]]]] = {
    # tamper -> the first problem's (kind, words its line must hold)
    "edit": (_edit, [("altered", "seq 2")]),
    "delete": (_delete, [("missing", "seq 4..4")]),
    "truncate": (_truncate, [("truncated", "seq 6")]),
    "rewrite": (_rewrite, [("rewritten", "seq 3")]),
}


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    d = tmp_path_factory.mktemp("tokens")
    return add_token(d / "reader-tokens", "auditor-carol"), d / "reader-tokens"


def _config(make_config: Any, reader: tuple[str, Path], **extra: Any) -> Any:
    return make_config(
        keys=["personal"],
        audit={"checkpoint_every": EVERY},
        trust_store={"reader_tokens_file": reader[1], **extra.pop("trust_store", {})},
        **extra,
    )


def _fill(config: Any) -> None:
    """ENTRIES refused attempts in the signing chain; the server stops (shutdown checkpoint)."""
    with running_server(config) as (address, _), admin_channel(address) as channel:
        for _ in range(ENTRIES):
            rpc_error(lambda: sign(channel, b"not a pdf", key="personal"))


def _verify_via_server(config: Any, reader: tuple[str, Path], home: Path) -> tuple[int, str]:
    with running_server(config) as (address, _):
        env = {"KYSO_SERVER": address, "KYSO_TOKEN": reader[0], "KYSO_HOME": str(home)}
        proc = kyso_cli("audit", "verify", "--log", "signing", env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, proc.stdout.decode()


def _first_problem(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("  position"))


# ----------------------------------------------------------------------------- file backend
class FileChain:
    def __init__(self, config: Any) -> None:
        self.log = Path(config.signer.audit_file(config.home))
        self.head = self.log.with_name(self.log.name + ".head")
        self.checkpoints = self.log.with_name(self.log.name + ".checkpoints")
        self._saved = {p: p.read_bytes() for p in (self.log, self.head, self.checkpoints)}

    def restore(self) -> None:
        for path, data in self._saved.items():
            path.write_bytes(data)

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def write(self, entries: list[dict[str, Any]]) -> None:
        self.log.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
        last = entries[-1]
        self.head.write_text(json.dumps({"seq": last["seq"], "hash": last["hash"]}))

    def checkpoint_records(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.checkpoints.read_text(encoding="utf-8").splitlines()]

    def write_checkpoints(self, records: list[str]) -> None:
        self.checkpoints.write_text("".join(r + "\n" for r in records), encoding="utf-8")


@pytest.fixture(scope="module")
def file_setup(
    config_factory: Any, tmp_path_factory: pytest.TempPathFactory, reader: tuple[str, Path]
) -> tuple[Any, FileChain]:
    home = tmp_path_factory.mktemp("kyso-home")
    config = _config(lambda **kw: config_factory.make(home, **kw), reader)
    _fill(config)
    return config, FileChain(config)


def test_checkpoints_every_n_and_at_shutdown_file(file_setup: tuple[Any, FileChain]) -> None:
    config, chain = file_setup
    records = chain.checkpoint_records()
    assert [r["seq"] for r in records] == [3, 6, 7]  # 7: written at shutdown
    entries = chain.entries()
    assert records[-1]["hash"] == entries[-1]["hash"] and records[-1]["chain"] == "signing"
    key = config.home / "audit" / "checkpoint.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert (config.home / "audit").stat().st_mode & 0o777 == 0o700
    assert b"PRIVATE" not in (config.home / "audit" / "checkpoint.pub").read_bytes()


def test_intact_and_uncovered_entries_are_reported(
    file_setup: tuple[Any, FileChain], reader: tuple[str, Path], tmp_path: Path
) -> None:
    config, chain = file_setup
    code, out = _verify_via_server(config, reader, tmp_path)
    assert code == 0, out
    assert "signing: audit chain intact: 7 entries" in out
    assert "signing: signed checkpoints: 3; entries 1..7 covered" in out
    assert "not yet covered" not in out
    chain.restore()
    # One more entry while serving: it is after the last checkpoint, and said to be.
    with running_server(config) as (address, _), admin_channel(address) as channel:
        rpc_error(lambda: sign(channel, b"not a pdf", key="personal"))
        env = {"KYSO_SERVER": address, "KYSO_TOKEN": reader[0], "KYSO_HOME": str(tmp_path)}
        proc = kyso_cli("audit", "verify", env=env)
    chain.restore()
    out = proc.stdout.decode()
    assert proc.returncode == 0, out
    assert "signing: 1 entries after the last checkpoint (seq 7) are not yet covered" in out
    assert "trust: audit chain intact: 0 entries" in out


@pytest.mark.parametrize("case", list(CASES))
def test_tampering_is_named_file(
    case: str, file_setup: tuple[Any, FileChain], reader: tuple[str, Path], tmp_path: Path
) -> None:
    config, chain = file_setup
    tamper, expected = CASES[case]
    chain.restore()
    chain.write(tamper(chain.entries()))
    try:
        code, out = _verify_via_server(config, reader, tmp_path)
    finally:
        chain.restore()
    assert code == 1, out
    assert "signing: AUDIT CHAIN BROKEN" in out
    kind, words = expected[0]
    first = _first_problem(out)
    assert f": {kind}: " in first and words in first, out


def test_rewrite_with_resigned_or_removed_checkpoints_file(
    file_setup: tuple[Any, FileChain], tmp_path: Path
) -> None:
    """Offline (`--file`, the pin beside the log): checkpoints signed by another key are
    forged; no checkpoints at all leave every entry uncovered, and say so."""
    config, chain = file_setup
    pin = config.home / "audit" / "checkpoint.pub"
    chain.restore()
    rewritten = _rewrite(chain.entries())
    chain.write(rewritten)
    other = FileKeySigner(ed25519.Ed25519PrivateKey.generate())
    forged = [sign_checkpoint(other, "signing", e["seq"], e["hash"]).to_json() for e in rewritten]
    chain.write_checkpoints(forged[2::3])
    try:
        out = kyso_cli("audit", "verify", "--file", str(chain.log))
        assert out.returncode == 1, out.stdout
        first = _first_problem(out.stdout.decode())
        assert "checkpoint_forged" in first and "not pinned" in first
        # The same with the pin given explicitly.
        out = kyso_cli("audit", "verify", "--file", str(chain.log), "--checkpoint-key", str(pin))
        assert out.returncode == 1 and b"checkpoint_forged" in out.stdout
        # Without any checkpoint the offline check cannot know one was due; it says that
        # nothing is covered (the server, which knows checkpoint_every, names it: below).
        chain.write_checkpoints([])
        out = kyso_cli("audit", "verify", "--file", str(chain.log))
        assert out.returncode == 0
        assert b"7 entries after the last checkpoint (seq 0) are not yet covered" in out.stdout
    finally:
        chain.restore()


def test_removed_checkpoints_are_named_by_the_server(
    file_setup: tuple[Any, FileChain], reader: tuple[str, Path], tmp_path: Path
) -> None:
    config, chain = file_setup
    chain.restore()
    chain.write(_rewrite(chain.entries()))
    chain.write_checkpoints([])
    try:
        code, out = _verify_via_server(config, reader, tmp_path)
    finally:
        chain.restore()
    assert code == 1 and "checkpoint_missing" in _first_problem(out), out


# ----------------------------------------------------------------------------- Redis backend
class RedisChain:
    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        self.stream = f"{namespace}:audit:signing"
        self.head = f"{self.stream}:head"
        self.checkpoints = f"{self.stream}:checkpoints"
        self._saved = (self.entries(), self.client.get(self.head), self._checkpoint_raw())

    def _checkpoint_raw(self) -> list[bytes]:
        return [f[b"checkpoint"] for _, f in self.client.xrange(self.checkpoints)]

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(f[b"entry"]) for _, f in self.client.xrange(self.stream)]

    def write(self, entries: list[dict[str, Any]]) -> None:
        self.client.delete(self.stream)
        for e in entries:
            self.client.xadd(self.stream, {"entry": canonical_json(e)})
        last = entries[-1]
        self.client.set(self.head, canonical_json({"seq": last["seq"], "hash": last["hash"]}))

    def checkpoint_records(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self._checkpoint_raw()]

    def restore(self) -> None:
        entries, head, checkpoints = self._saved
        self.write(entries)
        self.client.set(self.head, head)
        self.client.delete(self.checkpoints)
        for raw in checkpoints:
            self.client.xadd(self.checkpoints, {"checkpoint": raw})


@pytest.fixture(scope="module")
def redis_setup(
    config_factory: Any,
    tmp_path_factory: pytest.TempPathFactory,
    reader: tuple[str, Path],
    redis_url: str,
) -> Iterator[tuple[Any, RedisChain]]:
    namespace = f"kyso-test-{uuid.uuid4().hex[:8]}"
    home = tmp_path_factory.mktemp("kyso-home")
    config = _config(
        lambda **kw: config_factory.make(home, **kw),
        reader,
        redis_url=redis_url,
        trust_store={"redis_namespace": namespace},
    )
    _fill(config)
    client = redis.Redis.from_url(redis_url)
    try:
        yield config, RedisChain(client, namespace)
    finally:
        client.close()
        shutil.rmtree(home, ignore_errors=True)


def test_checkpoints_every_n_and_at_shutdown_redis(redis_setup: tuple[Any, RedisChain]) -> None:
    config, chain = redis_setup
    records = chain.checkpoint_records()
    assert [r["seq"] for r in records] == [3, 6, 7]
    assert records[-1]["hash"] == chain.entries()[-1]["hash"]
    assert not (Path(config.signer.audit_file(config.home))).exists()  # all in Redis


@pytest.mark.parametrize("case", list(CASES))
def test_tampering_is_named_redis(
    case: str, redis_setup: tuple[Any, RedisChain], reader: tuple[str, Path], tmp_path: Path
) -> None:
    config, chain = redis_setup
    tamper, expected = CASES[case]
    chain.restore()
    chain.write(tamper(chain.entries()))
    try:
        code, out = _verify_via_server(config, reader, tmp_path)
    finally:
        chain.restore()
    assert code == 1, out
    kind, words = expected[0]
    first = _first_problem(out)
    assert f": {kind}: " in first and words in first, out


def test_intact_redis_chain_is_covered(
    redis_setup: tuple[Any, RedisChain], reader: tuple[str, Path], tmp_path: Path
) -> None:
    config, chain = redis_setup
    chain.restore()
    code, out = _verify_via_server(config, reader, tmp_path)
    chain.restore()
    assert code == 0, out
    assert "signing: audit chain intact: 7 entries" in out
    assert "entries 1..7 covered" in out


# ----------------------------------------------------------------------------- the trust chain
@pytest.mark.parametrize("backend", ["file", "redis"])
def test_trust_store_chain_is_checkpointed(
    backend: str, make_config: Any, redis_url: str, tmp_path: Path
) -> None:
    from test_trust_support import call, make_certificate

    from kyso.v1 import trust_store_pb2 as tpb

    officer = add_token(tmp_path / "officer-tokens", "officer-dan")
    namespace = f"kyso-test-{uuid.uuid4().hex[:8]}"
    extra: dict[str, Any] = {"redis_url": redis_url} if backend == "redis" else {}
    config = make_config(
        keys=["personal"],
        audit={"checkpoint_every": 2},
        trust_store={
            "officer_tokens_file": tmp_path / "officer-tokens",
            "redis_namespace": namespace,
        },
        **extra,
    )
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        for n in range(3):
            pem, _, _ = make_certificate(f"Root {n} (test)")
            call(
                channel, "Add", tpb.AddTrustCertificateRequest(certificate=pem, reason="r"), officer
            )
        report = ctx.trust.verify_audit()
        assert report.ok and report.checkpoints_checked
        seq = report.head_seq
        assert report.covered_seq == seq - seq % 2 and report.uncovered == seq % 2
    if backend == "file":
        path = Path(config.trust_store.audit_file(config.home)).with_name(
            "trust-store.log.checkpoints"
        )
        records = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    else:
        client = redis.Redis.from_url(redis_url)
        rows = client.xrange(f"{namespace}:audit:checkpoints")
        client.close()
        records = [json.loads(f[b"checkpoint"]) for _, f in rows]
    assert {r["chain"] for r in records} == {"trust"}
    assert records[-1]["seq"] == seq  # the shutdown checkpoint covers the head
    assert [r["seq"] for r in records[:-1]] == list(range(2, seq + 1, 2))[: len(records) - 1]


# ----------------------------------------------------------------------------- a token's key
def _public_pem(pki: Any, label: str, path: Path) -> Path:
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import serialization

    cert = cx509.load_der_x509_certificate(pki.cert(label).dump())
    path.write_bytes(
        cert.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


@pytest.mark.parametrize(
    ("label", "algorithm"),
    [("personal-ec", "ecdsa-sha256"), ("organisation", "rsa-pkcs1v15-sha256")],
)
def test_a_checkpoint_key_on_the_token(
    label: str,
    algorithm: str,
    make_config: Any,
    pki: Any,
    softhsm_token: Any,
    tmp_path: Path,
) -> None:
    pin = _public_pem(pki, label, tmp_path / "checkpoint.pub")
    audit = {
        "checkpoint_every": 2,
        "checkpoint_pkcs11_module": softhsm_token.module,
        "checkpoint_token_label": softhsm_token.token_label,
        "checkpoint_key_label": label,
        "checkpoint_pin_env": softhsm_token.pin_env,
        "checkpoint_public_key": pin,
    }
    config = make_config(keys=["personal"], audit=audit)
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        for _ in range(3):
            rpc_error(lambda: sign(channel, b"not a pdf", key="personal"))
        sign(channel, _document(), key="personal", **_B_B)  # the token signs documents too
        report = ctx.signing_audit.verify()
        assert report.ok and report.covered_seq == 4 and report.uncovered == 0
    assert not (config.home / "audit" / "checkpoint.key").exists()  # no file key made
    log = Path(config.signer.audit_file(config.home))
    records = [
        json.loads(x) for x in log.with_name("signing.log.checkpoints").read_text().splitlines()
    ]
    assert [r["seq"] for r in records] == [2, 4] and {r["algorithm"] for r in records} == {
        algorithm
    }
    out = kyso_cli("audit", "verify", "--file", str(log), "--checkpoint-key", str(pin))
    assert out.returncode == 0 and b"entries 1..4 covered" in out.stdout, out.stdout
    entries = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    log.write_text("".join(json.dumps(e) + "\n" for e in _rewrite(entries)), encoding="utf-8")
    out = kyso_cli("audit", "verify", "--file", str(log), "--checkpoint-key", str(pin))
    assert out.returncode == 1 and b"rewritten" in out.stdout


def test_a_token_key_the_pin_does_not_name_stops_the_server(
    make_config: Any, pki: Any, softhsm_token: Any, tmp_path: Path
) -> None:
    from kyso.errors import InvalidInput

    pin = _public_pem(pki, "organisation", tmp_path / "checkpoint.pub")
    audit = {
        "checkpoint_pkcs11_module": softhsm_token.module,
        "checkpoint_token_label": softhsm_token.token_label,
        "checkpoint_key_label": "personal-ec",
        "checkpoint_pin_env": softhsm_token.pin_env,
        "checkpoint_public_key": pin,
    }
    config = make_config(keys=["personal"], audit=audit)
    with pytest.raises(InvalidInput, match="does not pin the public key of the token"):
        with running_server(config):
            pass


def test_kyso_serve_signs_the_head_when_stopped(make_config: Any, tmp_path: Path) -> None:
    """SIGTERM to a real `kyso serve`: the shutdown checkpoint covers the last entry."""
    import signal

    from test_trust_support import start_server, wait_ready

    from kyso.demo.pki import free_port

    address = f"127.0.0.1:{free_port()}"
    config = make_config(keys=["personal"], listen=address, audit={"checkpoint_every": 100})
    proc = start_server(config.home / "kyso.toml", tmp_path / "serve.log")
    try:
        wait_ready(address, proc, tmp_path / "serve.log")
        with admin_channel(address) as channel:
            for _ in range(2):
                rpc_error(lambda: sign(channel, b"not a pdf", key="personal"))
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, (tmp_path / "serve.log").read_text(errors="replace")
    log = Path(config.signer.audit_file(config.home))
    checkpoints = log.with_name("signing.log.checkpoints").read_text().splitlines()
    last = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert [(json.loads(c)["seq"], json.loads(c)["hash"]) for c in checkpoints] == [
        (2, last["hash"])
    ]
