"""The hardened, namespace-aware, streaming edXML reader (QCVN 102:2016/BTTTT; edxml.md §1-2).

* **Hardened.** Expat through :mod:`defusedxml`: a DTD that declares any entity is refused
  (``PACKAGE_ENTITIES_REFUSED``: the billion-laughs bomb), one that names an external entity
  or DTD is refused as ``PACKAGE_EXTERNAL_REFERENCE_REFUSED``; nothing is ever fetched.
* **Namespace-aware, by name.** Elements are matched by namespace and local name along their
  path (``MessageHeader/From/OrganId``), never by position: producers order MessageHeader and
  TraceHeaderList differently (edxml.md §1.6). Only ``http://www.mic.gov.vn/TBT/QCVN_102_2016``
  counts; the header's ``Signature`` is read in either that or the XMLDSig namespace.
* **Streaming.** The input is fed to the parser in chunks and each attachment's base64 goes
  through :class:`kyso.edxml.attachments.Base64Stream` into a spooled temporary file: memory
  stays bounded for a package of any size (limits: :class:`ReaderLimits`).
* **Lenient retry, flagged.** VPCP's hand-made samples use ``edXML:``/``xlink:`` prefixes they
  never declare, and one has stray bytes before the XML declaration (edxml.md §1.1). When the
  strict parse fails that way, the message is read again without namespace processing, matching
  the local part of each name, and :attr:`Package.lenient` says so.
* **Families.** The SOAP e-doc family (``http://www.e-doc.vn/Schema/``) is recognised and
  refused; status messages (MessageHeader with StatusCode) are recognised (edxml.md §2.2).
"""

from __future__ import annotations

import hashlib
import mmap
import xml.sax
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.expatreader import DefusedExpatParser

from kyso.edxml.attachments import (
    ZIP,
    Base64Stream,
    ContentLimits,
    ContentTooLarge,
    detect_type,
    new_spool,
    read_head,
    unpack_single_entry,
)
from kyso.edxml.model import (
    EDOC_NS,
    QCVN_NS,
    SOAP_NS,
    XMLDSIG_NS,
    Attachment,
    Family,
    Organisation,
    Package,
    Reference,
    Refusal,
    TraceEntry,
)

_FEED_CHUNK = 256 * 1024
_TEXT_BUFFER = 1024 * 1024
_FIELD_CHARS = 8192  # longest text kept of one header field (Decree 30's longest is 1000)
_JUNK_BEFORE_XML = 16  # stray bytes tolerated before '<' by the lenient retry
#: Deepest element nesting read (edXML's deepest path is about 10). The path functions look up
#: the element stack, so 200,000 nested elements cost O(n²): minutes (found by bench/fuzz.py).
_MAX_DEPTH = 64

_ORG_FIELDS = {
    "OrganId": "organ_id",
    "OrganizationInCharge": "organization_in_charge",
    "OrganName": "organ_name",
    "OrganAdd": "address",
    "Email": "email",
    "Telephone": "telephone",
    "Fax": "fax",
    "Website": "website",
}
#: MessageHeader paths (below MessageHeader) -> Header attribute.
_HEADER_FIELDS = {
    ("Code", "CodeNumber"): "code_number",
    ("Code", "CodeNotation"): "code_notation",
    ("PromulgationInfo", "Place"): "place",
    ("PromulgationInfo", "PromulgationDate"): "promulgation_date",
    ("DocumentType", "Type"): "document_type",
    ("DocumentType", "TypeDetail"): "type_detail",
    ("DocumentType", "TypeName"): "type_name",
    ("Subject",): "subject",
    ("Content",): "content",
    ("SignerInfo", "Competence"): "signer_competence",
    ("SignerInfo", "Position"): "signer_position",
    ("SignerInfo", "FullName"): "signer_full_name",
    ("DueDate",): "due_date",
    ("OtherInfo", "Priority"): "priority",
    ("OtherInfo", "PageAmount"): "page_amount",
    ("SteeringType",): "steering_type",
    ("DocumentId",): "document_id",
}
_STATUS_FIELDS = {
    ("StatusCode",): "code",
    ("Description",): "description",
    ("Timestamp",): "timestamp",
    ("ResponseFor", "OrganId"): "response_for_organ_id",
    ("ResponseFor", "Code"): "response_for_code",
    ("ResponseFor", "DocumentId"): "response_for_document_id",
}
_BUSINESS_FIELDS = {
    "BussinessDocType": "business_doc_type",
    "BussinessDocReason": "business_doc_reason",
    "DocumentId": "business_document_id",
}
_REFERENCE_FIELDS = {
    "ContentId": "content_id",
    "ContentType": "content_type",
    "Description": "description",
    "AttachmentName": "attachment_name",
}

#: What :func:`read_package` reads: the message's bytes (or a read-only map of them), its
#: path, or an open binary file.
Source = bytes | mmap.mmap | Path | IO[bytes]


@dataclass(frozen=True)
class ReaderLimits:
    """Limits of one message (``[intake]`` settings)."""

    max_attachments: int
    content: ContentLimits


class _Parser(DefusedExpatParser):
    """defusedxml's expat reader with expat's text buffering: character data comes in pieces of
    up to 1 MiB instead of one call per line (a 200 MB package is 2.7 million base64 lines)."""

    def reset(self) -> None:
        super().reset()
        expat = self._parser  # type: ignore[attr-defined]  # set by ExpatParser.reset
        expat.buffer_text = True
        expat.buffer_size = _TEXT_BUFFER


class _Refused(Exception):
    def __init__(self, refusal: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.refusal = refusal
        self.detail = detail


class _Handler(xml.sax.handler.ContentHandler):
    """Builds a :class:`Package` from SAX events; ``lenient``: names are prefixed qnames."""

    def __init__(self, package: Package, limits: ReaderLimits, lenient: bool) -> None:
        super().__init__()
        self.p = package
        self.limits = limits
        self.lenient = lenient
        self.stack: list[str] = []
        self.in_qcvn: list[bool] = []
        self.text: list[str] = []
        self.text_len = 0
        self.root_seen = False
        self.soap = False
        self.declared_qcvn = False
        self.b64: Base64Stream | None = None
        self.attachment: Attachment | None = None

    # ---- names
    def startElementNS(self, name: tuple[str | None, str], qname: str | None, attrs: Any) -> None:
        uri, local = name
        self._start(uri or "", local, dict(attrs.items()) if attrs else {}, attrs)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        self._end()

    def startElement(self, name: str, attrs: Any) -> None:  # lenient: no namespaces
        prefix, _, local = name.rpartition(":")
        values = dict(attrs.items())
        for key, value in values.items():
            if key.startswith("xmlns") and value == QCVN_NS:
                self.declared_qcvn = True
            if key.startswith("xmlns") and value == EDOC_NS:
                raise _Refused(Refusal.LEGACY_EDOC, "e-doc namespace declared")
        uri = QCVN_NS if prefix in ("", "edXML") else ""
        if local == "Signature" and values.get("xmlns") == XMLDSIG_NS:
            uri = XMLDSIG_NS
        self._start(uri, local, {}, None)

    def endElement(self, name: str) -> None:
        self._end()

    # ---- structure
    def _start(self, uri: str, local: str, attrs: dict[Any, str], raw: Any) -> None:
        if not self.root_seen:
            self.root_seen = True
            self._root(uri, local)
        if uri == EDOC_NS:
            raise _Refused(Refusal.LEGACY_EDOC, f"element {local} in the e-doc namespace")
        if len(self.stack) >= _MAX_DEPTH:
            raise _Refused(Refusal.NOT_EDXML, f"elements nested deeper than {_MAX_DEPTH}")
        self.stack.append(local)
        self.in_qcvn.append(uri in (QCVN_NS, XMLDSIG_NS))
        self.text.clear()
        self.text_len = 0
        path = self.stack
        if self.soap or not self.in_qcvn[-1]:
            return
        if local == "To" and self._under("MessageHeader") == ("To",):
            self.p.header.recipients.append(Organisation())
        elif local == "TraceHeader" and self._under("TraceHeaderList") == ("TraceHeader",):
            self.p.header.trace.append(TraceEntry())
        elif local == "Reference" and self._under("edXMLManifest") == ("Reference",):
            ref = Reference()
            href = _attr(attrs, raw, "href")
            if href:
                ref.content_id = href
            self.p.references.append(ref)
        elif local == "Attachment" and self._under("AttachmentEncoded") == ("Attachment",):
            if len(self.p.attachments) >= self.limits.max_attachments:
                raise _Refused(
                    Refusal.TOO_MANY_ATTACHMENTS, f"more than {self.limits.max_attachments}"
                )
            self.attachment = Attachment()
            self.p.attachments.append(self.attachment)
        elif local == "ContentTransferEncoded" and self.attachment is not None:
            self.attachment.data = new_spool(self.limits.content)
            self.b64 = Base64Stream(self.attachment.data, self.limits.content.max_attachment_bytes)
        elif "Signature" in path and self._under("edXMLHeader")[:1] == ("Signature",):
            self._signature_start(local, attrs, raw, uri)

    def _root(self, uri: str, local: str) -> None:
        if uri in SOAP_NS:
            self.soap = True  # an e-doc SOAP message shows its namespace further down
            return
        if local == "edXML" and (uri == QCVN_NS or (self.lenient and self.declared_qcvn)):
            return
        where = f"{{{uri}}}{local}" if uri else local
        raise _Refused(Refusal.NOT_EDXML, f"root element {where[:120]}")

    def _under(self, ancestor: str) -> tuple[str, ...]:
        """The path below the innermost ``ancestor`` (empty tuple when not under it)."""
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] == ancestor:
                return tuple(self.stack[i + 1 :])
        return ()

    def characters(self, content: str) -> None:
        if self.b64 is not None:
            self.b64.feed(content)
        elif self.text_len < _FIELD_CHARS:
            self.text.append(content)
            self.text_len += len(content)
        elif self.stack and self.stack[-1] == "X509Certificate":
            self.p.signature.certificate_chars += len(content)

    def _end(self) -> None:
        local = self.stack[-1]
        qcvn = self.in_qcvn[-1]
        text = "".join(self.text).strip()[:_FIELD_CHARS]
        self.text.clear()
        self.text_len = 0
        if qcvn and not self.soap:
            self._assign(local, text)
        self.stack.pop()
        self.in_qcvn.pop()

    def _assign(self, local: str, text: str) -> None:
        p, h = self.p, self.p.header
        below = self._under("MessageHeader")
        if below:
            if len(below) == 1:
                h.present.add(below[0])
            if below[0] == "From" and len(below) == 2 and local in _ORG_FIELDS:
                setattr(h.sender, _ORG_FIELDS[local], text)
            elif below[0] == "To" and len(below) == 2 and local in _ORG_FIELDS:
                if h.recipients:
                    setattr(h.recipients[-1], _ORG_FIELDS[local], text)
            elif below == ("ToPlaces", "Place") and text:
                h.to_places.append(text)
            elif below in _HEADER_FIELDS:
                setattr(h, _HEADER_FIELDS[below], text)
            if below in _STATUS_FIELDS:
                setattr(p.status, _STATUS_FIELDS[below], text)
            return
        trace = self._under("TraceHeaderList")
        if len(trace) == 2 and trace[0] == "TraceHeader" and h.trace:
            if local == "OrganId":
                h.trace[-1].organ_id = text
            elif local == "Timestamp":
                h.trace[-1].timestamp = text
            return
        if len(trace) == 2 and trace[0] == "Bussiness" and local in _BUSINESS_FIELDS:
            setattr(h, _BUSINESS_FIELDS[local], text)
            return
        manifest = self._under("edXMLManifest")
        if len(manifest) == 2 and manifest[0] == "Reference" and p.references:
            if local in _REFERENCE_FIELDS and text:
                setattr(p.references[-1], _REFERENCE_FIELDS[local], text)
            return
        encoded = self._under("AttachmentEncoded")
        if len(encoded) == 2 and encoded[0] == "Attachment" and self.attachment is not None:
            if local == "ContentTransferEncoded" and self.b64 is not None:
                self.attachment.sha256 = self.b64.finish()
                self.attachment.size = self.b64.size
                self.attachment.base64_error = self.b64.error
                self.b64 = None
            elif local in _REFERENCE_FIELDS:
                setattr(self.attachment, _REFERENCE_FIELDS[local], text)
            return
        if encoded == ("Attachment",) and self.attachment is not None:
            _settle(self.attachment, self.limits.content)
            self.attachment = None
            return
        sig = self._under("edXMLHeader")
        if sig[:1] == ("Signature",) and local == "X509SubjectName":
            p.signature.subject_name = text[:256]
        elif sig[:1] == ("Signature",) and local == "X509Certificate":
            p.signature.certificate_chars += len(text)

    def _signature_start(self, local: str, attrs: dict[Any, str], raw: Any, uri: str) -> None:
        s = self.p.signature
        if local == "Signature":
            s.present = True
            s.namespace = uri or "(none)"
        elif local == "SignatureMethod":
            s.signature_method = _attr(attrs, raw, "Algorithm")[:200]
        elif local == "DigestMethod":
            s.digest_methods.append(_attr(attrs, raw, "Algorithm")[:200])

    def endDocument(self) -> None:
        if self.soap:
            raise _Refused(Refusal.NOT_EDXML, "a SOAP envelope without an edXML or e-doc message")


def _attr(attrs: dict[Any, str], raw: Any, local: str) -> str:
    """An attribute by local name, with or without a namespace (``xlink:href``)."""
    for key, value in attrs.items():
        name = key[1] if isinstance(key, tuple) else key.rpartition(":")[2]
        if name == local:
            return value
    return ""


def _settle(a: Attachment, limits: ContentLimits) -> None:
    """After an attachment's end: the type by magic bytes; a single-entry ZIP unpacked."""
    if a.data is None or a.base64_error:
        return
    head = read_head(a.data)
    a.detected_type = detect_type(head)
    if a.detected_type != ZIP or a.attachment_name.lower().endswith(".zip"):
        return
    # edxml.md §1.5: a ZIP whose name is not .zip is the file packed by the sender's library
    try:
        inner, size, sha = unpack_single_entry(a.data, limits)
    except ValueError as exc:
        a.zip_problem = str(exc)
        return
    a.data.close()
    a.data, a.size, a.sha256, a.unzipped = inner, size, sha, True
    a.detected_type = detect_type(read_head(inner))


def _chunks(source: Source, skip: int = 0) -> Iterator[bytes]:
    if isinstance(source, Path):
        with source.open("rb") as f:
            yield from _file_chunks(f, skip)
    elif isinstance(source, bytes | bytearray | memoryview | mmap.mmap):
        view = memoryview(source)
        for at in range(skip, len(view), _FEED_CHUNK):
            yield bytes(view[at : at + _FEED_CHUNK])
    else:
        yield from _file_chunks(source, skip)


def _file_chunks(f: IO[bytes], skip: int) -> Iterator[bytes]:
    f.seek(skip)
    while chunk := f.read(_FEED_CHUNK):
        yield chunk


def _head(source: Source) -> bytes:
    if isinstance(source, Path):
        with source.open("rb") as f:
            return f.read(64)
    if isinstance(source, bytes | bytearray | memoryview | mmap.mmap):
        return bytes(source[:64])
    source.seek(0)
    return source.read(64)


def _parse(source: Source, limits: ReaderLimits, lenient: bool, skip: int) -> Package:
    package = Package()
    handler = _Handler(package, limits, lenient)
    parser = _Parser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser.setFeature(xml.sax.handler.feature_namespaces, not lenient)
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setContentHandler(handler)
    digest, size = hashlib.sha256(), 0
    digest.update(_head(source)[:skip])  # the package's hash covers what the parse skips
    try:
        for chunk in _chunks(source, skip):
            digest.update(chunk)
            size += len(chunk)
            parser.feed(chunk)
        parser.close()
    except BaseException:
        package.close()
        raise
    package.size, package.sha256 = size + skip, digest.hexdigest().upper()
    package.lenient, package.leading_junk = lenient, skip
    package.family = Family.STATUS if "StatusCode" in package.header.present else Family.DOCUMENT
    return package


def read_package(source: Source, limits: ReaderLimits) -> Package:
    """Read one edXML message from bytes (or a read-only map), a path or an open binary file
    (read from its start); never raises for what the message contains.

    A message that cannot be read as edXML comes back with ``family`` REFUSED or LEGACY_EDOC
    and ``refusal``/``refusal_detail`` saying why (English, no document content). The caller
    closes the package (:meth:`Package.close`) to release its attachments' spooled files.
    """
    try:
        return _parse(source, limits, lenient=False, skip=0)
    except _Refused as exc:
        return _refused(source, exc.refusal, exc.detail)
    except EntitiesForbidden as exc:
        if exc.sysid or exc.pubid:
            return _refused(source, Refusal.EXTERNAL, "an external entity is declared")
        return _refused(source, Refusal.ENTITIES, "the DTD declares entities")
    except (ExternalReferenceForbidden, DTDForbidden):
        return _refused(source, Refusal.EXTERNAL, "an external DTD or entity is referenced")
    except ContentTooLarge as exc:
        return _refused(source, Refusal.ATTACHMENT_TOO_LARGE, str(exc))
    except xml.sax.SAXParseException as exc:
        strict_error = exc.getMessage()
    # The known malformed variants (edxml.md §1.1): unbound prefixes, junk before the XML.
    head = _head(source)
    skip = len(head) - len(head.lstrip())
    first = head.find(b"<")
    if 0 <= first <= _JUNK_BEFORE_XML and head[:first].strip():
        skip = first
    if "unbound prefix" not in strict_error and not skip:
        return _refused(source, Refusal.NOT_XML, strict_error[:200])
    try:
        package = _parse(source, limits, lenient=True, skip=skip)
    except _Refused as exc:
        return _refused(source, exc.refusal, exc.detail)
    except (EntitiesForbidden, ExternalReferenceForbidden, DTDForbidden):
        return _refused(source, Refusal.ENTITIES, "the DTD declares entities")
    except ContentTooLarge as exc:
        return _refused(source, Refusal.ATTACHMENT_TOO_LARGE, str(exc))
    except xml.sax.SAXParseException as exc:
        return _refused(source, Refusal.NOT_XML, f"{strict_error[:120]}; {exc.getMessage()[:80]}")
    return package


def _refused(source: Source, refusal: Refusal, detail: str) -> Package:
    digest, size = hashlib.sha256(), 0
    for chunk in _chunks(source):
        digest.update(chunk)
        size += len(chunk)
    family = Family.LEGACY_EDOC if refusal is Refusal.LEGACY_EDOC else Family.REFUSED
    return Package(
        family=family,
        refusal=refusal,
        refusal_detail=detail,
        size=size,
        sha256=digest.hexdigest().upper(),
    )


__all__ = ["ReaderLimits", "read_package"]
