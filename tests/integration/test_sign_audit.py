"""The signing audit through the real server: every attempt recorded, durably, before a reply.

Each Sign, SignStream, PrepareSignature and CompleteSignature (allowed or refused) is an entry
of a hash chain (docs/signing.md, "Signing audit"); a signature whose entry cannot be written
is refused with UNAVAILABLE and no document leaves the server.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import grpc
import pytest
import redis
from documents import decree30_pdf
from test_sign_support import RECT_SMALL, rpc_error, sign, stub

from kyso.demo.pki import free_port
from kyso.server.app import running_server
from kyso.server.tokens import add_token
from kyso.v1 import signer_pb2 as pb
from tests.access import admin_channel
from tests.integration.test_trust_support import kyso_cli, start_redis, stop_process

S = grpc.StatusCode


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def reader_token(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    d = tmp_path_factory.mktemp("tokens")
    return add_token(d / "reader-tokens", "auditor-bob"), d / "reader-tokens"


@pytest.fixture(scope="module")
def kyso_config(
    config_factory: Any, tmp_path_factory: pytest.TempPathFactory, reader_token: Any
) -> Any:
    return config_factory.make(
        tmp_path_factory.mktemp("kyso-home"),
        keys=["personal"],
        trust_store={"reader_tokens_file": reader_token[1]},
    )


def _log(ctx: Any) -> Path:
    return Path(ctx.settings.signer.audit_file(ctx.settings.home))


def _entries(ctx: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _log(ctx).read_text(encoding="utf-8").splitlines()]


def _cli_env(server: str, token: str, home: Path) -> dict[str, str]:
    return {"KYSO_SERVER": server, "KYSO_TOKEN": token, "KYSO_HOME": str(home)}


def test_sign_ok_entry_names_input_and_output(
    grpc_channel: grpc.Channel,
    kyso_context: Any,
    kyso_server: str,
    reader_token: Any,
    tmp_path: Path,
) -> None:
    document = decree30_pdf()
    resp = sign(
        grpc_channel,
        document,
        key="personal",
        level=pb.PADES_B_B,
        placement=pb.SignPlacement(rect=RECT_SMALL),
    )
    entry = _entries(kyso_context)[-1]
    assert entry["operation"] == "Sign" and entry["result"] == "OK" and entry["code"] == ""
    assert entry["key"] == "personal"
    assert (entry["profile"], entry["level"]) == ("personal", "B-B")
    assert entry["field_name"] == resp.signature.field_name
    assert entry["input_sha256"] == _sha(document)
    assert entry["output_sha256"] == _sha(resp.document)
    assert entry["actor"] == "token:kyso-test-admin"  # the client the guard admitted
    raw = _log(kyso_context).read_bytes()
    assert b"%PDF" not in raw and resp.signature.signer_subject.encode() not in raw
    # A known bearer token names the client (never the token itself): the auditor may not
    # sign, and its refused attempt is in the signing audit under its name.
    token = reader_token[0]
    code, reason = rpc_error(
        lambda: stub(grpc_channel).Sign(
            pb.SignRequest(
                document=document,
                key="personal",
                options=pb.SignOptions(
                    level=pb.PADES_B_B, placement=pb.SignPlacement(rect=RECT_SMALL)
                ),
            ),
            metadata=[("authorization", f"Bearer {token}")],
            timeout=60,
        )
    )
    assert (code, reason) == (S.PERMISSION_DENIED, "PERMISSION_DENIED")
    entry = _entries(kyso_context)[-1]
    assert (entry["actor"], entry["result"], entry["code"]) == (
        "token:auditor-bob",
        "REFUSED",
        "PERMISSION_DENIED",
    )
    assert token.encode() not in _log(kyso_context).read_bytes()
    # The auditor sees it through `kyso audit list`, filtered by key.
    env = _cli_env(kyso_server, token, tmp_path)
    listed = kyso_cli("audit", "list", "--key", "personal", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.decode().splitlines()]
    assert rows and all(r["key"] == "personal" for r in rows)
    assert any(r["output_sha256"] == _sha(resp.document) for r in rows)
    none = kyso_cli("audit", "list", "--key", "personal", "--since", "2999-01-01", env=env)
    assert none.returncode == 0 and none.stdout == b""
    bad = kyso_cli("audit", "list", "--since", "yesterday", env=env)
    assert bad.returncode != 0 and b"OPTION_INVALID" in bad.stderr
    anonymous = kyso_cli("audit", "list", env={**env, "KYSO_TOKEN": ""})
    assert anonymous.returncode != 0 and b"UNAUTHENTICATED" in anonymous.stderr


def test_refused_signatures_are_recorded_with_their_code(
    grpc_channel: grpc.Channel, kyso_context: Any
) -> None:
    document = decree30_pdf()
    code, reason = rpc_error(lambda: sign(grpc_channel, document, key="no-such-key"))
    entry = _entries(kyso_context)[-1]
    assert (entry["result"], entry["code"], entry["key"]) == ("REFUSED", reason, "no-such-key")
    assert entry["input_sha256"] == _sha(document) and entry["output_sha256"] == ""

    not_pdf = b"this is not a PDF at all"
    code, reason = rpc_error(lambda: sign(grpc_channel, not_pdf, key="personal"))
    assert code == S.INVALID_ARGUMENT
    entry = _entries(kyso_context)[-1]
    assert (entry["operation"], entry["result"], entry["code"]) == ("Sign", "REFUSED", reason)
    assert entry["input_sha256"] == _sha(not_pdf)


def test_sign_stream_is_recorded(grpc_channel: grpc.Channel, kyso_context: Any) -> None:
    document = decree30_pdf()
    header = pb.SignStreamHeader(
        key="personal",
        size=len(document),
        options=pb.SignOptions(
            profile=pb.PROFILE_PERSONAL,
            level=pb.PADES_B_B,
            placement=pb.SignPlacement(rect=RECT_SMALL),
        ),
    )
    requests = [pb.SignStreamRequest(header=header), pb.SignStreamRequest(chunk=document)]
    replies = list(stub(grpc_channel).SignStream(iter(requests), timeout=60))
    signed = b"".join(r.chunk for r in replies)
    entry = _entries(kyso_context)[-1]
    assert (entry["operation"], entry["result"], entry["key"]) == (
        "SignStream",
        "OK",
        "personal",
    )
    assert entry["input_sha256"] == _sha(document)
    assert entry["output_sha256"] == _sha(signed)
    assert entry["field_name"] == replies[0].signature.field_name


def test_two_step_prepare_and_complete_are_recorded(
    grpc_channel: grpc.Channel, kyso_context: Any, pki: Any, config_factory: Any
) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    document = decree30_pdf()
    prepared = stub(grpc_channel).PrepareSignature(
        pb.PrepareSignatureRequest(
            document=document,
            certificate=pki.cert_path("personal").read_bytes(),
            chain=[p.read_bytes() for p in pki.chain_paths("personal")],
            options=pb.SignOptions(
                level=pb.PADES_B_B,
                placement=pb.SignPlacement(rect=RECT_SMALL),
                image_png=config_factory.signature_image.read_bytes(),
            ),
        ),
        timeout=60,
    )
    key = serialization.load_pem_private_key(pki.key_path("personal").read_bytes(), None)
    signature = key.sign(  # type: ignore[union-attr,call-arg]
        prepared.signed_attributes, padding.PKCS1v15(), hashes.SHA256()
    )
    done = stub(grpc_channel).CompleteSignature(
        pb.CompleteSignatureRequest(
            id=prepared.id, signature=signature, document_sha256=prepared.document_sha256
        ),
        timeout=60,
    )
    prep, complete = _entries(kyso_context)[-2:]
    assert (prep["operation"], prep["result"]) == ("PrepareSignature", "OK")
    assert prep["input_sha256"] == _sha(document)
    assert prep["output_sha256"] == prepared.document_sha256
    assert (complete["operation"], complete["result"]) == ("CompleteSignature", "OK")
    assert complete["pending_id"] == prep["pending_id"] == prepared.id
    assert complete["input_sha256"] == prepared.document_sha256
    assert complete["output_sha256"] == _sha(done.document)
    assert complete["level"] == "B-B" and complete["field_name"] == done.signature.field_name
    # Completing it again is refused (the id is single use), and recorded.
    rpc_error(
        lambda: stub(grpc_channel).CompleteSignature(
            pb.CompleteSignatureRequest(
                id=prepared.id, signature=signature, document_sha256=prepared.document_sha256
            )
        )
    )
    again = _entries(kyso_context)[-1]
    assert (again["result"], again["code"]) == ("REFUSED", "PENDING_NOT_FOUND")


def test_verify_names_edited_deleted_and_cut_entries(
    grpc_channel: grpc.Channel,
    kyso_context: Any,
    kyso_server: str,
    reader_token: Any,
    tmp_path: Path,
) -> None:
    for _ in range(3):  # at least a few entries in the chain
        rpc_error(lambda: sign(grpc_channel, b"not a pdf", key="personal"))
    env = _cli_env(kyso_server, reader_token[0], tmp_path)
    intact = kyso_cli("audit", "verify", env=env)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert b"trust: audit chain intact" in intact.stdout
    assert b"signing: audit chain intact" in intact.stdout

    lines = _log(kyso_context).read_text(encoding="utf-8").splitlines(keepends=True)
    n = len(lines)
    assert n >= 4
    copy = tmp_path / "signing.log"

    edited = json.loads(lines[1])
    edited["output_sha256"] = "0" * 64
    copy.write_text("".join([lines[0], json.dumps(edited) + "\n", *lines[2:]]), encoding="utf-8")
    out = kyso_cli("audit", "verify", "--file", str(copy))
    assert out.returncode == 1 and b"seq 2" in out.stdout and b"altered" in out.stdout

    copy.write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")  # delete seq 2
    out = kyso_cli("audit", "verify", "--file", str(copy))
    assert out.returncode == 1 and b"seq 2..2" in out.stdout and b"missing" in out.stdout

    copy.write_text("".join(lines[:1] + lines[3:]), encoding="utf-8")  # cut seq 2..3
    out = kyso_cli("audit", "verify", "--file", str(copy))
    assert out.returncode == 1 and b"seq 2..3" in out.stdout


def test_server_verify_names_an_edited_entry(make_config: Any, tmp_path: Path) -> None:
    token = add_token(tmp_path / "reader-tokens", "auditor")
    config = make_config(
        keys=["personal"], trust_store={"reader_tokens_file": tmp_path / "reader-tokens"}
    )
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        for _ in range(3):
            rpc_error(lambda: sign(channel, b"not a pdf", key="personal"))
        log = _log(ctx)
        lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[1] = lines[1].replace('"REFUSED"', '"OK"')
        log.write_text("".join(lines), encoding="utf-8")
        out = kyso_cli(
            "audit", "verify", "--log", "signing", env=_cli_env(address, token, tmp_path)
        )
    assert out.returncode == 1
    assert b"signing: AUDIT CHAIN BROKEN" in out.stdout and b"seq 2" in out.stdout


def _stream_sign(channel: grpc.Channel, document: bytes) -> list[Any]:
    header = pb.SignStreamHeader(
        key="personal",
        size=len(document),
        options=pb.SignOptions(level=pb.PADES_B_B, placement=pb.SignPlacement(rect=RECT_SMALL)),
    )
    requests = [pb.SignStreamRequest(header=header), pb.SignStreamRequest(chunk=document)]
    received: list[Any] = []
    for reply in stub(channel).SignStream(iter(requests), timeout=60):
        received.append(reply)
    return received


def test_audit_write_failure_refuses_the_signature(make_config: Any) -> None:
    config = make_config(keys=["personal"])
    document = decree30_pdf()
    options = {"level": pb.PADES_B_B, "placement": pb.SignPlacement(rect=RECT_SMALL)}
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        sign(channel, document, key="personal", **options)  # the log exists and works
        log = _log(ctx)
        before = log.read_bytes()
        # The log can no longer be written (a directory in its place: tests run as root, for
        # whom a read-only mode is no obstacle).
        log.rename(log.with_name("signing.log.saved"))
        log.mkdir()
        try:
            code, reason = rpc_error(lambda: sign(channel, document, key="personal", **options))
            assert (code, reason) == (S.UNAVAILABLE, "AUDIT_UNAVAILABLE")
            received: list[Any] = []
            code, reason = rpc_error(lambda: received.extend(_stream_sign(channel, document)))
            assert (code, reason) == (S.UNAVAILABLE, "AUDIT_UNAVAILABLE")
            assert not any(r.chunk for r in received)  # not one byte of a signed document
        finally:
            log.rmdir()
            log.with_name("signing.log.saved").rename(log)
        assert log.read_bytes() == before
        sign(channel, document, key="personal", **options)  # writable again: signing resumes
        assert ctx.signing_audit.verify().ok


def test_redis_signing_audit(make_config: Any, redis_url: str) -> None:
    namespace = f"kyso-test-{uuid.uuid4().hex[:8]}"
    config = make_config(
        keys=["personal"], redis_url=redis_url, trust_store={"redis_namespace": namespace}
    )
    document = decree30_pdf()
    options = {"level": pb.PADES_B_B, "placement": pb.SignPlacement(rect=RECT_SMALL)}
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        signed = sign(channel, document, key="personal", **options)
        rpc_error(lambda: sign(channel, document, key="missing"))
        assert ctx.signing_audit.verify().ok
    client = redis.Redis.from_url(redis_url)
    try:
        rows = client.xrange(f"{namespace}:audit:signing")
        entries = [json.loads(fields[b"entry"]) for _, fields in rows]
        assert [(e["seq"], e["result"]) for e in entries] == [(1, "OK"), (2, "REFUSED")]
        assert entries[0]["output_sha256"] == _sha(signed.document)
        assert entries[1]["prev"] == entries[0]["hash"]
        head = json.loads(client.get(f"{namespace}:audit:signing:head"))
        assert head == {"seq": 2, "hash": entries[1]["hash"]}
        assert not client.exists(f"{namespace}:audit:stream")  # the trust chain is separate
    finally:
        client.close()


def test_redis_stopped_refuses_the_signature(make_config: Any, tmp_path: Path) -> None:
    port = free_port()
    proc = start_redis(port, tmp_path / "redis")
    try:
        config = make_config(keys=["personal"], redis_url=f"redis://127.0.0.1:{port}/0")
        document = decree30_pdf()
        options = {"level": pb.PADES_B_B, "placement": pb.SignPlacement(rect=RECT_SMALL)}
        with running_server(config) as (address, _), admin_channel(address) as channel:
            sign(channel, document, key="personal", **options)
            stop_process(proc)
            code, reason = rpc_error(lambda: sign(channel, document, key="personal", **options))
            assert (code, reason) == (S.UNAVAILABLE, "AUDIT_UNAVAILABLE")
    finally:
        stop_process(proc)
        shutil.rmtree(tmp_path / "redis", ignore_errors=True)
