"""Who is calling: the verified client certificate's subject and SANs (mTLS).

gRPC puts the peer's certificate in ``context.auth_context()`` (``x509_pem_cert``) only
after the handshake verified it against ``[tls] client_ca``; without mTLS there is none.
``[[clients]]`` tables name a client by its subject or a SAN; :func:`parse_subject`,
:func:`subject_matches` and :func:`normalise_san` say how they are compared
(docs/security.md, "Identities").
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import grpc
from cryptography import x509
from cryptography.x509.oid import NameOID

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
    name: NormalisedName = ()  # the subject as :func:`normalise_name` gives it


#: A distinguished name for comparison: its RDNs in the certificate's order, each a set of
#: (attribute type OID, normalised value).
NormalisedName = tuple[frozenset[tuple[str, str]], ...]

#: Attribute names accepted in a configured subject besides RFC 4514's (CN, L, ST, O, OU, C,
#: STREET, DC, UID); any other type is written as its dotted OID (``2.5.4.5=...``).
_EXTRA_NAMES = {
    "SERIALNUMBER": NameOID.SERIAL_NUMBER,
    "EMAILADDRESS": NameOID.EMAIL_ADDRESS,
    "E": NameOID.EMAIL_ADDRESS,
    "GIVENNAME": NameOID.GIVEN_NAME,
    "SN": NameOID.SURNAME,
    "T": NameOID.TITLE,
    "TITLE": NameOID.TITLE,
}


def normalise_value(value: str | bytes) -> str:
    """An attribute value for comparison, as RFC 4518's caseIgnoreMatch prepares it (roughly):
    Unicode NFKC, case folded, leading/trailing spaces removed, inner runs of spaces one space.
    A binary value is compared as its hex."""
    if isinstance(value, bytes):
        return value.hex()
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def normalise_name(name: x509.Name) -> NormalisedName:
    """``name`` as compared: RDNs in the certificate's order, attribute types by OID."""
    return tuple(
        frozenset((a.oid.dotted_string, normalise_value(a.value)) for a in rdn) for rdn in name.rdns
    )


def _tidy(text: str) -> str:
    """Forgive what people type around RFC 4514's syntax: attribute types in any case and
    spaces around ``,``, ``+`` and ``=`` (escaped characters are kept as they are)."""
    parts: list[str] = []
    separators: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char in ",+":
            parts.append("".join(current))
            separators.append(char)
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    out: list[str] = []
    for index, part in enumerate(parts):
        kind, sep, value = part.partition("=")
        value = value.strip(" ")
        if value.endswith("\\") and (len(value) - len(value.rstrip("\\"))) % 2:
            value += " "  # an escaped trailing space
        out.append(f"{kind.strip().upper()}{sep}{value}" if sep else part)
        if index < len(separators):
            out.append(separators[index])
    return "".join(out)


def parse_subject(text: str) -> NormalisedName:
    r"""A configured RFC 4514 subject (``CN=qlvb-phat-hanh,O=So Noi vu``), normalised.

    Escapes (``\,``) are resolved, spaces around separators forgiven; types may be names in
    any case (CN, O, OU, C, L, ST, UID, DC, STREET, SERIALNUMBER, EMAILADDRESS, GIVENNAME, SN,
    T) or dotted OIDs. Raises :class:`ValueError`.
    """
    try:
        name = x509.Name.from_rfc4514_string(_tidy(text), _EXTRA_NAMES)
    except ValueError as exc:
        raise ValueError(f"not an RFC 4514 distinguished name ({exc})") from None
    if not name.rdns:
        raise ValueError("an empty distinguished name")
    return normalise_name(name)


def subject_matches(configured: NormalisedName, presented: NormalisedName) -> bool:
    """Whether a certificate's subject is the configured one.

    RDN by RDN, each as a set of (type OID, normalised value); the whole sequence must match
    in RFC 4514's order (last RDN first, as configured) or, because tools print names both
    ways (OpenSSL in the certificate's order), in the reverse one. An extra, missing or
    different attribute is a mismatch.
    """
    if not configured or len(configured) != len(presented):
        return False
    return presented == configured or presented == tuple(reversed(configured))


_SAN_KINDS = ("dns", "ip", "uri", "email")


def normalise_san(text: str) -> str:
    """A SAN as ``kind:value`` for comparison with :attr:`ClientIdentity.sans`.

    ``dns``: lower case, no trailing dot; ``ip``: the address's canonical text; ``email``:
    the domain lower case; ``uri``: as written. Raises :class:`ValueError` for another kind
    or a bad value.
    """
    kind, sep, value = text.partition(":")
    kind, value = kind.strip().lower(), value.strip()
    if not sep or kind not in _SAN_KINDS or not value:
        raise ValueError("expected dns:NAME, ip:ADDRESS, uri:URI or email:ADDRESS")
    if kind == "dns":
        value = value.lower().rstrip(".")
    elif kind == "ip":
        try:
            value = str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError("ip: not an IP address") from None
    elif kind == "email":
        local, at, domain = value.rpartition("@")
        if not at or not local or not domain:
            raise ValueError("email: expected LOCAL@DOMAIN")
        value = f"{local}@{domain.lower()}"
    return f"{kind}:{value}"


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
        subject=cert.subject.rfc4514_string(),
        sans=_san_names(cert),
        serial=cert.serial_number,
        name=normalise_name(cert.subject),
    )


def client_identity(context: grpc.ServicerContext) -> ClientIdentity | None:
    """The calling client's identity (:func:`identity_from_auth` of the call's context)."""
    return identity_from_auth(context.auth_context())


__all__ = [
    "PEER_CERT",
    "ClientIdentity",
    "NormalisedName",
    "client_identity",
    "identity_from_auth",
    "normalise_name",
    "normalise_san",
    "normalise_value",
    "parse_subject",
    "subject_matches",
]
