"""Embedded defaults: a local client CA, one client certificate per role, a server certificate.

Made once under ``<home>/clients`` (0700; keys 0600) by :func:`ensure_client_pki`, so that
mTLS and the roles can be tried on one machine: ``kyso.toml`` (written by
:mod:`kyso.demo.embedded`) maps each certificate to its role in a ``[[clients]]`` table and
shows, commented out, the ``[tls]`` section that serves ``server.pem`` to 127.0.0.1/localhost
and asks for certificates of ``ca.pem``. With the embedded defaults kyso listens in plaintext
on loopback, where the local CLI uses its token instead (:mod:`kyso.server.tokens`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kyso.server.policy import Role

DIRECTORY = "clients"
ORGANISATION = "kyso local clients (demo)"
#: Valid this long from creation (a demo; real client certificates come from the agency's CA).
VALIDITY = dt.timedelta(days=3650)


def client_name(role: Role) -> str:
    """The ``[[clients]]`` name (and certificate CN) of ``role``'s certificate."""
    return f"local-{role.value.replace('_', '-')}"


def client_subject(role: Role) -> str:
    """RFC 4514 subject of ``role``'s certificate, as the ``[[clients]]`` table gives it."""
    return f"CN={client_name(role)},O={ORGANISATION}"


def _name(common_name: str) -> x509.Name:
    # certificate order O then CN: RFC 4514 text "CN=...,O=..."
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _issue(
    subject: x509.Name,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    *,
    usage: str,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=usage == "ca", path_length=None), critical=True)
    )
    if usage == "ca":
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    elif usage == "server":
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    return cert, key


def _save(
    directory: Path, stem: str, pair: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]
) -> None:
    (directory / f"{stem}.pem").write_bytes(pair[0].public_bytes(serialization.Encoding.PEM))
    _write_key(directory / f"{stem}.key", pair[1])


def ensure_client_pki(home: Path) -> Path:
    """Create ``<home>/clients`` once (built under a temporary name, then renamed): ``ca.pem``
    and ``ca.key``, ``server.pem``/``server.key`` (SANs localhost, 127.0.0.1), and
    ``<role>.pem``/``<role>.key`` for each :class:`Role`. Returns the directory."""
    target = home / DIRECTORY
    if (target / "ca.pem").is_file():
        return target
    build = Path(tempfile.mkdtemp(prefix=".clients-build-", dir=home))  # 0700
    try:
        ca = _issue(_name("kyso local client CA (demo)"), None, usage="ca")
        _save(build, "ca", ca)
        _save(build, "server", _issue(_name("localhost"), ca, usage="server"))
        for role in Role:
            _save(build, role.value, _issue(_name(client_name(role)), ca, usage="client"))
        build.rename(target)
    except OSError:
        shutil.rmtree(build, ignore_errors=True)
        if not (target / "ca.pem").is_file():
            raise
    return target


def clients_toml(directory: Path, keys: list[str]) -> list[str]:
    """The ``[[clients]]`` tables of the local certificates and the local CLI's token client,
    and a commented ``[tls]`` section serving them (lines of ``kyso.toml``)."""

    def q(value: object) -> str:
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    key_list = f"[{', '.join(q(k) for k in keys)}]"
    lines = [
        "",
        "# Who may call what (docs/security.md): the local CLI by its token (plaintext on",
        "# loopback), and one client certificate per role under clients/ for mTLS.",
        "[[clients]]",
        'name = "local-cli"',
        "token = true",
        f"roles = [{', '.join(q(r.value) for r in Role)}]",
        f"keys = {key_list}",
    ]
    for role in Role:
        lines += [
            "",
            "[[clients]]",
            f"name = {q(client_name(role))}",
            f"subject = {q(client_subject(role))}",
            f"roles = [{q(role.value)}]",
        ]
        if role is Role.SIGNER:
            lines.append(f"keys = {key_list}")
    lines += [
        "",
        "# To try mTLS on this machine: copy this file, uncomment [tls], run",
        "#   kyso serve --config COPY",
        f"# and call with  kyso --ca {directory / 'ca.pem'} --cert {directory / 'signer.pem'} \\",
        f"#   --key {directory / 'signer.key'} keys",
        "# [tls]",
        f"# certificate = {q(directory / 'server.pem')}",
        f"# private_key = {q(directory / 'server.key')}",
        f"# client_ca = {q(directory / 'ca.pem')}",
    ]
    return lines


__all__ = ["client_name", "client_subject", "clients_toml", "ensure_client_pki"]
