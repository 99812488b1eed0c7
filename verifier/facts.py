"""First pass: what the file claims, per signature, as frozen facts (DSS's DiagnosticData).

Nothing here is trusted or judged: the building blocks (``verifier/process/``) decide.  Reading
a hostile file can raise anywhere; a fact that could not be read keeps its exception in
``errors`` and the block that needs it calls :meth:`SignatureFacts.need`, which raises it at the
same point of the process as before the split (the signature then ends INDETERMINATE, "could
not be processed"), so a broken fact never silently becomes an absent one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from asn1crypto import cms, x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from verifier import revocation, timestamps
from verifier.identification import embedded_certificates, find_signer_certificate
from verifier.integrity import digest_parameters, signature_algorithm_name
from verifier.model import Kind
from verifier.signatures import FoundSignature

_T = TypeVar("_T")


@dataclass(frozen=True)
class SignatureFacts:
    """One filled signature field (a signature or a document timestamp), as claimed."""

    index: int
    kind: Kind
    field_name: str
    sub_filter: str  # with its slash: "/ETSI.CAdES.detached"
    sig_ref: generic.Reference | None
    byte_range: tuple[int, ...] | None
    contents: bytes | None  # the decoded /Contents string (DER plus zero padding)
    problems: Mapping[str, str]  # policy constraint -> English reason (what could not be read)
    signed_data: cms.SignedData | None
    signer_info: cms.SignerInfo | None
    signed_attrs_der: bytes | None  # what the signature value covers, captured untouched
    digest_algorithm: str = ""
    digest_length_bits: int | None = None  # SHAKE output length (``shake*_len`` parameter)
    signature_algorithm: str = ""
    cms_signer_certificate: x509.Certificate | None = None  # by sid among the CMS certificates
    signer_certificate: x509.Certificate | None = None  # by sid, the document's DSS included
    cms_certificates: tuple[x509.Certificate, ...] = ()
    claimed_signing_time: datetime | None = None  # CMS signing-time, else the dictionary's /M
    timestamp_tokens: tuple[cms.SignedData, ...] = ()  # signature timestamps (unsigned attrs)
    content_timestamp_tokens: tuple[cms.SignedData, ...] = ()  # id-aa-ets-contentTimestamp
    cms_revocation: revocation.EmbeddedValidationData = field(
        default_factory=revocation.EmbeddedValidationData
    )
    errors: Mapping[str, Exception] = field(default_factory=dict)

    @property
    def sub_filter_name(self) -> str:
        return self.sub_filter.lstrip("/")

    def need(self, *names: str) -> None:
        """Raise the exception met while reading any of the facts ``names``."""
        for name in names:
            error = self.errors.get(name)
            if error is not None:
                raise error


@dataclass(frozen=True)
class DocumentFacts:
    """The document: its bytes, parsed structure (None: unreadable) and embedded data."""

    data: Any  # bytes, or an mmap of a spooled stream
    reader: PdfFileReader | None
    dss: revocation.EmbeddedValidationData
    signatures: tuple[SignatureFacts, ...]


def _dict_time(found: FoundSignature) -> datetime | None:
    if found.sig_object is None:
        return None
    try:
        m = found.sig_object.get("/M")
        if m is None:
            return None
        return generic.parse_pdf_date(str(m))
    except Exception:
        return None


def signature_facts(found: FoundSignature, dss_certs: list[x509.Certificate]) -> SignatureFacts:
    """Read what ``found`` claims; nothing raised here escapes (see :meth:`SignatureFacts.need`)."""
    errors: dict[str, Exception] = {}
    values: dict[str, Any] = {}

    def read(name: str, fn: Callable[[], _T]) -> None:
        try:
            values[name] = fn()
        except Exception as exc:
            errors[name] = exc

    si, sd = found.signer_info, found.signed_data
    if si is not None:
        read("digest_algorithm", lambda: str(si["digest_algorithm"]["algorithm"].native))
        read("digest_length_bits", lambda: digest_parameters(si["digest_algorithm"]))
        read("signature_algorithm", lambda: signature_algorithm_name(si))
    if si is not None and sd is not None and found.kind is Kind.SIGNATURE:
        read("cms_signer_certificate", lambda: find_signer_certificate(sd, si))
        read("signer_certificate", lambda: find_signer_certificate(sd, si, dss_certs))
        read("cms_certificates", lambda: tuple(embedded_certificates(sd)))
        read(
            "claimed_signing_time",
            lambda: timestamps.claimed_signing_time(si, _dict_time(found)),
        )
        read("timestamp_tokens", lambda: tuple(timestamps.signature_timestamp_tokens(si)))
        read(
            "content_timestamp_tokens",
            lambda: tuple(timestamps.content_timestamp_tokens(si)),
        )
        read("cms_revocation", lambda: revocation.from_cms(si))
    elif si is not None and sd is not None:
        read("cms_signer_certificate", lambda: find_signer_certificate(sd, si))
    return SignatureFacts(
        index=found.index,
        kind=found.kind,
        field_name=found.field_name,
        sub_filter=found.sub_filter,
        sig_ref=found.sig_ref,
        byte_range=tuple(found.byte_range) if found.byte_range is not None else None,
        contents=found.contents,
        problems=dict(found.problems),
        signed_data=sd,
        signer_info=si,
        signed_attrs_der=found.signed_attrs_der,
        errors=errors,
        **values,
    )


def document_facts(
    data: Any,
    reader: PdfFileReader | None,
    found: list[FoundSignature],
    dss: revocation.EmbeddedValidationData,
) -> DocumentFacts:
    certs = list(dss.certs)
    return DocumentFacts(data, reader, dss, tuple(signature_facts(f, certs) for f in found))


__all__ = ["DocumentFacts", "SignatureFacts", "document_facts", "signature_facts"]
