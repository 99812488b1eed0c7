"""TLS and mTLS through the real server (issue 8 item 1).

A throwaway CA, a server certificate (SAN 127.0.0.1, localhost) and client certificates
are made here with ``cryptography``; the server is kyso's own (``running_server``), the
clients are grpc channels, the ``kyso`` CLI and raw ``ssl`` handshakes.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from documents import decree30_pdf

from kyso.cli.channel import EXIT_ERROR
from kyso.server.app import build_server, running_server
from kyso.server.context import build_context
from kyso.server.identity import client_identity
from kyso.server.settings import load_settings
from kyso.server.tls import CertificateReloader
from kyso.server.tokens import add_token
from kyso.v1 import signer_pb2, signer_pb2_grpc
from tests.log_scan import scan_output

_NOW = dt.datetime.now(dt.UTC)


@dataclass
class _Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        cert, key = directory / f"{name}.pem", directory / f"{name}.key"
        cert.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        key.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key.chmod(0o600)  # kyso refuses to start on a key others may read
        return cert, key


def _issue(
    cn: str, issuer: _Issued | None = None, *, ca: bool = False, server: bool = False
) -> _Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "So Noi vu"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.cert.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - dt.timedelta(minutes=5))
        .not_valid_after(_NOW + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    elif server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(f"{cn}.example.vn")]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return _Issued(cert, key)


@dataclass
class _Pki:
    dir: Path
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path
    stranger_key: Path
    issuer: _Issued


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> _Pki:
    d = tmp_path_factory.mktemp("tls")
    ca = _issue("kyso test CA", ca=True)
    (d / "ca.pem").write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    server = _issue("kyso", ca, server=True).write(d, "server")
    client = _issue("qlvb-phat-hanh", ca).write(d, "client")
    other_ca = _issue("another CA", ca=True)
    stranger = _issue("qlvb-phat-hanh", other_ca).write(d, "stranger")
    return _Pki(d, d / "ca.pem", *server, *client, *stranger, issuer=ca)


#: The client certificate's subject (written in either order) and a token client.
_CLIENTS = """
[[clients]]
name = "qlvb-phat-hanh"
subject = "CN=qlvb-phat-hanh,O=So Noi vu"
roles = ["signer", "verifier"]

[[clients]]
name = "tls-token"
token = true
roles = ["signer"]
"""


def _config(tmp_path: Path, pki: _Pki, tls: str | None = None) -> Path:
    if tls is None:
        tls = (
            f'[tls]\ncertificate = "{pki.server_cert}"\nprivate_key = "{pki.server_key}"\n'
            f'client_ca = "{pki.ca}"\n'
        )
    config = tmp_path / "kyso.toml"
    config.write_text(f'home = "{tmp_path / "home"}"\n{tls}{_CLIENTS}', encoding="utf-8")
    return config


@pytest.fixture
def mtls_server(tmp_path: Path, pki: _Pki) -> Iterator[str]:
    with running_server(load_settings(_config(tmp_path, pki))) as (address, _ctx):
        yield address


def _creds(pki: _Pki, cert: Path | None, key: Path | None) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=pki.ca.read_bytes(),
        private_key=key.read_bytes() if key else None,
        certificate_chain=cert.read_bytes() if cert else None,
    )


def _list_keys(
    address: str, creds: grpc.ChannelCredentials, token: str | None = None
) -> signer_pb2.ListKeysResponse:
    metadata = [("authorization", f"Bearer {token}")] if token else None
    with grpc.secure_channel(address, creds) as channel:
        return signer_pb2_grpc.SignerStub(channel).ListKeys(
            signer_pb2.ListKeysRequest(), metadata=metadata, timeout=10
        )


def test_a_client_with_a_certificate_from_the_client_ca_is_served(
    mtls_server: str, pki: _Pki
) -> None:
    _list_keys(mtls_server, _creds(pki, pki.client_cert, pki.client_key))


def test_the_cli_speaks_tls_with_ca_cert_key(mtls_server: str, pki: _Pki) -> None:
    args = ["--server", mtls_server, "--ca", str(pki.ca), "--cert", str(pki.client_cert)]
    done = subprocess.run(
        [sys.executable, "-m", "kyso.cli", *args, "--key", str(pki.client_key), "keys"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # `--key` before the command is the TLS key, after `sign` the signing key: both reach
    # the server (which has no key of that name).
    pdf = pki.dir / "in.pdf"
    pdf.write_bytes(decree30_pdf())
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kyso.cli",
            *args,
            "--key",
            str(pki.client_key),
            "sign",
            str(pdf),
            "-o",
            str(pki.dir / "out.pdf"),
            "--key",
            "no-such-key",
            "--profile",
            "organisation",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_ERROR and "no-such-key" in done.stderr, done.stderr
    # The same through the environment variables.
    env = {
        **os.environ,
        "KYSO_TLS_CA": str(pki.ca),
        "KYSO_TLS_CERT": str(pki.client_cert),
        "KYSO_TLS_KEY": str(pki.client_key),
    }
    done = subprocess.run(
        [sys.executable, "-m", "kyso.cli", "--server", mtls_server, "keys"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # `kyso health` (the Docker HEALTHCHECK) over mTLS, with the same variables.
    done = subprocess.run(
        [sys.executable, "-m", "kyso.cli", "--server", mtls_server, "health"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "SERVING\n"), done.stderr


def test_the_cli_refuses_an_unreadable_certificate_file(pki: _Pki, tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    env = {**os.environ, "KYSO_TLS_CA": str(missing)}
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%%EOF\n")
    done = subprocess.run(
        [sys.executable, "-m", "kyso.cli", "verify", str(pdf)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == EXIT_ERROR
    assert done.stderr.startswith("kyso: FILE_UNREADABLE") and str(missing) in done.stderr
    assert "Traceback" not in done.stderr


def test_no_client_certificate_fails_the_handshake(mtls_server: str, pki: _Pki) -> None:
    with pytest.raises(grpc.RpcError) as info:
        _list_keys(mtls_server, _creds(pki, None, None))
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_client_certificate_from_another_ca_is_refused(mtls_server: str, pki: _Pki) -> None:
    with pytest.raises(grpc.RpcError) as info:
        _list_keys(mtls_server, _creds(pki, pki.stranger_cert, pki.stranger_key))
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def _handshake(port: int, pki: _Pki, version: ssl.TLSVersion) -> tuple[str | None, str]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(pki.ca)
    context.load_cert_chain(pki.client_cert, pki.client_key)
    context.set_alpn_protocols(["h2"])
    context.minimum_version = context.maximum_version = version
    if version < ssl.TLSVersion.TLSv1_2:
        context.set_ciphers("ALL:@SECLEVEL=0")
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        cipher = tls.cipher()
        return tls.version(), cipher[0] if cipher else ""


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_tls_1_2_and_1_3_are_negotiated_older_versions_refused(mtls_server: str, pki: _Pki) -> None:
    """docs/security.md: gRPC's BoringSSL defaults, kept as they are."""
    port = int(mtls_server.rsplit(":", 1)[1])
    assert _handshake(port, pki, ssl.TLSVersion.TLSv1_3)[0] == "TLSv1.3"
    version, cipher = _handshake(port, pki, ssl.TLSVersion.TLSv1_2)
    assert version == "TLSv1.2" and cipher.startswith("ECDHE-") and "GCM" in cipher, cipher
    for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        with pytest.raises((ssl.SSLError, ConnectionError)):
            _handshake(port, pki, old)


def test_plaintext_is_refused_by_a_tls_server(mtls_server: str) -> None:
    with (
        grpc.insecure_channel(mtls_server) as channel,
        pytest.raises(grpc.RpcError) as info,
    ):
        signer_pb2_grpc.SignerStub(channel).ListKeys(signer_pb2.ListKeysRequest(), timeout=10)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def test_the_servicer_sees_the_client_identity(tmp_path: Path, pki: _Pki) -> None:
    """The identity plumbing of item 2: subject (RFC 4514) and SANs of the verified cert."""
    seen = []

    class _Spy(grpc.ServerInterceptor):
        def intercept_service(self, continuation, details):  # type: ignore[no-untyped-def]
            handler = continuation(details)
            if handler is None or handler.unary_unary is None:
                return handler
            inner = handler.unary_unary

            def spy(request, context):  # type: ignore[no-untyped-def]
                seen.append(client_identity(context))
                return inner(request, context)

            return handler._replace(unary_unary=spy)

    settings = load_settings(_config(tmp_path, pki))
    assert settings.tls is not None
    ctx = build_context(settings)
    ctx.interceptors.append(_Spy())
    server, port, _ = build_server(ctx, "127.0.0.1:0", tls=CertificateReloader(settings.tls))
    server.start()
    try:
        _list_keys(f"127.0.0.1:{port}", _creds(pki, pki.client_cert, pki.client_key))
    finally:
        server.stop(0).wait()
        ctx.close()
    assert seen and seen[0] is not None
    assert seen[0].subject == "O=So Noi vu,CN=qlvb-phat-hanh"
    assert seen[0].sans == ("dns:qlvb-phat-hanh.example.vn",)


def _served_serial(port: int, pki: _Pki) -> int:
    """The serial number of the certificate a new TLS connection is served."""
    context = ssl.create_default_context(cafile=str(pki.ca))
    context.load_cert_chain(pki.client_cert, pki.client_key)
    context.set_alpn_protocols(["h2"])
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


def test_a_replaced_server_certificate_is_served_without_a_restart(
    tmp_path: Path, pki: _Pki, caplog: pytest.LogCaptureFixture
) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    first = _issue("kyso", pki.issuer, server=True)
    cert, key = first.write(certs, "server")
    tls = f'[tls]\ncertificate = "{cert}"\nprivate_key = "{key}"\nclient_ca = "{pki.ca}"\n'
    with running_server(load_settings(_config(tmp_path, pki, tls))) as (address, _ctx):
        port = int(address.rsplit(":", 1)[1])
        assert _served_serial(port, pki) == first.cert.serial_number
        # A bad new file (a key that does not match) keeps the old configuration.
        _issue("kyso", pki.issuer, server=True).write(certs, "bad")
        os.replace(certs / "bad.key", key)
        assert _served_serial(port, pki) == first.cert.serial_number
        assert "tls.private_key: does not match tls.certificate" in caplog.text
        # Certificate and key replaced together (as a deployment tool renames them in).
        second = _issue("kyso", pki.issuer, server=True)
        second.write(certs, "next")
        os.replace(certs / "next.pem", cert)
        os.replace(certs / "next.key", key)
        deadline = time.monotonic() + 10
        while (served := _served_serial(port, pki)) != second.cert.serial_number:
            assert time.monotonic() < deadline, f"still serving {served:x}"
            time.sleep(0.2)
        _list_keys(address, _creds(pki, pki.client_cert, pki.client_key))


def _serve(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kyso.cli", "serve", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("where", ["--listen", "listen"])
def test_plaintext_on_a_non_loopback_address_is_refused_at_start_up(
    tmp_path: Path, where: str
) -> None:
    config = tmp_path / "kyso.toml"
    listen = "" if where == "--listen" else 'listen = "0.0.0.0:0"\n'
    config.write_text(f'home = "{tmp_path / "home"}"\n{listen}', encoding="utf-8")
    done = _serve(config, *(["--listen", "0.0.0.0:0"] if where == "--listen" else []))
    assert done.returncode == EXIT_ERROR, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(
        f"kyso: CONFIG_INVALID: the configuration is invalid: {where}: 0.0.0.0:0 is not a "
        "loopback address: without [tls]"
    ), done.stderr


def test_tls_without_a_client_ca_is_refused_at_start_up(tmp_path: Path, pki: _Pki) -> None:
    tls = f'[tls]\ncertificate = "{pki.server_cert}"\nprivate_key = "{pki.server_key}"\n'
    done = _serve(_config(tmp_path, pki, tls), "--listen", "127.0.0.1:0")
    assert done.returncode == EXIT_ERROR, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "tls: " in done.stderr and "client_ca is required" in done.stderr, done.stderr


def test_allow_token_only_serves_clients_without_a_certificate(tmp_path: Path, pki: _Pki) -> None:
    tls = (
        f'[tls]\ncertificate = "{pki.server_cert}"\nprivate_key = "{pki.server_key}"\n'
        "allow_token_only = true\n"
    )
    token = add_token(tmp_path / "home" / "auth" / "tokens", "tls-token")
    with running_server(load_settings(_config(tmp_path, pki, tls))) as (address, _ctx):
        _list_keys(address, _creds(pki, None, None), token)
        with pytest.raises(grpc.RpcError) as info:  # a credential is still required
            _list_keys(address, _creds(pki, None, None))
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_sighup_rereads_the_files_and_keeps_serving(tmp_path: Path, pki: _Pki) -> None:
    """SIGHUP's default action ends a process: kyso serve must only mark the files stale."""
    config = _config(tmp_path, pki)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kyso.cli",
            "serve",
            "--config",
            str(config),
            "--listen",
            "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving on 127.0.0.1:" in line, line + (proc.stderr.read() if proc.stderr else "")
        address = line.strip().rsplit(" ", 1)[1]
        creds = _creds(pki, pki.client_cert, pki.client_key)
        _list_keys(address, creds)
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert proc.poll() is None
        _list_keys(address, creds)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stderr is not None:
            scan_output("the stderr of kyso serve (TLS)", proc.stderr.read())
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_kyso_client_speaks_mtls(mtls_server: str, pki: _Pki) -> None:
    """kyso-client's TlsOptions (paths): served with the client certificate; without it the
    handshake fails and the client says UNAVAILABLE (after its retries, within the deadline)."""
    from kyso_client import KysoClient, KysoRpcError, RetryPolicy, TlsOptions

    tls = TlsOptions(ca=pki.ca, cert=pki.client_cert, key=pki.client_key)
    with KysoClient(mtls_server, tls=tls) as kyso:
        assert kyso.trust_status(timeout=10).identity
    no_cert = TlsOptions(ca=pki.ca)
    with KysoClient(mtls_server, tls=no_cert, retry=RetryPolicy(attempts=2)) as kyso:
        with pytest.raises(KysoRpcError) as caught:
            kyso.list_keys(timeout=10)
    assert caught.value.status is grpc.StatusCode.UNAVAILABLE
    with pytest.raises(ValueError, match="go together"):
        KysoClient(mtls_server, tls=TlsOptions(ca=pki.ca, cert=pki.client_cert))
