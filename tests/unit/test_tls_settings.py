"""The ``[tls]`` section, the loopback rule and the client identity: in-process, hand-made.

Nothing is served; certificates are made with ``cryptography`` and fed to
:func:`kyso.server.identity.identity_from_auth` as gRPC's auth context would carry them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kyso.errors import InvalidInput
from kyso.server.identity import PEER_CERT, identity_from_auth
from kyso.server.settings import Settings, is_loopback, load_settings


@pytest.fixture(autouse=True)
def _no_kyso_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("KYSO_"):
            monkeypatch.delenv(name)


def _load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "kyso.toml"
    path.write_text(f'home = "{tmp_path / "home"}"\n{text}', encoding="utf-8")
    return load_settings(path)


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(InvalidInput) as info:
        _load(tmp_path, text)
    assert info.value.code == "CONFIG_INVALID"
    return info.value.message_en


def test_without_tls_the_section_is_none(tmp_path: Path) -> None:
    assert _load(tmp_path, "").tls is None


def test_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    tls = _load(
        tmp_path,
        '[tls]\ncertificate = "tls/server.pem"\nprivate_key = "tls/server.key"\n'
        'client_ca = "tls/clients-ca.pem"\n',
    ).tls
    assert tls is not None
    assert tls.certificate == tmp_path / "tls" / "server.pem"
    assert tls.private_key == tmp_path / "tls" / "server.key"
    assert tls.client_ca == tmp_path / "tls" / "clients-ca.pem"
    assert tls.allow_token_only is False


def test_no_client_ca_is_refused_unless_token_only_is_allowed(tmp_path: Path) -> None:
    base = '[tls]\ncertificate = "s.pem"\nprivate_key = "s.key"\n'
    problem = _error(tmp_path, base)
    assert "tls: " in problem and "client_ca is required" in problem
    tls = _load(tmp_path, base + "allow_token_only = true\n").tls
    assert tls is not None and tls.client_ca is None and tls.allow_token_only


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[tls]\ncertificate = "s.pem"\nprivate_key = "s.key"\nclient_ca = "c"\nciphers = "x"\n',
            "tls.ciphers",
        ),
        ('[tls]\nprivate_key = "s.key"\nclient_ca = "c"\n', "tls.certificate"),
        (
            '[tls]\ncertificate = "s.pem"\nprivate_key = "s.key"\nallow_token_only = "yes"\n',
            "tls.allow_token_only",
        ),
        ('[tls]\ncertificate = 1\nprivate_key = "s.key"\nclient_ca = "c"\n', "tls.certificate"),
    ],
)
def test_bad_tls_keys_are_named(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in _error(tmp_path, text)


def test_tls_settings_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KYSO_TLS__CERTIFICATE", "/etc/kyso/server.pem")
    monkeypatch.setenv("KYSO_TLS__PRIVATE_KEY", "/etc/kyso/server.key")
    monkeypatch.setenv("KYSO_TLS__ALLOW_TOKEN_ONLY", "true")
    tls = _load(tmp_path, "").tls
    assert tls is not None and tls.certificate == Path("/etc/kyso/server.pem")
    assert tls.allow_token_only is True
    # The client-side variables are not settings, and are not refused either.
    monkeypatch.setenv("KYSO_TLS_CA", "ca.pem")
    assert _load(tmp_path, "").tls is not None


@pytest.mark.parametrize(
    "listen", ["127.0.0.1:50051", "127.8.9.10:1", "localhost:0", "LOCALHOST:1", "[::1]:50051"]
)
def test_loopback_addresses(listen: str) -> None:
    assert is_loopback(listen)


@pytest.mark.parametrize(
    "listen",
    [
        "0.0.0.0:50051",
        "[::]:1",
        "10.0.0.1:1",
        "kyso.example.vn:1",
        "[::ffff:127.0.0.1]:1",
        "localhost.example.vn:1",
    ],
)
def test_other_addresses_are_not_loopback(listen: str) -> None:
    assert not is_loopback(listen)


def _cert(sans: list[x509.GeneralName]) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "qlvb-phat-hanh"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sở Nội vụ, tỉnh X"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(42)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def test_identity_is_the_subject_in_rfc4514_and_the_sans() -> None:
    pem = _cert(
        [
            x509.DNSName("qlvb.example.vn"),
            x509.IPAddress(ipaddress.ip_address("10.1.2.3")),
            x509.UniformResourceIdentifier("spiffe://so-noi-vu/qlvb"),
            x509.RFC822Name("qlvb@example.vn"),
        ]
    )
    who = identity_from_auth({PEER_CERT: [pem], "x509_common_name": [b"qlvb-phat-hanh"]})
    assert who is not None
    # RFC 4514: most specific RDN first, the comma inside a value escaped, UTF-8 kept.
    assert who.subject == "O=Sở Nội vụ\\, tỉnh X,CN=qlvb-phat-hanh"
    assert who.sans == (
        "dns:qlvb.example.vn",
        "ip:10.1.2.3",
        "uri:spiffe://so-noi-vu/qlvb",
        "email:qlvb@example.vn",
    )
    assert who.serial == 42


def test_no_verified_certificate_is_no_identity() -> None:
    assert identity_from_auth({}) is None
    assert identity_from_auth({"transport_security_type": [b"insecure"]}) is None
    assert identity_from_auth({PEER_CERT: [b"not a certificate"]}) is None
    who = identity_from_auth({PEER_CERT: [_cert([])]})
    assert who is not None and who.sans == ()


def test_cli_cert_without_key_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kyso.cli.channel import EXIT_ERROR
    from kyso.cli.main import main

    assert main(["--server", "127.0.0.1:1", "--cert", str(tmp_path / "c.pem"), "keys"]) == (
        EXIT_ERROR
    )
    err = capsys.readouterr().err
    assert (
        err.startswith("kyso: OPTION_INVALID: option --key is invalid (required with --cert")
        and err.count("\n") <= 2
    )
