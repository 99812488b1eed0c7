"""PDF/A: what a document declares (ISO 19005) and keeping its metadata consistent on update.

A PDF/A file says which part and conformance level it follows in its XMP metadata
(``pdfaid:part``, ``pdfaid:conformance``; ISO 19005-1 6.7.11), and the colour its device colours
mean in its output intent (``/OutputIntents``, ``/DestOutputProfile`` with its ``/N``
components; 6.2.2). An incremental update that keeps it PDF/A must not bring in what its part
forbids (PDF/A-1: soft masks and transparency groups, 6.4), must draw device colours only in
the output intent's space (6.2.3.3), embed its fonts (6.3.4) and keep the document information
dictionary and the XMP metadata saying the same (6.7.3).

The XMP packet is searched with regular expressions for the two properties, in element or
attribute form; nothing in it is parsed as XML, resolved or expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata import model, xmp_xml
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

_MAX_XMP = 4 * 1024 * 1024
_PROPERTY = r"pdfaid:{name}(?:\s*=\s*[\"']\s*([^\"'<]*?)\s*[\"']|\s*>\s*([^<]*?)\s*<)"
_PART = re.compile(_PROPERTY.format(name="part").encode())
_CONFORMANCE = re.compile(_PROPERTY.format(name="conformance").encode())


@dataclass(frozen=True)
class PdfA:
    """A declared PDF/A identification: ``part`` (1 to 4) and ``conformance`` ("A", "B",
    "U", "E", "F" or "" for PDF/A-4), and ``colour_components`` of the output intent's
    destination profile (1 gray, 3 RGB, 4 CMYK; 0 when there is none)."""

    part: int
    conformance: str
    colour_components: int = 0

    @property
    def label(self) -> str:
        """As people write it: ``PDF/A-1B``, ``PDF/A-2U``, ``PDF/A-4``."""
        return f"PDF/A-{self.part}{self.conformance}"

    @property
    def forbids_transparency(self) -> bool:
        """PDF/A-1 (ISO 19005-1 6.4): no /SMask, no transparency group, /CA and /ca 1."""
        return self.part == 1


def _match(pattern: re.Pattern[bytes], xmp: bytes) -> str | None:
    m = pattern.search(xmp)
    if m is None:
        return None
    value = m.group(1) if m.group(1) is not None else m.group(2)
    return value.decode("ascii", errors="replace").strip()


def declared_pdfa(reader: PdfFileReader) -> PdfA | None:
    """The PDF/A part the document's catalogue XMP declares, else ``None`` (also for XMP
    that cannot be read, is over 4 MiB or names no numeric part)."""
    try:
        # [] not .get(): pyHanko reads /Metadata as its MetadataStream only through
        # __getitem__, and a plain stream read first would stay cached for the writer
        if "/Metadata" not in reader.root:
            return None
        stream = reader.root["/Metadata"]
        if not isinstance(stream, generic.StreamObject):
            return None
        xmp = stream.data
    except (PdfError, KeyError, TypeError, ValueError, AttributeError, NotImplementedError):
        return None
    if len(xmp) > _MAX_XMP:
        return None
    part = _match(_PART, xmp)
    if part is None or not part.isdigit() or not 1 <= int(part) <= 4:
        return None
    conformance = (_match(_CONFORMANCE, xmp) or "").upper()[:1]
    return PdfA(int(part), conformance, _output_components(reader))


def _output_components(reader: PdfFileReader) -> int:
    try:
        intents: Any = reader.root.get("/OutputIntents")
        for intent in intents or ():
            intent = intent.get_object()
            profile = intent.get("/DestOutputProfile")
            if profile is not None:
                return int(profile.get_object().get("/N", 0))
    except (PdfError, KeyError, TypeError, ValueError, AttributeError):
        return 0
    return 0


class MetadataConsistentWriter(IncrementalPdfFileWriter):
    """pyHanko's incremental writer, but the XMP ``pdf:Producer`` it writes equals the
    information dictionary's ``/Producer`` (pyHanko appends itself to the latter and puts only
    itself in the former), as PDF/A asks (ISO 19005-1 6.7.3, 19005-2 6.6.2.3.1)."""

    def _update_meta(self) -> None:  # pyHanko's hook, called when the update is written
        super()._update_meta()
        try:
            info = self._info.get_object() if self._info is not None else None
            producer = info.get("/Producer") if info is not None else None
            stream = self.root["/Metadata"] if "/Metadata" in self.root else None
        except (KeyError, TypeError, AttributeError):
            return
        if producer is None or not isinstance(stream, xmp_xml.MetadataStream):
            return
        value = model.XmpValue(str(producer))
        roots = [
            model.XmpStructure({**dict(root), model.PDF_PRODUCER: value})
            if model.PDF_PRODUCER in dict(root)
            else root
            for root in stream.xmp
        ]
        # as MetadataStream.update_xmp_with_meta does it (pyHanko 0.38): new roots, new bytes
        stream._xmp = roots
        stream._reserialise()
        stream._encoded_data = None
        self.update_container(stream)


def srgb_profile() -> bytes:
    """An sRGB ICC profile (IEC 61966-2-1, ICC v2, 3 components) made by Little CMS through
    Pillow: the output intent's destination profile for documents drawn in DeviceRGB."""
    from PIL import ImageCms

    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def declare_pdfa(writer: Any, part: int, conformance: str, title: str) -> None:
    """Make a new document written by ``writer`` (pyHanko ``PdfFileWriter``) declare PDF/A
    ``part``/``conformance``: XMP metadata with ``pdfaid`` (ISO 19005-2 6.6.4) written by pyHanko
    together with the producer and dates (no information dictionary, so nothing can disagree,
    6.6.2.3.1), and an sRGB output intent (``GTS_PDFA1``, 6.2.3). The caller must embed its
    fonts and draw only in DeviceRGB; kyso's report renderer does."""
    pdfaid = model.NS["pdfaid"]
    meta = writer.document_meta
    meta.title = title
    meta.created = "now"
    meta.xmp_extra = [
        model.XmpStructure.of(
            (model.ExpandedName(ns=pdfaid, local_name="part"), model.XmpValue(str(part))),
            (
                model.ExpandedName(ns=pdfaid, local_name="conformance"),
                model.XmpValue(conformance),
            ),
        )
    ]
    profile = generic.StreamObject(
        {generic.pdf_name("/N"): generic.NumberObject(3)}, stream_data=srgb_profile()
    )
    profile.compress()
    intent = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/OutputIntent"),
            generic.pdf_name("/S"): generic.pdf_name("/GTS_PDFA1"),
            generic.pdf_name("/OutputConditionIdentifier"): generic.pdf_string("sRGB"),
            generic.pdf_name("/Info"): generic.pdf_string("sRGB IEC61966-2.1"),
            generic.pdf_name("/DestOutputProfile"): writer.add_object(profile),
        }
    )
    writer.root[generic.pdf_name("/OutputIntents")] = generic.ArrayObject(
        [writer.add_object(intent)]
    )
    writer.update_root()


__all__ = [
    "MetadataConsistentWriter",
    "PdfA",
    "declare_pdfa",
    "declared_pdfa",
    "srgb_profile",
]
