"""Signature fields as a reader sees them: widget page and rectangle, image or text appearance,
whose certificate signed, and in which order.

Decree 30/2020 Appendix I §II.7–8 places the personal signature (an image, between the signer's
title and name), the organisation's (the seal image over the left third of the personal one)
and, for separate attachments and electronic copies, an organisation signature without image,
top right of page 1. This module reports the facts; ``verifier.layout`` judges them.

Role: a certificate whose common name is the organisation's name (CN = O) or is written all in
capitals ("CHÍNH PHỦ", "ỦY BAN VĂN HÓA VÀ XÃ HỘI": how the government CA issues organisation
certificates) is the organisation's; a common name in normal case is a person's. The evidence
is kept for the report. Hostile input: every field is read inside a guard, at most
:data:`MAX_FIELDS` fields and :data:`MAX_PAGES` pages are looked at.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from kyso.layout.geometry import Rect

log = logging.getLogger("kyso.layout.fields")

MAX_FIELDS = 256
MAX_PAGES = 10_000
PERSONAL = "personal"
ORGANISATION = "organisation"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class SignatureField:
    name: str
    page: int | None  # 1-based; None: the widget is on no page
    rect: Rect | None  # user space; None or empty: invisible
    signed: bool
    has_image: bool  # the normal appearance draws an image
    common_name: str = ""
    organisation: str = ""
    role: str = UNKNOWN
    role_evidence: str = ""
    order: int = -1  # 0 = signed first (by where its signed bytes end); -1 unsigned
    signed_end: int = -1

    @property
    def visible(self) -> bool:
        return self.rect is not None and self.rect.width > 1 and self.rect.height > 1


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def classify(common_name: str, organisation: str) -> tuple[str, str]:
    """(role, evidence) of a signer from the certificate's CN and O."""
    cn, o = _nfc(common_name), _nfc(organisation)
    if not cn:
        return UNKNOWN, "the certificate has no common name"
    if o and cn.casefold() == o.casefold():
        return ORGANISATION, f"CN = O = {cn!r}"
    letters = [c for c in cn if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return ORGANISATION, f"CN {cn!r} is written in capitals (an organisation's name)"
    return PERSONAL, f"CN {cn!r} is a person's name (normal case)"


def _names(contents: bytes) -> tuple[str, str]:
    info = cms.ContentInfo.load(contents)
    signed = info["content"]
    signer = signed["signer_infos"][0]
    sid = signer["sid"]
    for choice in signed["certificates"] or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if cert.serial_number != ias["serial_number"].native or cert.issuer != ias["issuer"]:
                continue
        elif cert.key_identifier != sid.chosen.native:
            continue
        subject = cert.subject.native
        return str(subject.get("common_name", "")), str(subject.get("organization_name", ""))
    return "", ""


def _has_image(xobject: Any, depth: int = 0) -> bool:
    """True when an appearance stream (a form XObject) draws an image, directly or nested."""
    if depth > 4:
        return False
    try:
        resources = xobject.get("/Resources")
        if resources is None:
            return False
        xobjects = resources.get_object().get("/XObject")
        if xobjects is None:
            return False
        for value in xobjects.get_object().values():
            obj = value.get_object()
            subtype = obj.get("/Subtype")
            if subtype == "/Image":
                return True
            if subtype == "/Form" and _has_image(obj, depth + 1):
                return True
    except (KeyError, TypeError, AttributeError, ValueError):
        return False
    return False


def _page_index(reader: PdfFileReader) -> tuple[dict[int, int], dict[int, int]]:
    """(page object number → page, widget object number → page) over the page tree."""
    pages: dict[int, int] = {}
    annots: dict[int, int] = {}
    try:
        count = min(int(reader.root["/Pages"]["/Count"]), MAX_PAGES)
    except (KeyError, TypeError, ValueError):
        return pages, annots
    for index in range(count):
        try:
            ref, _ = reader.find_page_for_modification(index)
        except (KeyError, IndexError, TypeError, ValueError):
            break
        pages[ref.idnum] = index + 1
        page = ref.get_object()
        for a in page.get("/Annots") or []:
            if isinstance(a, generic.IndirectObject):
                annots[a.idnum] = index + 1
    return pages, annots


def _terminal_fields(reader: PdfFileReader) -> list[tuple[Any, Any, str, Any]]:
    """(field, widget, full name, widget reference) of every signature field's widget."""
    form = reader.root.get("/AcroForm")
    if form is None:
        return []
    out: list[tuple[Any, Any, str, Any]] = []
    stack: list[tuple[Any, str, Any, int]] = [
        (f, "", None, 0) for f in reversed(list(form.get_object().get("/Fields") or []))
    ]
    seen: set[int] = set()
    while stack and len(out) < MAX_FIELDS:
        ref, parent_name, inherited_ft, depth = stack.pop()
        if isinstance(ref, generic.IndirectObject):
            if ref.idnum in seen:
                continue
            seen.add(ref.idnum)
        node = ref.get_object()
        if not isinstance(node, generic.DictionaryObject) or depth > 8:
            continue
        part = str(node.get("/T", ""))
        name = f"{parent_name}.{part}" if parent_name and part else (part or parent_name)
        ft = node.get("/FT", inherited_ft)
        kids = node.get("/Kids")
        if kids and any("/T" in k.get_object() for k in kids):
            stack.extend((k, name, ft, depth + 1) for k in reversed(list(kids)))
            continue
        if ft != "/Sig":
            continue
        widgets = [(k.get_object(), k) for k in kids] if kids else [(node, ref)]
        for widget, wref in widgets:
            out.append((node, widget, name, wref))
    return out


def read_signature_fields(
    reader: PdfFileReader, names: dict[str, tuple[str, str]] | None = None
) -> list[SignatureField]:
    """Every signature field widget of the document, in field order.

    ``names`` (field name → the signer certificate's CN and O), when the caller has already
    read the signatures' certificates (the verifier has), saves parsing each CMS again.
    """
    pages, annots = _page_index(reader)
    fields: list[SignatureField] = []
    for node, widget, name, wref in _terminal_fields(reader):
        try:
            fields.append(_field(node, widget, name, wref, pages, annots, names or {}))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            log.info("signature field %r not readable: %s", name, type(exc).__name__)
    ends = sorted({f.signed_end for f in fields if f.signed})
    return [
        SignatureField(**{**f.__dict__, "order": ends.index(f.signed_end)}) if f.signed else f
        for f in fields
    ]


def _field(
    node: Any,
    widget: Any,
    name: str,
    wref: Any,
    pages: dict[int, int],
    annots: dict[int, int],
    known: dict[str, tuple[str, str]],
) -> SignatureField:
    rect = None
    if "/Rect" in widget:
        values = [float(v) for v in widget["/Rect"]][:4]
        if len(values) == 4:
            rect = Rect.of(*values)
    page = None
    p = widget.raw_get("/P") if "/P" in widget else None
    if isinstance(p, generic.IndirectObject):
        page = pages.get(p.idnum)
    if page is None and isinstance(wref, generic.IndirectObject):
        page = annots.get(wref.idnum)
    has_image = False
    ap = widget.get("/AP")
    if ap is not None:
        normal = ap.get_object().get("/N")
        if normal is not None:
            has_image = _has_image(normal.get_object())
    value = node.get("/V")
    signed = value is not None and isinstance(value.get_object(), generic.DictionaryObject)
    cn = o = ""
    end = -1
    if signed:
        sig = value.get_object()
        if name in known:
            cn, o = known[name]
        else:
            try:
                cn, o = _names(bytes(sig["/Contents"]))
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                log.info("signature %r: CMS not readable: %s", name, type(exc).__name__)
        br = [int(v) for v in sig.get("/ByteRange", [])]
        if len(br) == 4:
            end = br[2] + br[3]
    role, evidence = classify(cn, o) if signed else (UNKNOWN, "not signed")
    return SignatureField(name, page, rect, signed, has_image, cn, o, role, evidence, -1, end)


__all__ = [
    "ORGANISATION",
    "PERSONAL",
    "UNKNOWN",
    "SignatureField",
    "classify",
    "read_signature_fields",
]
