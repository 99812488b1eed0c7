"""A signature's PDF work apart from its key, so that it can run where hostile documents are
parsed (issue 9 §1: the cage) while the key stays in the server process.

Parsing the caller's document, placing the field, drawing the appearance, checking the
personal signature under a seal (Decree 30 Art. 32), hashing the ByteRange, the timestamp and
the DSS of B-LT/B-LTA all happen in a worker; the worker asks the server once for the raw
signature over the CMS signed attributes (:class:`RemoteKeySigner`). Before the key signs, the
server checks that what it is asked to sign binds the document it holds
(:func:`check_signed_attributes`): the message digest is the SHA-256 of that file's ByteRange,
whose gap is an empty placeholder, and the signing certificate is the key's. A worker taken
over by a hostile document can therefore only obtain a signature over the document it returns,
which the signing audit records.

The two-step flow (``PrepareSignature``) does the same work with the client's certificate and
no key: the worker returns the signed attributes to sign (:class:`PreparedDocument`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from asn1crypto import cms, x509
from pyhanko.sign.signers.pdf_cms import ExternalSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from kyso.errors import InvalidInput, Precondition
from signer import event_loop
from signer.keys.cms_template import CmsTemplates
from signer.keys.files import load_certificates
from signer.keys.registry import TemplatedSigner
from signer.model import DocumentWork, PreparedDocument, SignResult
from signer.pdf_signer import SigningService, guard_pyhanko
from signer.settings import KeySettings

#: The largest DER of signed attributes the server signs (bytes): pyHanko's are under 2 KiB.
MAX_SIGNED_ATTRIBUTES = 64 * 1024
_CHUNK = 1024 * 1024


#: Asks the server for the raw signature: (signed attributes DER, digest algorithm,
#: placeholder start, end) -> signature value.
KeyRequest = Callable[[bytes, str, int, int], bytes]


class RemoteKeySigner(TemplatedSigner):
    """A pyHanko signer whose raw signature is made by the server's key (``ask``); the
    placeholder's offsets are bound by :meth:`bind` once the ByteRange is hashed. B-B
    signatures are assembled from ``templates`` (the worker's, per key and certificate), as
    the server's own signers do (signer.keys.cms_template)."""

    def __init__(
        self,
        cert: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        mechanism: cms.SignedDigestAlgorithm,
        ask: KeyRequest,
        output: BinaryIO,
        templates: CmsTemplates,
    ) -> None:
        self._templates = templates
        self._chain_for_registry = chain
        super().__init__(signing_cert=cert, signature_mechanism=mechanism, embed_roots=False)
        self._ask = ask
        self._output = output
        self._size = cert.public_key.byte_size * 2 + 16
        self._region: tuple[int, int] | None = None

    def bind(self, start: int, end: int) -> None:
        self._region = (start, end)

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run or self._region is None:
            return bytes(self._size)
        self._output.flush()  # the server reads the file it binds
        return self._ask(data, digest_algorithm, *self._region)


#: Where the server reads what it binds: an open file's descriptor (read with ``pread``, the
#: worker's offset left alone) or the bytes themselves.
Source = int | bytes


def _size(source: Source) -> int:
    return os.fstat(source).st_size if isinstance(source, int) else len(source)


def _read(source: Source, length: int, offset: int) -> bytes:
    if isinstance(source, int):
        return os.pread(source, length, offset)
    return source[offset : offset + length]


@dataclass(frozen=True)
class Binding:
    """What a checked signature binds: the placeholder ``[start, end)`` (bytes) of a file then
    ``size`` bytes long, and the SHA-256 ``digest`` of the rest (the ByteRange)."""

    start: int
    end: int
    size: int
    digest: bytes

    def holds(self, source: Source, signature: bytes) -> bool:
        """Whether ``source`` still has the same ByteRange bytes and now carries ``signature``
        (hex) in the placeholder: checked once the worker is done, before anything leaves."""
        if _size(source) < self.size:
            return False
        gap = _read(source, self.end - self.start, self.start).lower()
        if signature.hex().encode() not in gap:
            return False
        return _hash_outside(source, self) == self.digest


def _hash_outside(
    source: Source, binding: Binding, prefix: tuple[int, bytes] | None = None
) -> bytes:
    """SHA-256 of ``[0, start) + [end, size)``; with ``prefix`` (length, SHA-256), raises
    unless the first ``length`` bytes have that digest."""
    h = hashlib.sha256()
    marks = {prefix[0]} if prefix is not None else set()
    for lo, hi in ((0, binding.start), (binding.end, binding.size)):
        at = lo
        while at < hi:
            stop = min(hi, at + _CHUNK, *(m for m in marks if m > at))
            chunk = _read(source, stop - at, at)
            if len(chunk) != stop - at:
                raise _refuse("document shorter than it says")
            h.update(chunk)
            at = stop
            if prefix is not None and at == prefix[0] and h.copy().digest() != prefix[1]:
                raise _refuse("the caller's document was changed")
    return h.digest()


def _refuse(problem: str) -> Precondition:
    return Precondition("SIGNING_BINDING_FAILED", problem=problem)


_WANTED = ("content_type", "message_digest", "signing_certificate_v2")


def check_signed_attributes(
    data: bytes,
    cert: x509.Certificate,
    source: Source,
    start: int,
    end: int,
    *,
    reserved: int,
    original: tuple[int, bytes],
) -> Binding:
    """Refuse to sign ``data`` unless it binds ``source``, the file the server holds.

    ``data`` must be DER CMS signed attributes (strict DER, each attribute once with one value)
    with the id-data content type, the key's ``cert`` in the ESS signing-certificate-v2
    (RFC 5035), and a message digest equal to the SHA-256 of the file's bytes outside
    ``[start, end)``: the ByteRange (ISO 32000-1 12.8.1). That gap must be an empty /Contents
    placeholder ``<00…00>`` of ``reserved`` hex digits, and it must come after the
    ``original`` document (length in bytes, SHA-256) unchanged at the head of the file. So the
    signature can only cover the caller's document and the update appended to it.

    Returns the :class:`Binding` to check again once the work is done. Raises
    :class:`Precondition` (``SIGNING_BINDING_FAILED``) naming what did not match."""
    if len(data) > MAX_SIGNED_ATTRIBUTES:
        raise _refuse("signed attributes too large")
    try:
        attrs = cms.CMSAttributes.load(data, strict=True)
        types = [a["type"].native for a in attrs]
        if len(set(types)) != len(types) or not set(_WANTED) <= set(types):
            raise ValueError("attributes missing or repeated")
        values = {a["type"].native: a["values"] for a in attrs}
        if any(len(values[name]) != 1 for name in _WANTED):
            raise ValueError("an attribute with several values")
        content_type = values["content_type"][0].native
        message_digest = bytes(values["message_digest"][0].native)
        ess_certs = values["signing_certificate_v2"][0]["certs"]
        if len(ess_certs) != 1:
            raise ValueError("several signing certificates")
        ess_hash = bytes(ess_certs[0]["cert_hash"].native)
        ess_algo = ess_certs[0]["hash_algorithm"]["algorithm"].native
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise _refuse("not CMS signed attributes") from exc
    if content_type != "data":
        raise _refuse("content type is not id-data")
    if ess_algo != "sha256" or ess_hash != hashlib.sha256(cert.dump()).digest():
        raise _refuse("signing certificate is not the key's")
    size = _size(source)
    if end - start != reserved + 2 or not original[0] <= start < end <= size:
        raise _refuse("placeholder not where the update goes or not of the reserved size")
    gap = _read(source, end - start, start)
    if gap[:1] != b"<" or gap[-1:] != b">" or gap[1:-1].strip(b"0"):
        raise _refuse("placeholder is not empty")
    binding = Binding(start, end, size, message_digest)
    if _hash_outside(source, binding, original) != message_digest:
        raise _refuse("message digest is not the document's ByteRange")
    return binding


def perform(
    service: SigningService,
    work: DocumentWork,
    document: BinaryIO,
    key_config: KeySettings | None,
    ask: KeyRequest | None,
    templates: CmsTemplates | None = None,
) -> SignResult | PreparedDocument:
    """Do ``work`` on ``document`` (a file open for update; the update is appended in place)
    with ``service`` (a :class:`signer.pdf_signer.SigningService` without keys) and the
    key's CMS ``templates`` (kept by the caller across signatures). A server
    key's signature is finished (timestamp, DSS and document timestamp by level) and its
    result returned without size and SHA-256; a two-step one stops at the signed attributes.

    Raises what :meth:`SigningService.plan` and pyHanko's flow raise (as kyso errors)."""
    cert = x509.Certificate.load(work.certificate)
    chain = tuple(c for der in work.chain for c in load_certificates(der))
    if work.two_step:
        external = ExternalSigner(
            cert,
            SimpleCertificateStore.from_certs([cert, *chain]),
            signature_value=cert.public_key.byte_size * 2,
        )
        plan = service.plan(cert, chain, None, external, work.options, document, None, check=False)
        box: list[PreparedDocument] = []

        async def _prepare() -> None:
            prepared, _tbs, _out, attrs = await service.digest(plan, document)
            signed = await external.signed_attrs(
                prepared.document_digest, "sha256", attr_settings=attrs, use_pades=True
            )
            box.append(
                PreparedDocument(
                    signed.dump(),
                    prepared.document_digest,
                    prepared.reserved_region_start,
                    prepared.reserved_region_end,
                    service.result(plan),
                )
            )

        guard_pyhanko(lambda: event_loop.run(_prepare()))
        return box[0]
    if ask is None or work.mechanism is None:
        raise InvalidInput("SIGNING_REFUSED")
    mechanism = cms.SignedDigestAlgorithm.load(work.mechanism)
    signer = RemoteKeySigner(cert, chain, mechanism, ask, document, templates or CmsTemplates())
    plan = service.plan(
        cert,
        chain,
        key_config,
        signer,
        work.options,
        document,
        None,  # no path: the anchor search's pdftotext reads a temporary copy
        der_size=work.der_size,
        subject=work.subject,
        check=False,
    )
    service.run(plan, document, on_digest=signer.bind)
    return service.result(plan)


__all__ = [
    "MAX_SIGNED_ATTRIBUTES",
    "Binding",
    "KeyRequest",
    "RemoteKeySigner",
    "check_signed_attributes",
    "perform",
]
