"""Hand-made inputs for the building-block unit tests: certificates, policies, facts, contexts.

Plain functions and values, not fixtures: a ``conftest.py`` here would shadow the top-level
``conftest`` module the integration tests import helpers from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import x509
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from trust_store.model import Purpose, TrustEntry, TrustRole, TrustSnapshot
from verifier.facts import SignatureFacts
from verifier.model import Kind
from verifier.policy import Policy, PolicyRegistry
from verifier.process import Context

T0 = datetime(2026, 1, 1, tzinfo=UTC)

MakeCert = Callable[..., x509.Certificate]


_KEYS: dict[str, Any] = {}


def make_cert(
    key: str = "rsa2048",
    *,
    not_before: datetime = T0,
    days: int = 365,
    key_usage: tuple[str, ...] | None = ("digital_signature",),
    eku: tuple[cx.ObjectIdentifier, ...] | None = None,
    cn: str = "Nguyễn Văn A",
) -> x509.Certificate:
    """A self-signed certificate with the given key, validity and key usages."""
    if key not in _KEYS:
        if key.startswith("rsa"):
            _KEYS[key] = rsa.generate_private_key(65537, int(key[3:]))
        else:
            _KEYS[key] = ec.generate_private_key(
                {"p256": ec.SECP256R1(), "k256": ec.SECP256K1(), "p192": ec.SECP192R1()}[key]
            )
    priv = _KEYS[key]
    name = cx.Name([cx.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (
        cx.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(priv.public_key())
        .serial_number(cx.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
    )
    if key_usage is not None:
        flags = dict.fromkeys(
            (
                "digital_signature", "content_commitment", "key_encipherment",
                "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
                "encipher_only", "decipher_only",
            ),
            False,
        )  # fmt: skip
        for u in key_usage:
            flags[u] = True
        b = b.add_extension(cx.KeyUsage(**flags), critical=True)
    if eku is not None:
        b = b.add_extension(cx.ExtendedKeyUsage(list(eku)), critical=False)
    cert = b.sign(priv, hashes.SHA256())
    return x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


POLICIES = PolicyRegistry()
vn_gov: Policy = POLICIES.get("vn-gov")
strict: Policy = POLICIES.get("vn-gov-strict")


def facts(**overrides: Any) -> SignatureFacts:
    """Facts of a signature as hand-made as a test needs them."""
    base: dict[str, Any] = {
        "index": 0,
        "kind": Kind.SIGNATURE,
        "field_name": "Sig1",
        "sub_filter": "/ETSI.CAdES.detached",
        "sig_ref": None,
        "byte_range": None,
        "contents": None,
        "problems": {},
        "signed_data": None,
        "signer_info": None,
        "signed_attrs_der": None,
    }
    base.update(overrides)
    return SignatureFacts(**base)


def context(data: bytes = b"", snapshot: TrustSnapshot | None = None, **kw: Any) -> Context:
    return Context(
        data,
        snapshot or TrustSnapshot(1),
        kw.pop("now", T0),
        kw.pop("at_now", True),
        kw.pop("fetch", False),
        kw.pop("fetcher_backend", None),
        **kw,
    )


def snapshot(*anchors: tuple[x509.Certificate, Purpose]) -> TrustSnapshot:
    return TrustSnapshot(
        1, tuple(TrustEntry(c, TrustRole.ANCHOR, frozenset({p})) for c, p in anchors)
    )
