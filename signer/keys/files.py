"""Development key backends: PKCS#12 and PEM files, loaded once and kept in memory."""

from __future__ import annotations

from pathlib import Path

from asn1crypto import pem, x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from kyso.errors import InvalidInput

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle or one DER certificate."""
    try:
        if pem.detect(data):
            return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
        cert = x509.Certificate.load(data)
        _ = cert.subject  # force parsing: load() is lazy
        return [cert]
    except (ValueError, TypeError) as exc:
        raise InvalidInput("CERTIFICATE_INVALID") from exc


def read_certificates(path: Path) -> list[x509.Certificate]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            "CONFIG_INVALID", problem=f"cannot read certificate file {path}"
        ) from exc
    return load_certificates(data)


def _checked(key: object, path: Path) -> PrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InvalidInput("KEY_UNSUPPORTED", key=str(path))
    return key


def load_pkcs12(
    path: Path, passphrase: str | None
) -> tuple[PrivateKey, x509.Certificate | None, list[x509.Certificate]]:
    """The key, its certificate (if in the file) and the other certificates of ``path``."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(
            path.read_bytes(), passphrase.encode() if passphrase is not None else None
        )
    except (OSError, ValueError) as exc:
        raise InvalidInput("KEY_FILE_INVALID", path=path) from exc
    der = serialization.Encoding.DER
    leaf = x509.Certificate.load(cert.public_bytes(der)) if cert is not None else None
    others = [x509.Certificate.load(c.public_bytes(der)) for c in extra or ()]
    return _checked(key, path), leaf, others


def load_pem_key(path: Path, passphrase: str | None) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(
            path.read_bytes(), passphrase.encode() if passphrase is not None else None
        )
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidInput("KEY_FILE_INVALID", path=path) from exc
    return _checked(key, path)
