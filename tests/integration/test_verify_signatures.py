"""Signatures made at run time with the test PKI, verified through the real gRPC server.

Signing uses pyHanko directly (not kyso's signer) so these tests judge the verifier alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers, timestamps
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator import ValidationContext

from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.integration.documents import make_pdf


@pytest.fixture(scope="module")
def stub(grpc_channel: Any) -> pb_grpc.VerifierStub:
    return pb_grpc.VerifierStub(grpc_channel)


@pytest.fixture(scope="module")
def document() -> bytes:
    return make_pdf(
        ["QUYẾT ĐỊNH", "Về việc ban hành Quy chế công tác văn thư", "Nguyễn Thị Hồng Nhung"]
    )


def _signer(pki: Any, label: str) -> signers.SimpleSigner:
    return signers.SimpleSigner.load(
        str(pki.key_path(label)),
        str(pki.cert_path(label)),
        ca_chain_files=[str(p) for p in pki.chain_paths(label)],
    )


def sign(
    pki: Any,
    pdf: bytes,
    label: str = "personal",
    *,
    field: str = "Sig1",
    md: str = "sha256",
    timestamper: Any = None,
    lt: bool = False,
    subfilter: Any = None,
) -> bytes:
    meta = signers.PdfSignatureMetadata(field_name=field, md_algorithm=md)
    if subfilter is not None:
        meta = signers.PdfSignatureMetadata(field_name=field, md_algorithm=md, subfilter=subfilter)
    if lt:
        vc = ValidationContext(trust_roots=[pki.cert("root")], allow_fetching=True)
        meta = signers.PdfSignatureMetadata(
            field_name=field, md_algorithm=md, embed_validation_info=True, validation_context=vc
        )
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    out = signers.sign_pdf(w, meta, signer=_signer(pki, label), timestamper=timestamper)
    return out.getvalue()


def verify(stub: pb_grpc.VerifierStub, pdf: bytes, **options: Any) -> pb.ValidationReport:
    return stub.Verify(
        pb.VerifyRequest(document=pdf, options=pb.VerifyOptions(**options)), timeout=60
    )


def checks(sig: pb.SignatureReport) -> dict[str, int]:
    return {c.name: c.status for c in sig.checks}


def test_valid_personal_signature(stub: Any, pki: Any, document: bytes) -> None:
    report = verify(stub, sign(pki, document))
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    assert report.policy == "vn-gov"
    (sig,) = report.signatures
    assert sig.indication == pb.INDICATION_TOTAL_PASSED
    assert sig.sub_indication == pb.SUB_INDICATION_NONE
    assert sig.signer_name == "Nguyễn Thị Hồng Nhung"
    assert sig.organisation == "Ủy ban nhân dân tỉnh Sóc Trăng"
    assert sig.signer_certificate.issuer_common_name == "CA phục vụ các cơ quan Nhà nước (test)"
    assert sig.signer_certificate.serial_hex == format(pki.cert("personal").serial_number, "X")
    assert sig.signing_time_source == pb.SIGNING_TIME_SOURCE_CLAIMED
    assert sig.revocation.status == pb.REVOCATION_RESULT_GOOD
    assert sig.revocation.source in (pb.REVOCATION_DATA_SOURCE_OCSP, pb.REVOCATION_DATA_SOURCE_CRL)
    assert (
        sig.trust_anchor.subject.endswith("Root CA (test)")
        or "Root CA (test)" in sig.trust_anchor.subject
    )
    assert len(sig.trust_anchor.sha256) == 64
    assert sig.covers_whole_document
    names = checks(sig)
    for name in (
        "BYTE_RANGE",
        "MESSAGE_DIGEST",
        "SIGNATURE_VALUE",
        "CERTIFICATE_CHAIN",
        "REVOCATION",
    ):
        assert names[name] == pb.CHECK_PASSED, name
    by_name = {c.name: c for c in sig.checks}
    assert by_name["MESSAGE_DIGEST"].building_block == "CV"
    assert by_name["CERTIFICATE_CHAIN"].building_block == "XCV"
    assert by_name["MESSAGE_DIGEST"].message.message_vi
    vi = sig.summary_vi
    assert vi.signer == "Nguyễn Thị Hồng Nhung"
    assert vi.managing_unit == "Ủy ban nhân dân tỉnh Sóc Trăng"
    assert "CA phục vụ các cơ quan Nhà nước (test)" in vi.issuing_ca
    assert vi.integrity.startswith("Đảm bảo")
    assert vi.validity_at_signing_time.startswith("Còn hiệu lực")
    assert vi.certificate_validity_period.startswith("từ ")
    assert vi.result == "HỢP LỆ"
    assert "HỢP LỆ" in report.summary_vi


def test_tampered_byte_fails(stub: Any, pki: Any, document: bytes) -> None:
    signed = bytearray(sign(pki, document))
    pos = signed.index(b"/MediaBox")
    signed[pos + 1] = ord("m")  # inside the first signed range
    report = verify(stub, bytes(signed))
    assert report.indication == pb.INDICATION_TOTAL_FAILED
    (sig,) = report.signatures
    assert sig.sub_indication == pb.SUB_INDICATION_HASH_FAILURE
    assert checks(sig)["MESSAGE_DIGEST"] == pb.CHECK_FAILED
    assert sig.summary_vi.integrity.startswith("KHÔNG đảm bảo")


def test_untrusted_root_is_indeterminate(stub: Any, pki: Any, document: bytes) -> None:
    report = verify(stub, sign(pki, document, "stranger"))
    assert report.indication == pb.INDICATION_INDETERMINATE
    (sig,) = report.signatures
    assert sig.sub_indication == pb.SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND
    assert checks(sig)["SIGNATURE_VALUE"] == pb.CHECK_PASSED


def test_revoked_before_signing_fails(stub: Any, pki: Any, document: bytes) -> None:
    report = verify(stub, sign(pki, document, "personal-revoked"))
    assert report.indication == pb.INDICATION_TOTAL_FAILED, report.summary_vi
    (sig,) = report.signatures
    assert sig.sub_indication == pb.SUB_INDICATION_REVOKED
    assert sig.revocation.status == pb.REVOCATION_RESULT_REVOKED
    assert sig.revocation.revocation_time.ToDatetime(tzinfo=UTC) == datetime(2025, 6, 1, tzinfo=UTC)


def _tsa_at(pki: Any, when: datetime) -> DummyTimeStamper:
    """The test TSA's own key, stamping a chosen time (the HTTP TSA always says now)."""
    from asn1crypto import keys, pem

    key = keys.PrivateKeyInfo.load(pem.unarmor(pki.key_path("tsa").read_bytes())[2])
    return DummyTimeStamper(
        tsa_cert=pki.cert("tsa"),
        tsa_key=key,
        certs_to_embed=[pki.cert("ca")],
        fixed_dt=when,
    )


def test_revoked_after_timestamped_signing_passes_with_note(
    stub: Any, pki: Any, document: bytes
) -> None:
    before_revocation = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    pdf = sign(pki, document, "personal-revoked", timestamper=_tsa_at(pki, before_revocation))
    report = verify(stub, pdf)
    (sig,) = report.signatures
    assert sig.signing_time_source == pb.SIGNING_TIME_SOURCE_SIGNATURE_TIMESTAMP, report.summary_vi
    assert sig.signing_time.ToDatetime(tzinfo=UTC) == before_revocation
    assert sig.revocation.status == pb.REVOCATION_RESULT_REVOKED
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    assert any(w.code == "REVOKED_AFTER_SIGNING" for w in sig.warnings)


def test_revoked_without_proof_of_time_is_not_passed(stub: Any, pki: Any, document: bytes) -> None:
    # the signer claims a time before the revocation, but nothing proves it
    pdf = sign(pki, document, "personal-revoked")
    report = verify(stub, pdf, validation_time=None)
    assert report.indication != pb.INDICATION_TOTAL_PASSED


def test_expired_certificate_is_not_passed(stub: Any, pki: Any, document: bytes) -> None:
    report = verify(stub, sign(pki, document, "personal-expired"))
    assert report.indication != pb.INDICATION_TOTAL_PASSED
    (sig,) = report.signatures
    assert sig.sub_indication in (
        pb.SUB_INDICATION_OUT_OF_BOUNDS_NO_POE,
        pb.SUB_INDICATION_EXPIRED,
    )
    assert checks(sig)["CERTIFICATE_VALIDITY"] != pb.CHECK_PASSED


def test_sha1_warned_by_default_and_failed_by_strict_policy(
    stub: Any, pki: Any, document: bytes
) -> None:
    pdf = sign(pki, document, md="sha1")
    default = verify(stub, pdf)
    (sig,) = default.signatures
    digest = next(c for c in sig.checks if c.name == "DIGEST_ALGORITHM")
    assert digest.status == pb.CHECK_WARNING
    assert digest.level == pb.LEVEL_WARN
    assert "SHA-1" in digest.message.message_vi and "15/2025" in digest.message.message_vi
    assert "ký lúc" in digest.message.message_vi
    assert default.indication == pb.INDICATION_TOTAL_PASSED
    assert any(w.code == "DIGEST_ALGORITHM_SHA1" for w in sig.warnings)
    strict = verify(stub, pdf, policy="vn-gov-strict")
    assert strict.policy == "vn-gov-strict"
    assert strict.indication == pb.INDICATION_TOTAL_FAILED
    assert strict.signatures[0].sub_indication == pb.SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE


def test_rsa_1024_is_not_passed(stub: Any, pki: Any, document: bytes) -> None:
    report = verify(stub, sign(pki, document, "personal-rsa1024"))
    assert report.indication == pb.INDICATION_INDETERMINATE
    (sig,) = report.signatures
    assert sig.sub_indication == pb.SUB_INDICATION_CRYPTO_CONSTRAINTS_FAILURE
    assert checks(sig)["PUBLIC_KEY_SIZE"] == pb.CHECK_FAILED
    assert verify(
        stub, sign(pki, document, "personal-rsa1024"), policy="vn-gov-strict"
    ).indication == (pb.INDICATION_TOTAL_FAILED)


def test_ec_p256_signature_passes(stub: Any, pki: Any, document: bytes) -> None:
    report = verify(stub, sign(pki, document, "personal-ec"))
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    assert report.signatures[0].signer_certificate.public_key.startswith("ECDSA")


def test_wrong_key_usage_is_not_passed(stub: Any, pki: Any, document: bytes) -> None:
    report = verify(stub, sign(pki, document, "personal-wrong-ku"))
    assert report.indication == pb.INDICATION_INDETERMINATE
    (sig,) = report.signatures
    assert sig.sub_indication == pb.SUB_INDICATION_SIG_CONSTRAINTS_FAILURE
    assert checks(sig)["KEY_USAGE"] == pb.CHECK_FAILED


def _change_page_content(pdf: bytes) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref = w.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 100 Td (FORGED) Tj ET")
    page["/Contents"] = w.add_object(stream)
    w.update_container(page)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def test_content_changed_in_later_revision_fails(stub: Any, pki: Any, document: bytes) -> None:
    report = verify(stub, _change_page_content(sign(pki, document)))
    assert report.indication == pb.INDICATION_TOTAL_FAILED, report.summary_vi
    (sig,) = report.signatures
    assert not sig.covers_whole_document
    assert sig.changes_after.analysed
    assert sig.changes_after.level == "OTHER"
    assert checks(sig)["CHANGES_AFTER_SIGNING"] == pb.CHECK_FAILED
    assert checks(sig)["MESSAGE_DIGEST"] == pb.CHECK_PASSED  # the signed revision itself is intact


def test_second_signature_added(stub: Any, pki: Any, document: bytes) -> None:
    once = sign(pki, document)
    twice = sign(pki, once, "organisation", field="Sig2")
    report = verify(stub, twice)
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    first, second = report.signatures
    assert first.signer_name == "Nguyễn Thị Hồng Nhung"
    assert second.signer_name == "Ủy ban nhân dân tỉnh Sóc Trăng"
    assert not first.covers_whole_document and second.covers_whole_document
    assert first.changes_after.analysed
    assert first.changes_after.level in ("FORM_FILLING", "LTA_UPDATES")
    assert any(c.kind == "SIGNATURE_ADDED" for c in first.changes_after.changes)


def test_b_t_with_timestamp(stub: Any, pki: Any, document: bytes) -> None:
    tsa = timestamps.HTTPTimeStamper(pki.tsa_url)
    report = verify(stub, sign(pki, document, timestamper=tsa))
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (sig,) = report.signatures
    assert sig.signing_time_source == pb.SIGNING_TIME_SOURCE_SIGNATURE_TIMESTAMP, [
        (c.name, c.message.message_en) for c in sig.checks if c.status != pb.CHECK_PASSED
    ]
    assert sig.signature_timestamp.indication == pb.INDICATION_TOTAL_PASSED
    assert "TSA (test)" in sig.signature_timestamp.tsa
    assert checks(sig)["SIGNATURE_TIMESTAMP_VALID"] == pb.CHECK_PASSED
    assert "theo dấu thời gian" in sig.summary_vi.signing_time


def test_b_lt_validated_offline(stub: Any, pki: Any, document: bytes) -> None:
    tsa = timestamps.HTTPTimeStamper(pki.tsa_url)
    pdf = sign(pki, document, timestamper=tsa, lt=True)
    report = verify(stub, pdf, fetch_revocation=False)
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (sig,) = report.signatures
    assert sig.revocation.source == pb.REVOCATION_DATA_SOURCE_EMBEDDED


def test_b_b_offline_without_embedded_revocation_is_indeterminate(
    stub: Any, pki: Any, document: bytes
) -> None:
    report = verify(stub, sign(pki, document), fetch_revocation=False)
    assert report.indication == pb.INDICATION_INDETERMINATE
    (sig,) = report.signatures
    assert sig.sub_indication == pb.SUB_INDICATION_TRY_LATER
    assert any(w.code == "REVOCATION_STATUS_UNKNOWN" for w in sig.warnings)


def test_unsigned_pdf_has_no_signature(stub: Any, document: bytes) -> None:
    report = verify(stub, document)
    assert report.indication == pb.INDICATION_NO_SIGNATURE_FOUND
    assert not report.signatures


def test_human_reports(stub: Any, pki: Any, document: bytes) -> None:
    pdf = sign(pki, document)
    html = verify(stub, pdf, human_report=pb.HUMAN_REPORT_HTML)
    assert html.human_report_mime.startswith("text/html")
    assert "HỢP LỆ" in html.human_report.decode("utf-8")
    rendered = verify(stub, pdf, human_report=pb.HUMAN_REPORT_PDF)
    assert rendered.human_report_mime == "application/pdf"
    assert rendered.human_report.startswith(b"%PDF-")


def test_stream_gives_the_same_verdict(stub: Any, pki: Any, document: bytes) -> None:
    pdf = sign(pki, document)

    def chunks() -> Any:
        yield pb.VerifyStreamRequest(options=pb.VerifyOptions(policy="vn-gov"))
        for i in range(0, len(pdf), 4096):
            yield pb.VerifyStreamRequest(chunk=pdf[i : i + 4096])

    report = stub.VerifyStream(chunks(), timeout=60)
    assert report.indication == pb.INDICATION_TOTAL_PASSED


def test_concurrent_requests_agree(stub: Any, pki: Any, document: bytes) -> None:
    from concurrent.futures import ThreadPoolExecutor

    good = sign(pki, document)
    bad = bytearray(good)
    bad[bad.index(b"/MediaBox") + 1] = ord("m")
    jobs = [bytes(bad) if i % 3 == 0 else good for i in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda pdf: verify(stub, pdf).indication, jobs))
    for pdf, indication in zip(jobs, results, strict=True):
        expected = pb.INDICATION_TOTAL_PASSED if pdf == good else pb.INDICATION_TOTAL_FAILED
        assert indication == expected


def test_missing_intermediate_fetched_by_aia_and_remembered(
    stub: Any, pki: Any, document: bytes
) -> None:
    leaf_only = signers.SimpleSigner.load(
        str(pki.key_path("personal")), str(pki.cert_path("personal"))
    )
    w = IncrementalPdfFileWriter(BytesIO(document))
    pdf = signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name="Sig1"), signer=leaf_only)
    data = pdf.getvalue()
    online = verify(stub, data)
    assert online.indication == pb.INDICATION_TOTAL_PASSED, online.summary_vi
    # offline now: the CA certificate learned through AIA still completes the path
    offline = verify(stub, data, fetch_revocation=False)
    (sig,) = offline.signatures
    assert checks(sig)["CERTIFICATE_CHAIN"] == pb.CHECK_PASSED
    assert sig.sub_indication == pb.SUB_INDICATION_TRY_LATER


def test_document_timestamp_after_signature(stub: Any, pki: Any, document: bytes) -> None:
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

    signed = sign(pki, document)
    stamper = PdfTimeStamper(timestamps.HTTPTimeStamper(pki.tsa_url))
    out = stamper.timestamp_pdf(IncrementalPdfFileWriter(BytesIO(signed)), md_algorithm="sha256")
    report = verify(stub, out.getvalue())
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    sig, ts = report.signatures
    assert sig.kind == pb.SIGNATURE_KIND_SIGNATURE
    assert ts.kind == pb.SIGNATURE_KIND_DOCUMENT_TIMESTAMP
    assert ts.sub_filter == "ETSI.RFC3161"
    assert ts.signing_time_source == pb.SIGNING_TIME_SOURCE_TIMESTAMP_TOKEN
    assert "TSA (test)" in ts.signer_certificate.subject
    assert any(c.kind == "DOCUMENT_TIMESTAMP_ADDED" for c in sig.changes_after.changes), (
        sig.changes_after
    )
    # a byte changed inside the timestamped range breaks the document timestamp too
    tampered = bytearray(out.getvalue())
    tampered[tampered.index(b"/MediaBox") + 1] = ord("m")
    broken = verify(stub, bytes(tampered))
    assert broken.indication == pb.INDICATION_TOTAL_FAILED
    assert all(s.indication == pb.INDICATION_TOTAL_FAILED for s in broken.signatures)


def _add_annotation(pdf: bytes) -> bytes:
    """A later revision adds a filled square annotation over the page text (shadow overlay)."""
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref = w.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    annot = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Square"),
            generic.pdf_name("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (80, 700, 500, 800)]
            ),
            generic.pdf_name("/IC"): generic.ArrayObject([generic.FloatObject(1)] * 3),
            generic.pdf_name("/F"): generic.NumberObject(4),
        }
    )
    annots = page.get("/Annots")
    annots = generic.ArrayObject(list(annots) if annots is not None else [])
    annots.append(w.add_object(annot))
    page["/Annots"] = annots
    w.update_container(page)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def test_annotation_added_after_signing_is_not_passed(stub: Any, pki: Any, document: bytes) -> None:
    pdf = _add_annotation(sign(pki, document))
    report = verify(stub, pdf)
    assert report.indication != pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (sig,) = report.signatures
    assert sig.changes_after.level in ("ANNOTATIONS", "OTHER")
    # the square covers the page text: never PASSED (tests/test_verify_annotations.py has more)
    assert checks(sig)["ANNOTATION_OVER_CONTENT"] == pb.CHECK_FAILED
    assert sig.indication == pb.INDICATION_INDETERMINATE
    strict = verify(stub, pdf, policy="vn-gov-strict")
    assert strict.indication == pb.INDICATION_TOTAL_FAILED
