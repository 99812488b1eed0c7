"""Who is calling: the verified client certificate's subject and SANs (mTLS).

gRPC puts the peer's certificate in ``context.auth_context()`` (``x509_pem_cert``) only
after the handshake verified it against ``[tls] client_ca``; without mTLS there is none.
The roles of issue 8 item 2 map these names to what a client may do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import grpc
from cryptography import x509

#: The auth-context property holding the verified peer certificate (PEM).
PEER_CERT = "x509_pem_cert"


@dataclass(frozen=True)
class ClientIdentity:
    """A client certificate's names: ``subject`` as RFC 4514 text, SANs as ``kind:value``.

    SAN kinds: ``dns``, ``ip``, ``uri``, ``email`` (``dns:qlvb.example.vn``); others are
    left out. ``serial`` is the certificate's serial number, for logs.
    """

    subject: str
    sans: tuple[str, ...]
    serial: int


def _san_names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    out: list[str] = []
    out += [f"dns:{v}" for v in ext.get_values_for_type(x509.DNSName)]
    out += [f"ip:{v}" for v in ext.get_values_for_type(x509.IPAddress)]
    out += [f"uri:{v}" for v in ext.get_values_for_type(x509.UniformResourceIdentifier)]
    out += [f"email:{v}" for v in ext.get_values_for_type(x509.RFC822Name)]
    return tuple(out)


def identity_from_auth(auth: Mapping[str, Iterable[bytes]]) -> ClientIdentity | None:
    """The identity in a gRPC auth context, or None when no client certificate was verified.

    A certificate gRPC hands over but that cannot be parsed is treated as none.
    """
    pems = list(auth.get(PEER_CERT, ()))
    if not pems:
        return None
    try:
        cert = x509.load_pem_x509_certificate(pems[0])
    except ValueError:
        return None
    return ClientIdentity(
        subject=cert.subject.rfc4514_string(), sans=_san_names(cert), serial=cert.serial_number
    )


def client_identity(context: grpc.ServicerContext) -> ClientIdentity | None:
    """The calling client's identity (:func:`identity_from_auth` of the call's context)."""
    return identity_from_auth(context.auth_context())


__all__ = ["PEER_CERT", "ClientIdentity", "client_identity", "identity_from_auth"]
