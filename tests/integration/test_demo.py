"""Embedded defaults: ``kyso serve`` with no config creates a demo once and serves on it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kyso.demo.pki import free_port
from tests.integration.serve_process import kyso_serve
from tests.log_scan import register_secret
from tests.pki import make_nss_db, pdfsig_problems, run_pdfsig


@contextmanager
def _kyso_serve(home: Path, pki_port: int) -> Iterator[tuple[str, list[str]]]:
    """Run ``kyso serve --listen 127.0.0.1:0`` on ``home``; yield its address and output."""
    env = {
        **os.environ,
        "KYSO_HOME": str(home),
        "KYSO_DEMO_PKI_PORT": str(pki_port),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SOFTHSM2_CONF", None)  # the demo must set up its own token
    with kyso_serve(
        [],
        env,
        label="the output of kyso serve (embedded defaults)",
        start_timeout=60,
        stop_timeout=20,
    ) as served:
        yield served


def _health(address: str) -> int:
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        return stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status


def _kyso(address: str, *args: str, home: Path) -> str:
    """The CLI as a user on the server's machine runs it: the local credential of ``home``."""
    env = {**os.environ, "KYSO_HOME": str(home)}
    env.pop("KYSO_TOKEN", None)  # not the tests' admin token
    proc = subprocess.run(
        [sys.executable, "-m", "kyso.cli", "--server", address, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _sign_with_demo_keys(address: str, home: Path, tmp_path: Path) -> None:
    """The README's tour: the demo's sample draft signed personal then organisation at B-LT
    with the demo keys, through the CLI and without --anchor (the signer block is found in the
    text); the layout report finds nothing wrong; pdfsig trusts both signatures once the demo
    root is in its NSS database."""
    listing = _kyso(address, "keys", home=home)
    assert "demo-personal" in listing and "demo-organisation" in listing
    unsigned = home / "demo" / "mau-quyet-dinh.pdf"
    assert "ĐÚNG THỂ THỨC" in _kyso(address, "layout", str(unsigned), home=home)
    personal, sealed = tmp_path / "personal.pdf", tmp_path / "sealed.pdf"
    for src, out, key, profile in (
        (unsigned, personal, "demo-personal", "personal"),
        (personal, sealed, "demo-organisation", "organisation"),
    ):
        _kyso(
            address, "sign", str(src), "-o", str(out), "--key", key, "--profile", profile,
            "--level", "B-LT", home=home,
        )  # fmt: skip
    layout = _kyso(address, "layout", str(sealed), home=home)
    assert "ĐÚNG THỂ THỨC" in layout, layout
    certs = home / "demo" / "certs"
    nss = tmp_path / "nssdb"
    make_nss_db(nss, certs / "root.cert.pem", certs / "ca.cert.pem")
    report = run_pdfsig(nss, sealed)
    assert not pdfsig_problems(report, expected_signatures=2), report


def test_serve_creates_demo_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    pki_port = free_port()
    with _kyso_serve(home, pki_port) as (address, output):
        assert address.startswith("127.0.0.1:") and not address.endswith(":0")
        assert _health(address) == health_pb2.HealthCheckResponse.SERVING
    text = "".join(output)
    assert f"kyso: data directory {home}" in text
    assert "first start" in text
    demo = home / "demo"
    assert f"kyso: sample draft to sign: {demo / 'mau-quyet-dinh.pdf'}" in text
    config_text = (home / "kyso.toml").read_text(encoding="utf-8")
    for name in ("demo-personal", "demo-organisation"):
        assert f'name = "{name}"' in config_text
        assert (demo / "certs" / f"{name}.cert.pem").exists()
    assert f"http://127.0.0.1:{pki_port}/" in config_text
    assert len(list((home / "trust").glob("*.pem"))) == 1
    assert (demo / "images" / "signature.png").exists() and (demo / "images" / "seal.png").exists()
    secret = demo / "token" / "pin"
    if not secret.exists():
        secret = demo / "pkcs12-passphrase"
    assert secret.stat().st_mode & 0o077 == 0
    assert secret.read_text().strip() not in text + config_text  # never printed or written
    # the local client CA and one certificate per role, mapped in kyso.toml (issue 8 item 2)
    clients = home / "clients"
    assert stat.S_IMODE(clients.stat().st_mode) == 0o700
    for stem in ("ca", "server", "verifier", "signer", "security_officer", "auditor"):
        assert (clients / f"{stem}.pem").exists()
        assert stat.S_IMODE((clients / f"{stem}.key").stat().st_mode) == 0o600
    assert 'subject = "CN=local-signer,O=kyso local clients (demo)"' in config_text
    assert stat.S_IMODE((home / "auth" / "local-cli.token").stat().st_mode) == 0o600
    register_secret(secret.read_text().strip(), "the demo token PIN")  # the log scan
    register_secret((demo / "keys-passphrase").read_text().strip(), "the demo key passphrase")
    # Every secret the embedded defaults create is its owner's only (docs/security.md).
    private = [
        home,
        demo,
        demo / "keys",
        home / "audit",
        home / "audit" / "checkpoint.key",
        secret,
        demo / "keys-passphrase",
        *(demo / "keys").glob("*.pem"),
        *(demo / "certs").glob("*.p12"),
    ]
    if (demo / "token").exists():
        private += [demo / "token", *(demo / "token" / "tokens").rglob("*")]
    loose = {str(p): oct(p.stat().st_mode & 0o777) for p in private if p.stat().st_mode & 0o077}
    assert loose == {}
    # no plaintext private key anywhere in the demo PKI (issue 9, item 10): the signer keys
    # are on the token (or in the PKCS#12 files), the responder keys are encrypted
    for path in demo.rglob("*"):
        if path.is_file() and path.suffix in (".pem", ".key", ".der"):
            assert b"-----BEGIN PRIVATE KEY-----" not in path.read_bytes(), path
            assert b"-----BEGIN RSA PRIVATE KEY-----" not in path.read_bytes(), path
    for name in ("demo-personal", "demo-organisation"):
        assert b"PRIVATE KEY" not in (demo / "keys" / f"{name}.key.pem").read_bytes()
    first_state = (demo / "state.json").read_bytes()
    first_root = (demo / "certs" / "root.cert.pem").read_bytes()
    first_secret = secret.read_bytes()

    with _kyso_serve(home, free_port()) as (address, output):
        assert _health(address) == health_pb2.HealthCheckResponse.SERVING
        _sign_with_demo_keys(address, home, tmp_path)
    text = "".join(output)
    assert "first start" not in text
    assert (demo / "state.json").read_bytes() == first_state
    assert (demo / "certs" / "root.cert.pem").read_bytes() == first_root
    assert secret.read_bytes() == first_secret
    assert not list(home.glob(".demo-build-*"))


def test_demo_responders_answer_offline(tmp_path: Path, monkeypatch) -> None:
    """The demo's responders answer for its keys: OCSP "good" and a time-stamp token."""
    import requests
    from asn1crypto import ocsp, pem, x509

    from kyso.demo import embedded as demo
    from kyso.server.settings import Settings

    port = free_port()
    monkeypatch.setenv("KYSO_DEMO_PKI_PORT", str(port))
    monkeypatch.delenv("SOFTHSM2_CONF", raising=False)
    try:
        config = demo.ensure_demo(Settings(home=tmp_path).with_origin(embedded=True))
        assert config.embedded_defaults
        assert {k.name for k in config.keys} == {"demo-personal", "demo-organisation"}
        assert config.signer.tsa_url == f"http://127.0.0.1:{port}/kyso-demo/tsa/tsa"
        certs = tmp_path / "demo" / "certs"

        def _load(name: str) -> x509.Certificate:
            return x509.Certificate.load(pem.unarmor((certs / name).read_bytes())[2])

        cert, issuer = _load("demo-personal.cert.pem"), _load("ca.cert.pem")
        request = ocsp.OCSPRequest(
            {
                "tbs_request": {
                    "request_list": [
                        {
                            "req_cert": {
                                "hash_algorithm": {"algorithm": "sha256"},
                                "issuer_name_hash": cert.issuer.sha256,
                                "issuer_key_hash": issuer.public_key.sha256,
                                "serial_number": cert.serial_number,
                            }
                        }
                    ]
                }
            }
        )
        resp = requests.post(cert.ocsp_urls[0], data=request.dump(), timeout=10)
        single = ocsp.OCSPResponse.load(resp.content).basic_ocsp_response["tbs_response_data"][
            "responses"
        ][0]
        assert single["cert_status"].name == "good"
        assert requests.get(cert.crl_distribution_points[0].url, timeout=10).status_code == 200
        # a second call in the same process reuses everything, responders included
        again = demo.ensure_demo(Settings(home=tmp_path).with_origin(embedded=True))
        assert again.keys == config.keys
    finally:
        demo.stop_responders()
