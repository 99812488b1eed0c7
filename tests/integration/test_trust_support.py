"""Shared by the trust-store tests: token-bearing gRPC calls, certificates, servers (no tests)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kyso.server.status import error_info
from kyso.v1 import trust_store_pb2 as pb
from kyso.v1 import trust_store_pb2_grpc as pb_grpc
from tests.access import ADMIN_CLIENT, ALL_ROLES, write_admin_token
from tests.log_scan import scan_file, scan_output

REPO = Path(__file__).resolve().parents[2]


def call(channel: grpc.Channel, method: str, request: Any, token: str | None = None) -> Any:
    stub = pb_grpc.TrustStoreStub(channel)
    metadata = [("authorization", f"Bearer {token}")] if token else None
    return getattr(stub, method)(request, metadata=metadata, timeout=15)


def failure(channel: grpc.Channel, method: str, request: Any, token: str | None) -> tuple[Any, str]:
    """(status code, kyso error code) of a call that must fail."""
    try:
        call(channel, method, request, token)
    except grpc.RpcError as err:
        return err.code(), error_info(err)[0]
    raise AssertionError(f"{method} unexpectedly succeeded")


def fingerprints(channel: grpc.Channel, token: str) -> tuple[int, set[str]]:
    resp = call(channel, "List", pb.ListTrustCertificatesRequest(), token)
    return resp.version, {c.sha256 for c in resp.certificates}


def make_certificate(
    common_name: str,
    *,
    ca: bool = True,
    days: tuple[int, int] = (-1, 3650),
    issuer: tuple[Any, Any] | None = None,
) -> tuple[bytes, Any, Any]:
    """(PEM, certificate, key): self-signed unless ``issuer`` = (certificate, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    builder = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_cert.subject if issuer_cert else name)
        .public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .add_extension(cx509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(cx509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            cx509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    cert = builder.sign(issuer_key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM), cert, key


def kyso_cli(
    *args: str, env: dict[str, str] | None = None, input_bytes: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "kyso.cli", *args],
        capture_output=True,
        env=full_env,
        cwd=REPO,
        timeout=60,
        input=input_bytes,
    )
    scan_output(f"the stderr of kyso {args[0] if args else ''}", done.stderr)
    return done


def write_server_config(home: Path, port: int, **trust_store: Any) -> Path:
    """A minimal kyso.toml (no keys) for a `kyso serve` subprocess, with the admin client;
    fetches to 127.0.0.1 (the test PKI) allowed."""
    home.mkdir(parents=True, exist_ok=True)
    redis_url = trust_store.pop("redis_url", None)
    lines = [f'home = "{home}"', f'listen = "127.0.0.1:{port}"']
    if redis_url:
        lines.append(f'redis_url = "{redis_url}"')
    lines.append("[trust_store]")
    for key, value in trust_store.items():
        lines.append(
            f"{key} = {value!r}" if not isinstance(value, str | Path) else f'{key} = "{value}"'
        )
    # the tests' admin client (tests.access): every role, by bearer token
    lines += ["[[clients]]", f'name = "{ADMIN_CLIENT}"', "token = true"]
    lines.append("roles = [" + ", ".join(f'"{r}"' for r in ALL_ROLES) + "]")
    write_admin_token(home / "auth" / "tokens")
    # the test PKI's responders listen on 127.0.0.1, which fetches reach only when allowed
    lines += ["[fetch]", 'allowed_networks = ["127.0.0.1/32"]']
    path = home / "kyso.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_server(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """`kyso serve --config` in its own process; the caller stops it (by its pid)."""
    out = log.open("wb")
    scan_file(f"the output of kyso serve ({log.name})", log)
    return subprocess.Popen(
        [sys.executable, "-m", "kyso.cli", "serve", "--config", str(config)],
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_ready(
    address: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120
) -> None:
    """Wait until ``kyso serve`` accepts connections. Generous: under CI's two xdist workers
    a start (imports, the cage's forkserver warm-up) can share the two cores with the load
    test's 32 clients and its 16 busy workers; 30 s was seen to run out there."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kyso serve exited: {log.read_text(errors='replace')[-3000:]}")
        with grpc.insecure_channel(address) as ch:
            try:
                grpc.channel_ready_future(ch).result(timeout=0.5)
                return
            except grpc.FutureTimeoutError:
                continue
    raise AssertionError(f"kyso serve did not start: {log.read_text(errors='replace')[-3000:]}")


def start_redis(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    """A redis-server of the test's own (persisting to ``workdir``), so it may be stopped."""
    import socket
    import time

    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("redis-server did not start")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process this test started, by its pid."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def signed_pdf(pki: Any, label: str) -> bytes:
    """A one-page PDF signed (PAdES B-B) with pyHanko directly by ``label``'s key."""
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    from tests.integration.documents import make_pdf

    signer = signers.SimpleSigner.load(
        str(pki.key_path(label)),
        str(pki.cert_path(label)),
        ca_chain_files=[str(p) for p in pki.chain_paths(label)],
    )
    writer = IncrementalPdfFileWriter(BytesIO(make_pdf(["Công văn thử nghiệm kho tin cậy"])))
    meta = signers.PdfSignatureMetadata(field_name="Sig1", md_algorithm="sha256")
    out: bytes = signers.sign_pdf(writer, meta, signer=signer).getvalue()
    return out


def verify_anchor(channel: grpc.Channel, pdf: bytes) -> tuple[int, str]:
    """(indication, SHA-256 of the trust anchor used) from the server's Verify."""
    from kyso.v1 import verifier_pb2, verifier_pb2_grpc

    report = verifier_pb2_grpc.VerifierStub(channel).Verify(
        verifier_pb2.VerifyRequest(document=pdf), timeout=30
    )
    sig = report.signatures[0]
    return report.indication, sig.trust_anchor.sha256
