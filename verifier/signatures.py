"""Find the signatures of a PDF and parse what each one claims, without trusting it.

Every signature field with a value becomes a :class:`FoundSignature`, even a
broken one (no /Contents, no /ByteRange, garbage CMS): the format checks then
say what is wrong with it.  pyHanko's own enumeration skips signatures with an
unknown /SubFilter and raises on a missing /Contents, which would let a
forged signature disappear from the report instead of failing.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass, field

from asn1crypto import cms, parser
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from kyso.pdf import byte_scan, parse_limits
from verifier.integrity import signed_attrs_bytes
from verifier.model import Kind

DETACHED_SUBFILTERS = frozenset({"/adbe.pkcs7.detached", "/ETSI.CAdES.detached"})
TIMESTAMP_SUBFILTER = "/ETSI.RFC3161"
SUPPORTED_SUBFILTERS = DETACHED_SUBFILTERS | {TIMESTAMP_SUBFILTER}


@dataclass
class FoundSignature:
    """One filled signature field, as found; ``problems`` lists what could not be read."""

    index: int
    field_name: str
    sig_object: generic.DictionaryObject | None
    sig_ref: generic.Reference | None
    kind: Kind = Kind.SIGNATURE
    sub_filter: str = ""
    type_name: str = ""
    byte_range: list[int] | None = None
    contents: bytes | None = None  # the decoded /Contents string (DER plus zero padding)
    content_info: cms.ContentInfo | None = None
    signed_data: cms.SignedData | None = None
    signer_info: cms.SignerInfo | None = None
    der_length: int = 0
    signed_attrs_der: bytes | None = None  # what the signature value covers, captured untouched
    problems: dict[str, str] = field(default_factory=dict)  # check name -> English reason
    limited: str = ""  # the limit that stopped reading this signature (it is INDETERMINATE)


def _der_length(data: bytes) -> int:
    """Length of the first BER/DER element of ``data`` (indefinite lengths included).

    Older Adobe and BouncyCastle signers write BER with indefinite lengths;
    whatever the encoding, only zero padding may follow it.
    """
    if len(data) < 2 or data[0] != 0x30:
        raise ValueError("not a SEQUENCE")
    _info, consumed = parser._parse(data, len(data))
    return int(consumed)


def _parse_cms(found: FoundSignature, raw: bytes) -> None:
    try:
        length = _der_length(raw)
    except (ValueError, TypeError) as exc:
        found.problems["CONTENTS"] = f"/Contents is not DER: {exc}"
        return
    if length > len(raw):
        found.problems["CONTENTS"] = "/Contents is shorter than its DER length"
        return
    if any(raw[length:]):
        found.problems["CONTENTS"] = "/Contents has non-zero bytes after the DER value"
        return
    try:
        info = cms.ContentInfo.load(raw[:length], strict=True)
        if info["content_type"].native != "signed_data":
            found.problems["CONTENTS"] = "/Contents is not a CMS SignedData"
            return
        signed_data = info["content"]
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            found.problems["CONTENTS"] = "the CMS must hold exactly one SignerInfo"
            return
        signer_info = signer_infos[0]
        found.signed_attrs_der = signed_attrs_bytes(signer_info)
        # Touch the parts every later check reads so that malformed DER fails here.
        signer_info["sid"].native  # noqa: B018
        signer_info["digest_algorithm"]["algorithm"].native  # noqa: B018
        signer_info["signature_algorithm"]["algorithm"].native  # noqa: B018
        signed_data["encap_content_info"]["content_type"].native  # noqa: B018
        if signer_info["signed_attrs"]:
            for attr in signer_info["signed_attrs"]:
                attr["type"].native  # noqa: B018
    except Exception as exc:
        found.problems["CONTENTS"] = f"/Contents CMS cannot be parsed: {type(exc).__name__}"
        return
    found.content_info = info
    found.signed_data = signed_data
    found.signer_info = signer_info
    found.der_length = length


def read_signature_dictionary(found: FoundSignature) -> None:
    """Fill ``found`` from its dictionary; what cannot be read goes to ``problems``."""
    before = parse_limits.hit()
    try:
        _read_signature_dictionary(found)
    finally:
        newly = parse_limits.hit() - before
        if newly:
            found.limited = ", ".join(sorted({*found.limited.split(", "), *newly} - {""}))


def _read_signature_dictionary(found: FoundSignature) -> None:
    sig = found.sig_object
    if sig is None:
        found.problems["SIGNATURE_DICTIONARY"] = "the signature field value is not a dictionary"
        return
    type_name = sig.get("/Type")
    found.type_name = str(type_name) if type_name is not None else ""
    sub_filter = sig.get("/SubFilter")
    found.sub_filter = str(sub_filter) if isinstance(sub_filter, generic.NameObject) else ""
    if found.type_name == "/DocTimeStamp" or found.sub_filter == TIMESTAMP_SUBFILTER:
        found.kind = Kind.DOCUMENT_TIMESTAMP
    if found.type_name not in ("", "/Sig", "/DocTimeStamp"):
        found.problems["SIGNATURE_DICTIONARY"] = f"unexpected /Type {found.type_name}"
    if found.sub_filter not in SUPPORTED_SUBFILTERS:
        found.problems["SUB_FILTER"] = f"unsupported /SubFilter {found.sub_filter or '(none)'}"
    elif (found.sub_filter == TIMESTAMP_SUBFILTER) != (found.type_name == "/DocTimeStamp"):
        found.problems["SUB_FILTER"] = "/SubFilter and /Type disagree about a document timestamp"
    try:
        br = sig.raw_get("/ByteRange")
        if isinstance(br, generic.IndirectObject):
            br = br.get_object()
        if not isinstance(br, generic.ArrayObject) or not all(
            isinstance(x, int) and not isinstance(x, bool) for x in br
        ):
            raise TypeError
        found.byte_range = [int(x) for x in br]
    except (KeyError, TypeError):
        found.problems["BYTE_RANGE"] = "/ByteRange is missing or not an array of integers"
    try:
        contents = sig.raw_get("/Contents", decrypt=generic.EncryptedObjAccess.RAW)
    except KeyError:
        found.problems["CONTENTS"] = "/Contents is missing"
        return
    if isinstance(contents, generic.IndirectObject):
        found.problems["CONTENTS"] = "/Contents must be a direct string"
        return
    if not isinstance(contents, generic.ByteStringObject | generic.TextStringObject):
        found.problems["CONTENTS"] = "/Contents is not a string"
        return
    raw = contents.original_bytes
    if not raw.strip(b"\x00"):
        found.problems["CONTENTS"] = "/Contents is empty"
        return
    found.contents = raw
    _parse_cms(found, raw)


def find_signatures(reader: PdfFileReader, limit: int) -> tuple[list[FoundSignature], int]:
    """The first ``limit`` filled signature fields, in field order, and 1 when there are more.

    A signature whose dictionary could not be read because a parsing limit stopped it
    (:mod:`kyso.pdf.parse_limits`) is marked ``limited`` with the limit's name.
    """
    result: list[FoundSignature] = []
    more = 0
    for fq_name, sig_ref, _field_ref in enumerate_sig_fields(reader, filled_status=True):
        if len(result) >= limit:
            more = 1  # at least one more; the rest are not even enumerated
            break
        ref = sig_ref.reference if isinstance(sig_ref, generic.IndirectObject) else None
        before = parse_limits.hit()
        try:
            obj = sig_ref.get_object() if sig_ref is not None else None
        except Exception:
            obj = None
        sig_object = obj if isinstance(obj, generic.DictionaryObject) else None
        found = FoundSignature(len(result), str(fq_name), sig_object, ref)
        newly = parse_limits.hit() - before
        if newly:
            found.limited = ", ".join(sorted(newly))
        read_signature_dictionary(found)
        result.append(found)
    return result, more


def find_raw_signatures(data: bytes | memoryview | mmap.mmap) -> list[FoundSignature]:
    """Signatures found by the byte-level scan (:mod:`kyso.pdf.byte_scan`), when pyHanko
    cannot open the file; a dictionary written again by a later update counts once."""

    def read(
        index: int, sig: generic.DictionaryObject, ref: generic.Reference | None
    ) -> FoundSignature:
        found = FoundSignature(index, "", sig, ref)
        read_signature_dictionary(found)
        return found

    return byte_scan.scan_signature_dictionaries(
        data, read, key=lambda found: (tuple(found.byte_range or ()), found.contents)
    )
