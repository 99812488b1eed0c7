"""Certification (DocMDP P=1/2/3) and field locks (FieldMDP), each kind of change after them.

ISO 32000-2 12.8.2.2.2 (Table 257): P=1 allows no change (PAdES: DSS and document timestamps
stay allowed), P=2 allows filling in forms and signing, P=3 also annotations. A new signature
field whose widget shows on a page is a new widget annotation: allowed at P=3 only
(``allowances.CERTIFIED_KIND_LEVEL``). Documents are certified with pyHanko at run time, then
one later revision makes one kind of change; the analysis must name it with its object and
page and decide exactly as the table says.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from io import BytesIO

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm

from tests.integration.certified_documents import (
    NEW_SIG_BOX,
    add_annotation,
    add_document_timestamp,
    add_dss,
    add_empty_invisible_field,
    add_empty_visible_field,
    certify,
    fill_form,
    sign_existing,
    sign_new_invisible,
    sign_new_visible,
    with_form,
    written,
)
from tests.integration.documents import make_pdf
from verifier.diff_analysis import ChangeKind, ChangeSummary, ModificationLevel, analyse_document
from verifier.diff_analysis.permissions import FieldLock

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


@pytest.fixture(scope="module")
def signer() -> signers.SimpleSigner:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kyso certification test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=None,  # type: ignore[arg-type]
    )


Change = Callable[[bytes, signers.SimpleSigner], bytes]
CHANGES: dict[str, tuple[Change, ChangeKind]] = {
    "form_fill": (fill_form, ChangeKind.FORM_FILLED),
    "new_visible_field_signed": (sign_new_visible, ChangeKind.SIGNATURE_WIDGET_ADDED),
    "new_visible_field_empty": (add_empty_visible_field, ChangeKind.EMPTY_SIGNATURE_WIDGET_ADDED),
    "new_invisible_field_signed": (sign_new_invisible, ChangeKind.SIGNATURE_ADDED),
    "new_invisible_field_empty": (add_empty_invisible_field, ChangeKind.SIGNATURE_FIELD_ADDED),
    "sign_existing_field": (sign_existing, ChangeKind.SIGNATURE_ADDED),
    "annotation": (add_annotation, ChangeKind.ANNOTATION_ADDED),
    "dss": (add_dss, ChangeKind.DSS_UPDATED),
    "document_timestamp": (add_document_timestamp, ChangeKind.DOCUMENT_TIMESTAMP_ADDED),
}
#: What each certification level allows, per ISO 32000-2 Table 257 (and PAdES for P=1).
ALLOWED = {
    MDPPerm.NO_CHANGES: {"dss", "document_timestamp"},
    MDPPerm.FILL_FORMS: {
        "form_fill",
        "new_visible_field_signed",
        "new_invisible_field_signed",
        "new_invisible_field_empty",
        "sign_existing_field",
        "dss",
        "document_timestamp",
    },
    MDPPerm.ANNOTATE: set(CHANGES),
}


def summary_after_first(data: bytes) -> ChangeSummary:
    analysis = analyse_document(PdfFileReader(BytesIO(data), strict=False))
    first_end = min(int(m.group(3)) + int(m.group(4)) for m in _BYTE_RANGE.finditer(data))
    return analysis.changes_after(analysis.revision_of_offset(first_end))


@pytest.fixture(scope="module")
def certified(signer: signers.SimpleSigner) -> dict[MDPPerm, bytes]:
    return {p: certify(signer, p) for p in ALLOWED}


@pytest.mark.parametrize("permission", list(ALLOWED), ids=lambda p: f"P{p.value}")
@pytest.mark.parametrize("change", list(CHANGES))
def test_certification_allows_exactly_what_iso_32000_says(
    certified: dict[MDPPerm, bytes],
    signer: signers.SimpleSigner,
    permission: MDPPerm,
    change: str,
) -> None:
    make, kind = CHANGES[change]
    summary = summary_after_first(make(certified[permission], signer))
    assert summary.docmdp_permission == permission.value
    assert kind in {c.kind for c in summary.changes}, summary.changes
    allowed = change in ALLOWED[permission]
    assert summary.docmdp_violated == (not allowed), (summary.level, summary.violations)
    assert summary.level < ModificationLevel.OTHER


def test_new_empty_visible_field_breaks_p2_named_with_page_and_rectangle(
    certified: dict[MDPPerm, bytes], signer: signers.SimpleSigner
) -> None:
    """The regression: a new visible (empty) signature field under P=2 used to pass."""
    summary = summary_after_first(add_empty_visible_field(certified[MDPPerm.FILL_FORMS], signer))
    (widget,) = [c for c in summary.changes if c.kind is ChangeKind.EMPTY_SIGNATURE_WIDGET_ADDED]
    assert widget.level == ModificationLevel.ANNOTATIONS  # under the certification
    assert widget.page == 1
    assert widget.objects
    assert widget.regions == ((1, tuple(float(v) for v in NEW_SIG_BOX)),)
    assert "'Later'" in widget.description_en and "page 1" in widget.description_en
    assert "trang 1" in widget.description_vi
    assert summary.docmdp_violated
    assert "DocMDP P=2" in summary.violations[0]


def test_signing_in_a_new_visible_field_under_p2_is_signing(
    certified: dict[MDPPerm, bytes], signer: signers.SimpleSigner
) -> None:
    summary = summary_after_first(sign_new_visible(certified[MDPPerm.FILL_FORMS], signer))
    (widget,) = [c for c in summary.changes if c.kind is ChangeKind.SIGNATURE_WIDGET_ADDED]
    assert widget.level == ModificationLevel.FORM_FILLING
    assert widget.regions == ((1, tuple(float(v) for v in NEW_SIG_BOX)),)
    assert "'Approval'" in widget.description_en
    assert not summary.docmdp_violated


def test_new_visible_field_without_certification_is_signing(signer: signers.SimpleSigner) -> None:
    """Approval signatures add their widgets: the normal multi-signature workflow."""
    base = with_form(make_pdf(["Văn bản"]))
    first = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(base), strict=False),
        signers.PdfSignatureMetadata(field_name="Sig1"),
        signer,
    ).getvalue()
    summary = summary_after_first(sign_new_visible(first, signer))
    assert summary.level == ModificationLevel.FORM_FILLING
    assert summary.only_signatures_added
    assert not summary.docmdp_violated


def test_form_fill_names_the_field_and_its_page(
    certified: dict[MDPPerm, bytes], signer: signers.SimpleSigner
) -> None:
    summary = summary_after_first(fill_form(certified[MDPPerm.FILL_FORMS], signer))
    (filled,) = [c for c in summary.changes if c.kind is ChangeKind.FORM_FILLED]
    assert "'Ho.ten'" in filled.description_en
    assert filled.page == 1


# -- FieldMDP -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lock", "name", "locked"),
    [
        (FieldLock("/Include", ("Sig1",)), "Sig1", True),
        (FieldLock("/Include", ("Sig1",)), "Sig10", False),
        (FieldLock("/Include", ("Sig10",)), "Sig1", False),
        (FieldLock("/Include", ("a.b",)), "a.b", True),
        (FieldLock("/Include", ("a.b",)), "a.bc", False),
        (FieldLock("/Include", ("a.b",)), "a.b.c", True),  # the subtree of a non-terminal field
        (FieldLock("/Include", ("a",)), "a.b", True),
        (FieldLock("/Include", ("a.b",)), "a", False),
        (FieldLock("/Include", ("b",)), "a.b", False),  # names are fully qualified
        (FieldLock("/Exclude", ("Sig1",)), "Sig1", False),
        (FieldLock("/Exclude", ("Sig1",)), "Sig10", True),
        (FieldLock("/Exclude", ("a.b",)), "a.bc", True),
        (FieldLock("/Exclude", ("a.b",)), "a.b.c", False),
        (FieldLock("/All", ()), "anything", True),
        (FieldLock("/All", ("Sig1",)), "Sig10", True),  # /All ignores /Fields
        (FieldLock("/Unknown", ("Sig1",)), "Sig10", True),  # deny by default
    ],
)
def test_field_lock_matches_fully_qualified_names_exactly(
    lock: FieldLock, name: str, locked: bool
) -> None:
    assert lock.locks(name) is locked


def _locked_document(signer: signers.SimpleSigner, spec: FieldMDPSpec) -> bytes:
    """Empty signature fields Sig1, Sig10 and Sig2; 'Lock' signs first with ``spec``."""
    data = make_pdf(["Phiếu trình"])
    for name in ("Sig1", "Sig10", "Sig2"):
        w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
        fields.append_signature_field(w, fields.SigFieldSpec(name))
        data = written(w)
    return signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(data), strict=False),
        signers.PdfSignatureMetadata(field_name="Lock"),
        signer,
        new_field_spec=fields.SigFieldSpec("Lock", field_mdp_spec=spec),
    ).getvalue()


@pytest.mark.parametrize(
    ("action", "listed", "signed", "violated"),
    [
        (FieldMDPAction.INCLUDE, ["Sig1"], "Sig10", False),
        (FieldMDPAction.INCLUDE, ["Sig1"], "Sig1", True),
        (FieldMDPAction.INCLUDE, ["Sig10"], "Sig1", False),
        (FieldMDPAction.EXCLUDE, ["Sig1"], "Sig10", True),
        (FieldMDPAction.EXCLUDE, ["Sig1"], "Sig1", False),
        (FieldMDPAction.ALL, None, "Sig2", True),
    ],
)
def test_fieldmdp_locks_through_the_whole_analysis(
    signer: signers.SimpleSigner,
    action: FieldMDPAction,
    listed: list[str] | None,
    signed: str,
    violated: bool,
) -> None:
    first = _locked_document(signer, FieldMDPSpec(action, fields=listed))
    second = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(first), strict=False),
        signers.PdfSignatureMetadata(field_name=signed),
        signer,
    ).getvalue()
    summary = summary_after_first(second)
    assert summary.fieldmdp_violated is violated, summary.violations
    if violated:
        assert any(f"'{signed}'" in v for v in summary.violations)


@pytest.mark.parametrize(
    ("listed", "violated"),
    [(["Ho.ten"], True), (["Ho"], True), (["Ho.te"], False), (["ten"], False)],
)
def test_fieldmdp_lock_on_a_filled_text_field_by_its_qualified_name(
    signer: signers.SimpleSigner, listed: list[str], violated: bool
) -> None:
    base = with_form(make_pdf(["Phiếu trình"]))
    first = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(base), strict=False),
        signers.PdfSignatureMetadata(field_name="Lock"),
        signer,
        new_field_spec=fields.SigFieldSpec(
            "Lock", field_mdp_spec=FieldMDPSpec(FieldMDPAction.INCLUDE, fields=listed)
        ),
    ).getvalue()
    summary = summary_after_first(fill_form(first, signer))
    assert summary.fieldmdp_violated is violated, summary.violations


def test_every_change_on_a_page_names_it(
    certified: dict[MDPPerm, bytes], signer: signers.SimpleSigner
) -> None:
    """Comments, widgets, filled fields and page content changes carry their page."""
    data = add_annotation(fill_form(certified[MDPPerm.ANNOTATE], signer), signer)
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    page = w.root["/Pages"]["/Kids"][0]
    page[generic.NameObject("/Rotate")] = generic.NumberObject(90)
    w.update_container(page)
    summary = summary_after_first(written(w))
    pages = {c.kind: c.page for c in summary.changes}
    assert pages[ChangeKind.FORM_FILLED] == 1
    assert pages[ChangeKind.ANNOTATION_ADDED] == 1
    assert pages[ChangeKind.PAGE_CONTENT_CHANGED] == 1
