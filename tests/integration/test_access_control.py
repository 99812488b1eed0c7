"""Identities, roles and per-key permissions through the real server (issue 8 item 2).

An mTLS server whose ``[[clients]]`` map certificates (by subject or SAN) to roles and keys;
the tests' plaintext server with bearer tokens; the ``kyso`` CLI's one-line refusals. Client
certificates are made here with ``cryptography``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from documents import decree30_pdf
from grpc_health.v1 import health_pb2, health_pb2_grpc
from test_sign_support import RECT_SMALL, rpc_error

from kyso.cli.channel import EXIT_ERROR
from kyso.server.app import running_server
from kyso.server.auth import AccessInterceptor
from kyso.server.status import error_info
from kyso.server.tokens import add_token
from kyso.v1 import signer_pb2 as spb
from kyso.v1 import signer_pb2_grpc as spb_grpc
from kyso.v1 import trust_store_pb2 as tpb
from kyso.v1 import trust_store_pb2_grpc as tpb_grpc
from kyso.v1 import verifier_pb2 as vpb
from kyso.v1 import verifier_pb2_grpc as vpb_grpc
from tests.access import bearer, token_channel

S = grpc.StatusCode
_NOW = dt.datetime.now(dt.UTC)


@dataclass
class _Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert_path: Path | None = None
    key_path: Path | None = None

    def write(self, directory: Path, stem: str) -> _Issued:
        self.cert_path, self.key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.key_path.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.key_path.chmod(0o600)  # kyso refuses to start on a key others may read
        return self


def _issue(
    attributes: list[tuple[Any, str]],
    issuer: _Issued | None = None,
    *,
    kind: str = "client",
    san: str | None = None,
) -> _Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.cert.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - dt.timedelta(minutes=5))
        .not_valid_after(_NOW + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=kind == "ca", path_length=None), critical=True)
    )
    if kind == "server":
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    elif kind == "client":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False
            )
    return _Issued(builder.sign(issuer.key if issuer else key, hashes.SHA256()), key)


def _subject(cn: str) -> list[tuple[Any, str]]:
    # certificate order O, CN: RFC 4514 "CN=...,O=So Noi vu", as the issue's config writes it
    return [(NameOID.ORGANIZATION_NAME, "So Noi vu"), (NameOID.COMMON_NAME, cn)]


@dataclass
class _Pki:
    ca: Path
    server: _Issued
    signer: _Issued  # CN=qlvb-phat-hanh: signer, key "personal" only
    verifier: _Issued  # CN=qlvb-tiep-nhan: verifier
    auditor: _Issued  # by SAN dns:kiem-toan.example.vn
    officer: _Issued  # subject written in the certificate's order, different case
    unknown: _Issued  # from the client CA, named by no [[clients]] table
    stranger: _Issued  # the signer's subject, from another CA


@pytest.fixture(scope="module")
def client_pki(tmp_path_factory: pytest.TempPathFactory) -> _Pki:
    d = tmp_path_factory.mktemp("access-pki")
    ca = _issue([(NameOID.COMMON_NAME, "So Noi vu client CA")], kind="ca")
    (d / "ca.pem").write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    other = _issue([(NameOID.COMMON_NAME, "another CA")], kind="ca")
    return _Pki(
        ca=d / "ca.pem",
        server=_issue([(NameOID.COMMON_NAME, "kyso")], ca, kind="server").write(d, "server"),
        signer=_issue(_subject("qlvb-phat-hanh"), ca).write(d, "signer"),
        verifier=_issue(_subject("qlvb-tiep-nhan"), ca).write(d, "verifier"),
        auditor=_issue(_subject("kiem-toan"), ca, san="kiem-toan.example.vn").write(d, "auditor"),
        officer=_issue(_subject("can-bo-an-ninh"), ca).write(d, "officer"),
        unknown=_issue(_subject("ai-do"), ca).write(d, "unknown"),
        stranger=_issue(_subject("qlvb-phat-hanh"), other).write(d, "stranger"),
    )


CLIENTS = [
    {
        "name": "qlvb-phat-hanh",
        "subject": "CN=qlvb-phat-hanh,O=So Noi vu",
        "roles": ["signer"],
        "keys": ["personal"],
    },
    {"name": "qlvb-tiep-nhan", "subject": "CN=qlvb-tiep-nhan,O=So Noi vu", "roles": ["verifier"]},
    {"name": "kiem-toan", "san": "dns:Kiem-Toan.example.vn", "roles": ["auditor"]},
    # the certificate's order and other case/spacing: the same name, normalised
    {
        "name": "an-ninh",
        "subject": "o=SO NOI  VU, cn=Can-Bo-An-Ninh",
        "roles": ["security_officer"],
    },
    {"name": "tiep-nhan-token", "token": True, "roles": ["verifier"]},
]


@pytest.fixture(scope="module")
def mtls(
    config_factory: Any, client_pki: _Pki, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any]]:
    assert client_pki.server.cert_path and client_pki.server.key_path
    settings = config_factory.make(
        tmp_path_factory.mktemp("kyso-mtls"),
        keys=[
            config_factory.key_table("personal"),
            config_factory.key_table("organisation", profiles=["organisation"]),
        ],
        clients=CLIENTS,
        tls={
            "certificate": client_pki.server.cert_path,
            "private_key": client_pki.server.key_path,
            "client_ca": client_pki.ca,
        },
    )
    with running_server(settings) as (address, ctx):
        yield address, ctx


def _channel(address: str, pki: _Pki, who: _Issued | None) -> grpc.Channel:
    creds = grpc.ssl_channel_credentials(
        root_certificates=pki.ca.read_bytes(),
        private_key=who.key_path.read_bytes() if who and who.key_path else None,
        certificate_chain=who.cert_path.read_bytes() if who and who.cert_path else None,
    )
    return grpc.secure_channel(address, creds)


def _sign_request(key: str) -> spb.SignRequest:
    return spb.SignRequest(
        document=decree30_pdf(),
        key=key,
        options=spb.SignOptions(
            profile=spb.PROFILE_PERSONAL if key == "personal" else spb.PROFILE_ORGANISATION,
            level=spb.PADES_B_B,
            placement=spb.SignPlacement(rect=RECT_SMALL),
        ),
    )


def _denied(call: Any) -> tuple[S, str, str]:
    """(status, kyso code, message) of a call that must fail."""
    try:
        call()
    except grpc.RpcError as err:
        return err.code(), error_info(err)[0], err.details() or ""
    raise AssertionError("the call was not refused")


def _signing_entries(ctx: Any) -> list[dict[str, Any]]:
    path = Path(ctx.settings.signer.audit_file(ctx.settings.home))
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- authentication ------------------------------------------------------------------------


def test_no_credential_is_unauthenticated_on_every_guarded_service(kyso_server: str) -> None:
    with grpc.insecure_channel(kyso_server) as ch:
        calls = [
            lambda: spb_grpc.SignerStub(ch).Sign(_sign_request("personal"), timeout=30),
            lambda: spb_grpc.SignerStub(ch).ListKeys(spb.ListKeysRequest(), timeout=30),
            lambda: vpb_grpc.VerifierStub(ch).Verify(
                vpb.VerifyRequest(document=decree30_pdf()), timeout=30
            ),
            lambda: tpb_grpc.TrustStoreStub(ch).List(
                tpb.ListTrustCertificatesRequest(), timeout=30
            ),
        ]
        for call in calls:
            status, code, message = _denied(call)
            assert (status, code) == (S.UNAUTHENTICATED, "UNAUTHENTICATED"), message
        # a token nobody issued is no credential either
        with token_channel(kyso_server, "not-a-token") as forged:
            status, code, _ = _denied(
                lambda: spb_grpc.SignerStub(forged).ListKeys(spb.ListKeysRequest(), timeout=30)
            )
            assert status == S.UNAUTHENTICATED
        # health and reflection stay open
        health = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert health.status == health_pb2.HealthCheckResponse.SERVING


def test_tls_without_a_client_certificate_is_unauthenticated(
    config_factory: Any, client_pki: _Pki, tmp_path: Path
) -> None:
    """[tls] with allow_token_only: the handshake passes, the call needs a credential."""
    settings = config_factory.make(
        tmp_path / "home",
        keys=[],
        tls={
            "certificate": client_pki.server.cert_path,
            "private_key": client_pki.server.key_path,
            "allow_token_only": True,
        },
    )
    with running_server(settings) as (address, _ctx), _channel(address, client_pki, None) as ch:
        status, code, _ = _denied(
            lambda: tpb_grpc.TrustStoreStub(ch).Status(tpb.TrustStoreStatusRequest(), timeout=30)
        )
        assert (status, code) == (S.UNAUTHENTICATED, "UNAUTHENTICATED")


def test_mtls_without_a_certificate_or_from_another_ca_fails_the_handshake(
    mtls: tuple[str, Any], client_pki: _Pki
) -> None:
    for who in (None, client_pki.stranger):
        with _channel(mtls[0], client_pki, who) as ch:
            status, _, _ = _denied(
                lambda ch=ch: spb_grpc.SignerStub(ch).ListKeys(spb.ListKeysRequest(), timeout=10)
            )
            assert status == S.UNAVAILABLE


# -- roles and keys --------------------------------------------------------------------------


def test_a_verifier_calling_sign_is_denied_naming_signer_and_audited(
    mtls: tuple[str, Any], client_pki: _Pki
) -> None:
    address, ctx = mtls
    with _channel(address, client_pki, client_pki.verifier) as ch:
        status, code, message = _denied(
            lambda: spb_grpc.SignerStub(ch).Sign(_sign_request("organisation"), timeout=30)
        )
        assert (status, code) == (S.PERMISSION_DENIED, "PERMISSION_DENIED")
        assert "cert:qlvb-tiep-nhan may not call Signer.Sign (role required: signer)" in message
        entry = _signing_entries(ctx)[-1]
        assert (entry["actor"], entry["operation"], entry["result"], entry["code"]) == (
            "cert:qlvb-tiep-nhan",
            "Sign",
            "REFUSED",
            "PERMISSION_DENIED",
        )
        assert entry["key"] == "organisation" and len(entry["input_sha256"]) == 64
        # what a verifier may do: Verify
        report = vpb_grpc.VerifierStub(ch).Verify(
            vpb.VerifyRequest(document=decree30_pdf()), timeout=60
        )
        assert report is not None


def test_a_signer_with_a_key_not_in_its_list_is_denied_naming_the_key(
    mtls: tuple[str, Any], client_pki: _Pki, assert_pdfsig_ok: Any
) -> None:
    address, ctx = mtls
    with _channel(address, client_pki, client_pki.signer) as ch:
        stub = spb_grpc.SignerStub(ch)
        status, code, message = _denied(
            lambda: stub.Sign(_sign_request("organisation"), timeout=30)
        )
        assert (status, code) == (S.PERMISSION_DENIED, "KEY_NOT_PERMITTED")
        assert "may not sign with key organisation" in message
        entry = _signing_entries(ctx)[-1]
        assert (entry["actor"], entry["key"], entry["code"]) == (
            "cert:qlvb-phat-hanh",
            "organisation",
            "KEY_NOT_PERMITTED",
        )
        # the stream's header names the key: refused before the body is read
        header = spb.SignStreamRequest(header=spb.SignStreamHeader(key="organisation"))
        chunks = [header, spb.SignStreamRequest(chunk=decree30_pdf())]
        status, code = rpc_error(lambda: list(stub.SignStream(iter(chunks), timeout=30)))
        assert (status, code) == (S.PERMISSION_DENIED, "KEY_NOT_PERMITTED")
        assert _signing_entries(ctx)[-1]["operation"] == "SignStream"
        # its own key signs, and the signature is in the audit under its name
        signed = stub.Sign(_sign_request("personal"), timeout=60)
        assert_pdfsig_ok(signed.document, expected_signatures=1)
        entry = _signing_entries(ctx)[-1]
        assert (entry["actor"], entry["result"], entry["key"]) == (
            "cert:qlvb-phat-hanh",
            "OK",
            "personal",
        )
        # but not read the audits or change the trust store
        status, code, message = _denied(
            lambda: tpb_grpc.TrustStoreStub(ch).ListAudit(tpb.ListAuditRequest(), timeout=30)
        )
        assert status == S.PERMISSION_DENIED and "role required: auditor" in message


def test_list_keys_shows_only_the_allowed_keys(
    mtls: tuple[str, Any], client_pki: _Pki, kyso_server: str, grpc_channel: grpc.Channel
) -> None:
    with _channel(mtls[0], client_pki, client_pki.signer) as ch:
        listed = spb_grpc.SignerStub(ch).ListKeys(spb.ListKeysRequest(), timeout=30)
    assert [k.name for k in listed.keys] == ["personal"]
    # the tests' admin client lists every key of its server
    every = spb_grpc.SignerStub(grpc_channel).ListKeys(spb.ListKeysRequest(), timeout=30)
    assert {"personal", "organisation"} <= {k.name for k in every.keys}


def test_san_and_normalised_subject_identify_auditor_and_officer(
    mtls: tuple[str, Any], client_pki: _Pki
) -> None:
    address, ctx = mtls
    with _channel(address, client_pki, client_pki.auditor) as ch:
        trust = tpb_grpc.TrustStoreStub(ch)
        audit = trust.ListAudit(tpb.ListAuditRequest(log="signing"), timeout=30)
        assert audit.signing_entries
        assert trust.Status(tpb.TrustStoreStatusRequest(), timeout=30).identity == "kiem-toan"
        add = tpb.AddTrustCertificateRequest(
            certificate=client_pki.ca.read_bytes(), reason="not an officer"
        )
        status, _, message = _denied(lambda: trust.Add(add, timeout=30))
        assert status == S.PERMISSION_DENIED and "role required: security_officer" in message
    with _channel(address, client_pki, client_pki.officer) as ch:
        status_msg = tpb_grpc.TrustStoreStub(ch).Status(tpb.TrustStoreStatusRequest(), timeout=30)
        assert (status_msg.identity, status_msg.role) == ("an-ninh", "security_officer")
        # the officer may not read the audits (separation of duties), only the change history
        tpb_grpc.TrustStoreStub(ch).History(tpb.TrustHistoryRequest(limit=1), timeout=30)
        status, _, message = _denied(
            lambda: tpb_grpc.TrustStoreStub(ch).VerifyAudit(tpb.VerifyAuditRequest(), timeout=30)
        )
        assert status == S.PERMISSION_DENIED and "role required: auditor" in message
    # the auditor's refused change is in the trust audit, under its name
    refused = [e for e in ctx.trust.history(limit=50) if e.outcome == "refused"]
    assert any(e.actor == "cert:kiem-toan" and e.code == "PERMISSION_DENIED" for e in refused)


def test_a_certificate_of_the_ca_naming_no_client_has_no_role(
    mtls: tuple[str, Any], client_pki: _Pki
) -> None:
    address, ctx = mtls
    serial = f"{client_pki.unknown.cert.serial_number:X}"
    with _channel(address, client_pki, client_pki.unknown) as ch:
        status, code, message = _denied(
            lambda: spb_grpc.SignerStub(ch).Sign(_sign_request("organisation"), timeout=30)
        )
    assert (status, code) == (S.PERMISSION_DENIED, "PERMISSION_DENIED")
    assert f"cert:serial:{serial}" in message
    assert _signing_entries(ctx)[-1]["actor"] == f"cert:serial:{serial}"


def test_an_unknown_method_is_denied(kyso_server: str, grpc_channel: grpc.Channel) -> None:
    bogus = grpc_channel.unary_unary("/kyso.v1.Signer/SignEverything")
    status, code, message = _denied(lambda: bogus(b"", timeout=10))
    assert (status, code) == (S.PERMISSION_DENIED, "METHOD_NOT_IN_POLICY"), message
    with grpc.insecure_channel(kyso_server) as anonymous:
        status, _, _ = _denied(
            lambda: anonymous.unary_unary("/kyso.v1.Other/Method")(b"", timeout=10)
        )
        assert status == S.UNAUTHENTICATED


# -- tokens on loopback --------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_server(
    config_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any, str]]:
    home = tmp_path_factory.mktemp("kyso-tokens")
    token = add_token(home / "auth" / "tokens", "tiep-nhan-token")
    settings = config_factory.make(
        home,
        keys=["personal"],
        clients=[{"name": "tiep-nhan-token", "token": True, "roles": ["verifier"]}],
    )
    with running_server(settings) as (address, ctx):
        yield address, ctx, token


def test_a_token_on_loopback_names_its_client(token_server: tuple[str, Any, str]) -> None:
    address, ctx, token = token_server
    with token_channel(address, token) as ch:
        vpb_grpc.VerifierStub(ch).Verify(vpb.VerifyRequest(document=decree30_pdf()), timeout=60)
        status, code, message = _denied(
            lambda: spb_grpc.SignerStub(ch).Sign(_sign_request("personal"), timeout=30)
        )
        assert (status, code) == (S.PERMISSION_DENIED, "PERMISSION_DENIED")
        assert "token:tiep-nhan-token" in message and token not in message
    assert _signing_entries(ctx)[-1]["actor"] == "token:tiep-nhan-token"
    assert token not in Path(ctx.settings.signer.audit_file(ctx.settings.home)).read_text()


def test_anonymous_refusals_are_counted_not_chained(token_server: tuple[str, Any, str]) -> None:
    address, ctx, _ = token_server
    guard = next(i for i in ctx.interceptors if isinstance(i, AccessInterceptor))
    before = (len(_signing_entries(ctx)), len(ctx.trust.history(limit=1000)), guard.anonymous.total)
    add = tpb.AddTrustCertificateRequest(certificate=b"x", reason="flood")
    with grpc.insecure_channel(address) as ch:
        for _ in range(20):
            _denied(lambda: spb_grpc.SignerStub(ch).Sign(_sign_request("personal"), timeout=30))
            _denied(lambda: tpb_grpc.TrustStoreStub(ch).Add(add, timeout=30))
    after = (len(_signing_entries(ctx)), len(ctx.trust.history(limit=1000)), guard.anonymous.total)
    assert after[:2] == before[:2]
    assert after[2] == before[2] + 40
    assert guard.anonymous.by_method["Signer.Sign"] >= 20


def test_a_token_is_not_accepted_by_an_mtls_server(
    mtls: tuple[str, Any], client_pki: _Pki, tmp_path: Path
) -> None:
    """With client_ca (and no allow_token_only) only certificates identify clients."""
    address, ctx = mtls
    token = add_token(ctx.settings.home / "auth" / "tokens", "tiep-nhan-token")
    with _channel(address, client_pki, client_pki.unknown) as ch:
        status, _, message = _denied(
            lambda: vpb_grpc.VerifierStub(ch).Verify(
                vpb.VerifyRequest(document=decree30_pdf()), metadata=bearer(token), timeout=30
            )
        )
    assert status == S.PERMISSION_DENIED and "cert:serial:" in message


# -- the CLI -------------------------------------------------------------------------------


def _kyso(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kyso.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


def test_the_cli_reports_refusals_on_one_line(
    mtls: tuple[str, Any], client_pki: _Pki, kyso_server: str, tmp_path: Path
) -> None:
    pdf = tmp_path / "in.pdf"
    pdf.write_bytes(decree30_pdf())
    verifier = client_pki.verifier
    assert verifier.cert_path and verifier.key_path
    tls = ["--ca", str(client_pki.ca), "--cert", str(verifier.cert_path)]
    done = _kyso(
        "--server",
        mtls[0],
        *tls,
        "--key",
        str(verifier.key_path),
        "sign",
        str(pdf),
        "-o",
        str(tmp_path / "out.pdf"),
        "--key",
        "organisation",
        "--profile",
        "organisation",
        env={"KYSO_TOKEN": ""},
    )
    assert done.returncode == EXIT_ERROR, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("kyso: PERMISSION_DENIED: ")
    assert "role required: signer" in done.stderr and "cần vai trò signer" in done.stderr
    assert not (tmp_path / "out.pdf").exists()
    # no credential at all (no token, no local credential): UNAUTHENTICATED with what to give
    empty_home = tmp_path / "home"
    empty_home.mkdir()
    done = _kyso(
        "--server", kyso_server, "keys", env={"KYSO_TOKEN": "", "KYSO_HOME": str(empty_home)}
    )
    assert done.returncode == EXIT_ERROR
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("kyso: UNAUTHENTICATED: ")
    assert "KYSO_TOKEN" in done.stderr
    assert "--token-file" not in done.stderr  # `kyso keys` has no such option


@pytest.mark.parametrize("who", ["none", "stranger", "wrong-ca"])
def test_a_failed_tls_handshake_is_one_line_saying_what_to_check(
    mtls: tuple[str, Any], client_pki: _Pki, tmp_path: Path, who: str
) -> None:
    """Without a client certificate, with one of another CA, or trusting another CA for the
    server: one bilingual line naming the address and the options, not a bare UNAVAILABLE."""
    pdf = tmp_path / "in.pdf"
    pdf.write_bytes(decree30_pdf())
    stranger = client_pki.stranger
    assert stranger.cert_path and stranger.key_path
    tls = ["--ca", str(client_pki.ca)]
    if who == "stranger":
        tls += ["--cert", str(stranger.cert_path), "--key", str(stranger.key_path)]
    elif who == "wrong-ca":  # the stranger's certificate is no CA of the server's
        tls = ["--ca", str(stranger.cert_path)]
    done = _kyso(
        "--server", mtls[0], *tls, "verify", str(pdf), "--timeout", "10", env={"KYSO_TOKEN": ""}
    )
    assert done.returncode == EXIT_ERROR, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("kyso: TLS_HANDSHAKE_FAILED: "), done.stderr
    assert mtls[0] in done.stderr and "--cert/--key" in done.stderr
    assert "bắt tay TLS" in done.stderr


def test_the_embedded_client_certificates_work_over_mtls(
    config_factory: Any, tmp_path: Path
) -> None:
    """What kyso.toml of the embedded defaults shows, with its [tls] section uncommented."""
    from kyso.demo.clients import clients_toml, ensure_client_pki

    home = tmp_path / "home"
    home.mkdir()
    clients = ensure_client_pki(home)
    lines = clients_toml(clients, ["personal"])
    tls = [
        line[2:]
        for line in lines
        if line.startswith(("# [tls]", "# certificate", "# private_key", "# client_ca"))
    ]
    assert len(tls) == 4
    base = config_factory.make(home, keys=["personal"], admin_client=False)
    config = Path(str(base.source))
    config.write_text(
        config.read_text(encoding="utf-8") + "\n".join([*lines, *tls]) + "\n", encoding="utf-8"
    )
    from kyso.server.settings import load_settings

    pdf = tmp_path / "in.pdf"
    pdf.write_bytes(decree30_pdf())
    with running_server(load_settings(config)) as (address, _ctx):

        def kyso(role: str, *args: str) -> subprocess.CompletedProcess[str]:
            tls_args = ["--ca", str(clients / "ca.pem"), "--cert", str(clients / f"{role}.pem")]
            tls_args += ["--key", str(clients / f"{role}.key")]
            return _kyso("--server", address, *tls_args, *args, env={"KYSO_TOKEN": ""})

        listed = kyso("signer", "keys")
        assert listed.returncode == 0 and "personal" in listed.stdout, listed.stderr
        refused = kyso(
            "verifier",
            "sign",
            str(pdf),
            "-o",
            str(tmp_path / "o.pdf"),
            "--key",
            "personal",
            "--profile",
            "personal",
        )
        assert refused.returncode == EXIT_ERROR and "role required: signer" in refused.stderr
        audited = kyso("auditor", "audit", "list", "--json")
        assert audited.returncode == 0, audited.stderr
        assert '"actor": "cert:local-verifier"' in audited.stdout
        assert kyso("security_officer", "trust", "status").returncode == 0


def test_a_signed_verification_report_needs_the_signer_role_and_the_key(
    mtls: tuple[str, Any], client_pki: _Pki
) -> None:
    """sign_report_with: a verifier without the signer role is refused naming the role; a
    signer without the verifier role cannot call Verify at all; without the option the
    verifier verifies as before."""
    address, _ = mtls
    request = vpb.VerifyRequest(
        document=decree30_pdf(),
        options=vpb.VerifyOptions(human_report=vpb.HUMAN_REPORT_PDF, sign_report_with="personal"),
    )
    with _channel(address, client_pki, client_pki.verifier) as ch:
        stub = vpb_grpc.VerifierStub(ch)
        status, code, message = _denied(lambda: stub.Verify(request, timeout=30))
        assert (status, code) == (S.PERMISSION_DENIED, "PERMISSION_DENIED")
        assert "role required: signer" in message
        # the stream's options message names the key: refused before the document is read
        parts = [vpb.VerifyStreamRequest(options=request.options)]
        status, code, _ = _denied(lambda: stub.VerifyStream(iter(parts), timeout=30))
        assert (status, code) == (S.PERMISSION_DENIED, "PERMISSION_DENIED")
        plain = vpb.VerifyRequest(document=decree30_pdf())
        assert stub.Verify(plain, timeout=60).indication == vpb.INDICATION_NO_SIGNATURE_FOUND
    with _channel(address, client_pki, client_pki.signer) as ch:
        status, code, message = _denied(
            lambda: vpb_grpc.VerifierStub(ch).Verify(request, timeout=30)
        )
        assert (status, code) == (S.PERMISSION_DENIED, "PERMISSION_DENIED")
        assert "role required: verifier" in message
