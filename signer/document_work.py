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
from pathlib import Path
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


def check_signed_attributes(
    data: bytes, cert: x509.Certificate, fd: int, start: int, end: int
) -> None:
    """Refuse to sign ``data`` unless it is CMS signed attributes whose message digest is the
    SHA-256 of the file ``fd``'s bytes outside ``[start, end)`` (the ByteRange, ISO 32000-1
    12.8.1), that gap being ``<00…00>`` (an empty /Contents placeholder), whose content type is
    id-data and whose signing certificate (ESS signing-certificate-v2, RFC 5035) is ``cert``.

    Reads the file with ``pread`` (the worker's offset is left alone). Raises
    :class:`Precondition` (``SIGNING_BINDING_FAILED``) naming what did not match."""

    def refuse(problem: str) -> Precondition:
        return Precondition("SIGNING_BINDING_FAILED", problem=problem)

    if len(data) > MAX_SIGNED_ATTRIBUTES:
        raise refuse("signed attributes too large")
    try:
        attrs = {a["type"].native: a["values"] for a in cms.CMSAttributes.load(data)}
        content_type = attrs["content_type"][0].native
        message_digest = bytes(attrs["message_digest"][0].native)
        ess = attrs["signing_certificate_v2"][0]["certs"][0]
        ess_hash = bytes(ess["cert_hash"].native)
        ess_algo = ess["hash_algorithm"]["algorithm"].native
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise refuse("not CMS signed attributes") from exc
    if content_type != "data":
        raise refuse("content type is not id-data")
    if ess_algo != "sha256" or ess_hash != hashlib.sha256(cert.dump()).digest():
        raise refuse("signing certificate is not the key's")
    size = os.fstat(fd).st_size
    if not 0 < start < end <= size or end - start < 2:
        raise refuse("placeholder outside the document")
    gap = os.pread(fd, end - start, start)
    if gap[:1] != b"<" or gap[-1:] != b">" or gap[1:-1].strip(b"0"):
        raise refuse("placeholder is not empty")
    h = hashlib.sha256()
    for lo, hi in ((0, start), (end, size)):
        at = lo
        while at < hi:
            chunk = os.pread(fd, min(_CHUNK, hi - at), at)
            if not chunk:
                raise refuse("document shorter than it says")
            h.update(chunk)
            at += len(chunk)
    if h.digest() != message_digest:
        raise refuse("message digest is not the document's ByteRange")


def perform(
    service: SigningService,
    work: DocumentWork,
    document: BinaryIO,
    key_config: KeySettings | None,
    ask: KeyRequest | None,
    templates: CmsTemplates | None = None,
    source_path: Path | None = None,
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
        plan = service.plan(
            cert, chain, None, external, work.options, document, source_path, check=False
        )
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
        source_path,
        der_size=work.der_size,
        subject=work.subject,
        check=False,
    )
    service.run(plan, document, on_digest=signer.bind)
    return service.result(plan)


__all__ = [
    "MAX_SIGNED_ATTRIBUTES",
    "KeyRequest",
    "RemoteKeySigner",
    "check_signed_attributes",
    "perform",
]
