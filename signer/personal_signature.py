"""Find the competent person's valid signature on a document (Decree 30/2020 Art. 32).

The organisation signs only documents that already carry a personal signature which is
cryptographically intact, covers its whole revision and chains to the trust store; its
widget rectangle is where the seal goes.
"""

from __future__ import annotations

import logging
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel

from kyso.errors import Precondition, quoted
from kyso.pki import Revocation, validation_context
from signer.levels import private_copies
from signer.placement import SignatureBox
from trust_store import Purpose, TrustSnapshot

log = logging.getLogger("kyso.signer.personal")

_COVERAGE_OK = (SignatureCoverageLevel.ENTIRE_REVISION, SignatureCoverageLevel.ENTIRE_FILE)


def _required() -> Precondition:
    return Precondition("PERSONAL_SIGNATURE_REQUIRED")


def _page_number(reader: PdfFileReader, page_ref: generic.Reference | None) -> int | None:
    if page_ref is None:
        return None
    count = int(reader.root["/Pages"]["/Count"])
    for index in range(min(count, 10_000)):
        ref, _ = reader.find_page_for_modification(index)
        if ref.idnum == page_ref.idnum:
            return index + 1
    return None


def widget_box(reader: PdfFileReader, sig_field: generic.DictionaryObject) -> SignatureBox | None:
    """The normalised /Rect of a signature field's (first) widget on its page (/P), or None."""
    widget = sig_field
    if "/Rect" not in widget:
        kids = sig_field.get("/Kids")
        if not kids:
            return None
        widget = kids[0].get_object()
    rect = [float(v) for v in widget["/Rect"]]
    page_ref = widget.raw_get("/P") if "/P" in widget else None
    page = _page_number(
        reader, page_ref.reference if isinstance(page_ref, generic.IndirectObject) else None
    )
    if page is None:
        return None
    box = SignatureBox(page, *rect).normalised()
    return box if box.width > 1 and box.height > 1 else None


def find_valid(
    reader: PdfFileReader, snapshot: TrustSnapshot, fetcher_backend: Any, exclude: x509.Certificate
) -> SignatureBox:
    """The widget box of the latest valid, visible personal signature, else refuse."""
    anchors = {
        c.dump(): c for p in (Purpose.SIGNATURE, Purpose.TIMESTAMPING) for c in snapshot.anchors(p)
    }
    found: SignatureBox | None = None
    for emb in reader.embedded_regular_signatures:
        try:
            if emb.signer_cert.dump() == exclude.dump():
                continue  # the organisation's own earlier signature is not a personal one
            vc = validation_context(
                private_copies(anchors.values()),
                private_copies(snapshot.intermediates()),
                revocation=Revocation.SOFT_FAIL,
                fetch=True,
                fetcher_backend=fetcher_backend,
            )
            status = validate_pdf_signature(
                emb, signer_validation_context=vc, ts_validation_context=vc, skip_diff=True
            )
        except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
            log.info(
                "existing signature %s not usable: %s", quoted(emb.field_name), quoted(repr(exc))
            )
            continue
        if not (
            status.intact and status.valid and status.trusted and status.coverage in _COVERAGE_OK
        ):
            continue
        box = widget_box(reader, emb.sig_field)
        if box is not None:
            found = box
    if found is None:
        raise _required()
    return found
