"""Orchestrates the building blocks for every signature and document timestamp of a PDF.

Hostile files are expected: anything a parser raises while one signature is
checked turns that signature INDETERMINATE (or FAILED when the format is
clearly wrong) with a reason, and the document as a whole can never be
reported better than its worst signature.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from kyso.errors import DeadlineError, InvalidInputError
from kyso.pdf import byte_scan
from trust_store.model import Purpose, TrustSnapshot
from verifier import (
    algorithms,
    chain,
    changes,
    integrity,
    revocation,
    timestamps,
)
from verifier.format_checks import Coverage, check_format
from verifier.identification import (
    check_ess_reference,
    describe_certificate,
    embedded_certificates,
    find_signer_certificate,
)
from verifier.key_usage import check_key_usage
from verifier.model import (
    DocumentResult,
    Indication,
    Kind,
    Message,
    Outcome,
    SignatureResult,
    Status,
    SubIndication,
    TimeSource,
    TimestampSummary,
)
from verifier.policy import Policy
from verifier.report import aggregate_document, aggregate_signature
from verifier.signatures import FoundSignature, find_signatures

log = logging.getLogger("kyso.verifier")

_PDF_MAGIC_WINDOW = 1024


@dataclass
class Request:
    data: Any  # bytes, or an mmap of a spooled stream
    policy: Policy
    snapshot: TrustSnapshot
    fetch: bool
    fetcher_backend: Any | None
    validation_time: datetime | None = None  # None: now
    deadline: float | None = None  # time.monotonic() value


@dataclass
class _Shared:
    """Per-document state every signature check reads."""

    req: Request
    reader: PdfFileReader | None  # None: byte-level fallback (the structure is unreadable)
    dss: revocation.EmbeddedValidationData
    now: datetime
    at_now: bool
    analysis: changes.Analysis | None
    intermediates: list[x509.Certificate] = field(default_factory=list)


def _check_deadline(req: Request) -> None:
    if req.deadline is not None and time.monotonic() > req.deadline:
        raise DeadlineError(
            "verification took longer than the request deadline",
            "Kiểm tra chữ ký vượt quá thời gian cho phép",
        )


def open_pdf(data: bytes | memoryview) -> PdfFileReader:
    """Parse leniently (real documents need it) but refuse what is not a PDF at all."""
    head = bytes(data[:_PDF_MAGIC_WINDOW])
    if b"%PDF-" not in head:
        raise InvalidInputError(
            "the document is not a PDF", "Tài liệu không phải là tệp PDF", code="NOT_A_PDF"
        )
    stream = BytesIO(data) if isinstance(data, bytes) else data
    reader = PdfFileReader(stream, strict=False)
    if reader.encrypted:
        raise InvalidInputError(
            "encrypted PDFs cannot be verified",
            "Không kiểm tra được tệp PDF đã mã hóa",
            code="PDF_ENCRYPTED",
        )
    return reader


def verify(req: Request) -> DocumentResult:
    """Validate every signature of ``req.data`` under ``req.policy``."""
    started = time.perf_counter()
    now = req.validation_time or datetime.now(UTC)
    at_now = (
        req.validation_time is None
        or abs((datetime.now(UTC) - req.validation_time).total_seconds()) < 60
    )
    doc = DocumentResult(
        indication=Indication.INDETERMINATE,
        sub_indication=SubIndication.GENERIC,
        signatures=[],
        policy=req.policy.name,
        validation_time=now,
        document_sha256=hashlib.sha256(req.data).hexdigest().upper(),
        trust_store_version=req.snapshot.version,
    )
    try:
        reader = open_pdf(req.data)
        found = find_signatures(reader)
        doc.revisions = reader.xrefs.total_revisions
    except InvalidInputError:
        raise
    except Exception as exc:
        log.info("unreadable PDF: %s", type(exc).__name__)
        _verify_unreadable(req, doc, now, at_now)
        doc.elapsed_ms = (time.perf_counter() - started) * 1000
        return doc
    if not found:
        aggregate_document(doc)
        doc.elapsed_ms = (time.perf_counter() - started) * 1000
        return doc
    shared = _Shared(
        req=req,
        reader=reader,
        dss=revocation.read_dss(reader),
        now=now,
        at_now=at_now,
        analysis=changes.Analysis(reader, req.data),
        intermediates=req.snapshot.intermediates(),
    )
    _verify_all(shared, doc, found)
    doc.elapsed_ms = (time.perf_counter() - started) * 1000
    return doc


def _verify_unreadable(req: Request, doc: DocumentResult, now: datetime, at_now: bool) -> None:
    """pyHanko cannot open the file: check what the raw bytes still prove.

    A digest or signature value that does not match is a fact independent of the structure
    (TOTAL_FAILED); everything else stays INDETERMINATE because the changes after signing are
    unknown.  Never TOTAL_PASSED.
    """
    found = byte_scan.find_raw_signatures(req.data)
    if not found:
        doc.warnings.append(
            Message(
                "PDF_UNREADABLE",
                "the PDF structure cannot be read and no signature dictionary was found in its "
                "bytes, so its signatures cannot be verified",
                "Không đọc được cấu trúc tệp PDF và không tìm thấy từ điển chữ ký nào trong dữ "
                "liệu, nên không kiểm tra được chữ ký",
            )
        )
        return
    doc.warnings.append(
        Message(
            "PDF_UNREADABLE",
            f"the PDF structure cannot be read; {len(found)} signature dictionary(ies) found by "
            "scanning its bytes were checked for integrity only (changes after signing unknown)",
            f"Không đọc được cấu trúc tệp PDF; đã tìm thấy {len(found)} từ điển chữ ký bằng "
            "cách dò dữ liệu và chỉ kiểm tra được tính toàn vẹn (không xác định được thay đổi "
            "sau khi ký)",
        )
    )
    shared = _Shared(
        req=req,
        reader=None,
        dss=revocation.EmbeddedValidationData(),
        now=now,
        at_now=at_now,
        analysis=None,
        intermediates=req.snapshot.intermediates(),
    )
    _verify_all(shared, doc, found)
    if doc.indication is Indication.TOTAL_PASSED:  # cannot happen (CHANGES_AFTER_SIGNING unknown)
        doc.indication, doc.sub_indication = Indication.INDETERMINATE, SubIndication.GENERIC


def _verify_all(shared: _Shared, doc: DocumentResult, found: list[FoundSignature]) -> None:
    req = shared.req
    for f in found:
        _check_deadline(req)
        try:
            sig = _verify_one(shared, f)
        except DeadlineError:
            raise
        except Exception as exc:
            log.warning(
                "signature %d could not be verified: %s", f.index, type(exc).__name__, exc_info=True
            )
            sig = SignatureResult(
                index=f.index,
                kind=f.kind,
                field_name=f.field_name,
                sub_filter=f.sub_filter.lstrip("/"),
            )
            sig.checks.append(
                req.policy.judge(
                    "SIGNATURE_DICTIONARY",
                    Outcome.UNKNOWN,
                    "SIGNATURE_UNREADABLE",
                    "the signature could not be processed",
                    "Không xử lý được chữ ký này",
                    sub=SubIndication.GENERIC,
                )
            )
        if shared.reader is None:
            sig.warnings.append(
                Message(
                    "FOUND_BY_BYTE_SCAN",
                    f"signature dictionary found by scanning the file's bytes"
                    f"{f' (object {f.sig_ref.idnum} {f.sig_ref.generation})' if f.sig_ref else ''}",
                    "Từ điển chữ ký được tìm thấy bằng cách dò dữ liệu của tệp",
                )
            )
        aggregate_signature(sig)
        doc.signatures.append(sig)
    aggregate_document(doc)


def _sig_dict_time(found: FoundSignature) -> datetime | None:
    if found.sig_object is None:
        return None
    try:
        m = found.sig_object.get("/M")
        if m is None:
            return None
        return generic.parse_pdf_date(str(m))
    except Exception:
        return None


def _verify_one(shared: _Shared, found: FoundSignature) -> SignatureResult:
    req, policy = shared.req, shared.req.policy
    sig = SignatureResult(
        index=found.index,
        kind=found.kind,
        field_name=found.field_name,
        sub_filter=found.sub_filter.lstrip("/"),
    )
    fc, coverage = check_format(policy, req.data, shared.reader, found)
    sig.checks.extend(fc)
    si, sd = found.signer_info, found.signed_data
    if si is not None:
        sig.digest_algorithm = str(si["digest_algorithm"]["algorithm"].native)
        try:
            sig.signature_algorithm = str(si["signature_algorithm"].signature_algo)
        except ValueError:
            sig.signature_algorithm = str(si["signature_algorithm"]["algorithm"].native)
    if coverage is None or si is None or sd is None:
        # Still name the signer if we can: clerks need to know whose signature is broken.
        if si is not None and sd is not None:
            cert = find_signer_certificate(sd, si)
            if cert is not None:
                sig.certificate = describe_certificate(cert)
        return sig
    sig.revision = coverage.revision
    sig.covers_whole_document = coverage.whole_document
    if found.kind is Kind.DOCUMENT_TIMESTAMP:
        _verify_document_timestamp(shared, found, sig, coverage)
    else:
        _verify_signature(shared, found, sig, coverage)
    if shared.analysis is None:
        sig.checks.extend(changes.structure_unreadable(policy, sig))
    else:
        sig.checks.extend(changes.check_changes_after(policy, shared.analysis, sig, coverage))
    return sig


def _other_certs(shared: _Shared, *groups: list[x509.Certificate]) -> list[x509.Certificate]:
    out = list(shared.intermediates)
    for g in groups:
        out.extend(g)
    return out


def _chain_inputs(
    shared: _Shared,
    purpose: Purpose,
    certs: list[x509.Certificate],
    embedded: revocation.EmbeddedValidationData,
) -> chain.ChainInputs:
    req = shared.req
    return chain.ChainInputs(
        anchors=req.snapshot.anchors(purpose),
        other_certs=certs,
        embedded=shared.dss.extend(embedded),
        fetch=req.fetch and shared.at_now,
        fetcher_backend=req.fetcher_backend,
        validation_time=shared.now,
        at_now=shared.at_now,
        deadline=req.deadline,
    )


def _verify_signature(
    shared: _Shared, found: FoundSignature, sig: SignatureResult, coverage: Coverage
) -> None:
    req, policy = shared.req, shared.req.policy
    si, sd = found.signer_info, found.signed_data
    assert si is not None and sd is not None
    cms_certs = embedded_certificates(sd)
    cert = find_signer_certificate(sd, si, [*shared.dss.certs])
    if cert is None:
        sig.checks.append(
            policy.judge(
                "SIGNING_CERTIFICATE",
                Outcome.UNKNOWN,
                "NO_SIGNING_CERTIFICATE_FOUND",
                "the signer's certificate is not in the signature",
                "Không tìm thấy chứng thư số của người ký",
                sub=SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            )
        )
        return
    sig.certificate = describe_certificate(cert)
    sig.checks.append(
        policy.judge(
            "SIGNING_CERTIFICATE",
            Outcome.OK,
            "SIGNING_CERTIFICATE_FOUND",
            f"signer certificate: {sig.certificate.subject}",
            f"Chứng thư số của người ký: {sig.certificate.subject}",
        )
    )
    ess = check_ess_reference(si, cert)
    sig.checks.append(
        policy.judge(
            "SIGNING_CERTIFICATE_REFERENCE",
            Outcome.OK if ess.ok else Outcome.NOT_OK,
            "SIGNING_CERTIFICATE_REFERENCE_OK"
            if ess.ok
            else "SIGNING_CERTIFICATE_REFERENCE_MISMATCH",
            "the signed certificate reference matches" if ess.ok else ess.reason,
            "Tham chiếu chứng thư số được ký khớp"
            if ess.ok
            else "Tham chiếu chứng thư số trong chữ ký không khớp",
            failure=Indication.INDETERMINATE,
            sub=SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
        )
    )
    sig.checks.append(
        policy.judge(
            "SIGNING_CERTIFICATE_REFERENCE_PRESENT",
            Outcome.OK if ess.present else Outcome.NOT_OK,
            "ESS_SIGNING_CERTIFICATE_PRESENT" if ess.present else "ESS_SIGNING_CERTIFICATE_ABSENT",
            "the signature carries an ESS signing-certificate attribute"
            if ess.present
            else "the signature carries no ESS signing-certificate attribute",
            "Chữ ký có thuộc tính tham chiếu chứng thư số (ESS)"
            if ess.present
            else "Chữ ký không có thuộc tính tham chiếu chứng thư số (ESS)",
        )
    )
    # CV: message digest, then the signature value.
    algo = sig.digest_algorithm
    try:
        doc_digest = integrity.digest_ranges(req.data, coverage.ranges, algo)
    except integrity.UnsupportedDigest:
        sig.checks.append(
            policy.judge(
                "MESSAGE_DIGEST",
                Outcome.NOT_OK,
                "DIGEST_ALGORITHM_UNSUPPORTED",
                f"unsupported digest algorithm {algo}",
                f"Thuật toán băm {algo} không được hỗ trợ",
                sub=SubIndication.FORMAT_FAILURE,
            )
        )
        return
    md = integrity.check_message_digest(si, doc_digest)
    sig.checks.append(
        policy.judge(
            "MESSAGE_DIGEST",
            Outcome.OK if md.ok else Outcome.NOT_OK,
            "MESSAGE_DIGEST_MATCH" if md.ok else "MESSAGE_DIGEST_MISMATCH",
            "the document has not been changed since it was signed" if md.ok else md.reason,
            "Nội dung tài liệu được ký còn nguyên vẹn"
            if md.ok
            else "Nội dung tài liệu đã bị thay đổi sau khi ký (giá trị băm không khớp)",
            sub=SubIndication.HASH_FAILURE,
        )
    )
    payload = found.signed_attrs_der
    if payload is None:
        view = memoryview(req.data)
        payload = b"".join(bytes(view[s : s + n]) for s, n in coverage.ranges)
    value = integrity.verify_signature_value(cert, si, payload)
    sig.checks.append(
        policy.judge(
            "SIGNATURE_VALUE",
            Outcome.OK if value.ok else Outcome.NOT_OK,
            "SIGNATURE_VALUE_VALID" if value.ok else "SIGNATURE_VALUE_INVALID",
            "the signature value matches the signer's public key" if value.ok else value.reason,
            "Chữ ký khớp với khóa công khai trong chứng thư số"
            if value.ok
            else "Chữ ký không khớp với khóa công khai trong chứng thư số",
            sub=SubIndication.SIG_CRYPTO_FAILURE,
        )
    )
    if value.digest_info_without_null:
        sig.checks.append(
            policy.judge(
                "DIGEST_INFO_ENCODING",
                Outcome.NOT_OK,
                "DIGEST_INFO_WITHOUT_NULL",
                "the RSA DigestInfo omits the NULL hash parameters (accepted: RFC 8017 "
                "allows both encodings)",
                "Cấu trúc DigestInfo của chữ ký RSA không có tham số NULL (được chấp nhận "
                "theo RFC 8017)",
            )
        )
    ct_ok = integrity.content_type_ok(si, "data")
    sig.checks.append(
        policy.judge(
            "CONTENT_TYPE",
            Outcome.OK if ct_ok else Outcome.NOT_OK,
            "CONTENT_TYPE_OK" if ct_ok else "CONTENT_TYPE_INVALID",
            "signed content type is data"
            if ct_ok
            else "the signed content-type attribute is not id-data",
            "Kiểu nội dung được ký hợp lệ"
            if ct_ok
            else "Thuộc tính kiểu nội dung được ký không hợp lệ",
            sub=SubIndication.FORMAT_FAILURE,
        )
    )
    # Time: a valid signature timestamp is proof; otherwise the signer's claim.
    claimed = timestamps.claimed_signing_time(si, _sig_dict_time(found))
    sig.claimed_signing_time = claimed
    sig.checks.append(
        policy.judge(
            "CLAIMED_SIGNING_TIME",
            Outcome.OK if claimed else Outcome.NOT_OK,
            "CLAIMED_SIGNING_TIME" if claimed else "CLAIMED_SIGNING_TIME_ABSENT",
            f"claimed signing time {claimed:%Y-%m-%d %H:%M:%S %Z}"
            if claimed
            else "no claimed signing time",
            f"Thời điểm ký do người ký khai báo: {claimed:%d/%m/%Y %H:%M:%S %Z}"
            if claimed
            else "Không có thời điểm ký khai báo",
        )
    )
    poe, ts_certs = _signature_timestamp(shared, sig, si, cms_certs)
    if poe is not None:
        sig.signing_time, sig.signing_time_source = poe, TimeSource.SIGNATURE_TIMESTAMP
    elif claimed is not None:
        sig.signing_time, sig.signing_time_source = claimed, TimeSource.CLAIMED
    sig.checks.append(algorithms.check_digest_algorithm(policy, algo, sig.signing_time))
    sig.checks.append(algorithms.check_key_size(policy, cert))
    sig.checks.extend(check_key_usage(policy, cert))
    _check_deadline(req)
    result = chain.validate_chain(
        policy,
        cert,
        _chain_inputs(
            shared,
            Purpose.SIGNATURE,
            _other_certs(shared, cms_certs, ts_certs),
            revocation.from_cms(si),
        ),
        poe=poe,
        claimed=claimed,
    )
    _apply_chain(sig, result)


def _apply_chain(sig: SignatureResult, result: chain.ChainResult) -> None:
    sig.checks.extend(result.checks)
    sig.revocation = result.revocation
    sig.trust_anchor_subject = result.anchor_subject
    sig.trust_anchor_sha256 = result.anchor_sha256
    for code, en, vi in result.notes:
        sig.warnings.append(Message(code, en, vi))


def _signature_timestamp(
    shared: _Shared, sig: SignatureResult, si: Any, extra_certs: list[x509.Certificate]
) -> tuple[datetime | None, list[x509.Certificate]]:
    """Validate the first signature timestamp; its time (when it is proof) and certificates."""
    policy = shared.req.policy
    tokens = timestamps.signature_timestamp_tokens(si)
    sig.checks.append(
        policy.judge(
            "SIGNATURE_TIMESTAMP_PRESENT",
            Outcome.OK if tokens else Outcome.NOT_OK,
            "SIGNATURE_TIMESTAMP_PRESENT" if tokens else "SIGNATURE_TIMESTAMP_ABSENT",
            "the signature has a signature timestamp"
            if tokens
            else "the signature has no timestamp",
            "Chữ ký có dấu thời gian" if tokens else "Chữ ký không có dấu thời gian",
        )
    )
    if not tokens:
        return None, []
    token = timestamps.check_token(
        tokens[0], si["signature"].native, extra_certs=[*shared.dss.certs, *shared.intermediates]
    )
    ts = TimestampSummary(
        time=token.gen_time, tsa=token.tsa_name, digest_algorithm=token.imprint_algorithm
    )
    sig.timestamp = ts
    unverifiable = token.imprint_ok and token.tsa_cert is None
    intact = token.imprint_ok and (token.signature_ok or unverifiable)
    sig.checks.append(
        policy.judge(
            "SIGNATURE_TIMESTAMP_IMPRINT",
            Outcome.OK if intact else Outcome.NOT_OK,
            "SIGNATURE_TIMESTAMP_INTACT" if intact else "SIGNATURE_TIMESTAMP_BROKEN",
            "the signature timestamp is intact" if intact else token.reason,
            "Dấu thời gian của chữ ký còn nguyên vẹn"
            if intact
            else "Dấu thời gian của chữ ký không hợp lệ",
            sub=SubIndication.HASH_FAILURE
            if not token.imprint_ok
            else SubIndication.SIG_CRYPTO_FAILURE,
        )
    )
    if not intact:
        ts.indication, ts.sub_indication = Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE
        return None, token.certs
    if token.tsa_cert is None:
        ts.indication, ts.sub_indication = (
            Indication.INDETERMINATE,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
        )
        sig.checks.append(
            policy.judge(
                "SIGNATURE_TIMESTAMP_VALID",
                Outcome.NOT_OK,
                "SIGNATURE_TIMESTAMP_TSA_UNKNOWN",
                "the TSA certificate of the signature timestamp is not available; "
                "the claimed signing time is used",
                "Không có chứng thư số của đơn vị cấp dấu thời gian; dùng thời điểm ký do người ký "
                "khai báo",
                failure=Indication.INDETERMINATE,
                sub=SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            )
        )
        return None, token.certs
    tsa_result = chain.validate_chain(
        policy,
        token.tsa_cert,
        _chain_inputs(
            shared,
            Purpose.TIMESTAMPING,
            _other_certs(shared, token.certs, extra_certs),
            revocation.from_cms(token.signer_info)
            if token.signer_info is not None
            else revocation.EmbeddedValidationData(),
        ),
        poe=None,
        claimed=token.gen_time,
    )
    blocking = [
        c for c in tsa_result.checks if c.indication is not None or c.status is not Status.PASSED
    ]
    if not blocking:
        ts.indication = Indication.TOTAL_PASSED
        sig.checks.append(
            policy.judge(
                "SIGNATURE_TIMESTAMP_VALID",
                Outcome.OK,
                "SIGNATURE_TIMESTAMP_TRUSTED",
                f"signature timestamp {token.gen_time:%Y-%m-%d %H:%M:%S %Z} by a trusted "
                f"TSA ({token.tsa_name})",
                f"Dấu thời gian {token.gen_time:%d/%m/%Y %H:%M:%S %Z} do đơn vị cấp dấu "
                "thời gian tin cậy cấp "
                f"({token.tsa_name})",
            )
        )
        return token.gen_time, token.certs
    first = blocking[0]
    ts.indication, ts.sub_indication = Indication.INDETERMINATE, first.sub_indication
    sig.checks.append(
        policy.judge(
            "SIGNATURE_TIMESTAMP_VALID",
            Outcome.NOT_OK,
            "SIGNATURE_TIMESTAMP_NOT_TRUSTED",
            f"the signature timestamp cannot be trusted ({first.message_en}); the claimed "
            "signing time is used",
            f"Không xác nhận được dấu thời gian ({first.message_vi}); dùng thời điểm ký do "
            "người ký khai báo",
            failure=Indication.INDETERMINATE,
            sub=first.sub_indication,
        )
    )
    return None, token.certs


def _verify_document_timestamp(
    shared: _Shared, found: FoundSignature, sig: SignatureResult, coverage: Coverage
) -> None:
    req, policy = shared.req, shared.req.policy
    sd = found.signed_data
    assert sd is not None
    info = integrity.tst_info(sd)
    imprint_digest = None
    if info is not None:
        try:
            imprint_algo = info["message_imprint"]["hash_algorithm"]["algorithm"].native
            imprint_digest = integrity.digest_ranges(req.data, coverage.ranges, imprint_algo)
            sig.digest_algorithm = str(imprint_algo)
        except (integrity.UnsupportedDigest, KeyError, ValueError):
            imprint_digest = None
    token = timestamps.check_token(
        sd,
        None,
        imprint_digest if imprint_digest is not None else b"",
        extra_certs=[*shared.dss.certs, *shared.intermediates],
    )
    cert = token.tsa_cert
    if cert is None:
        sig.checks.append(
            policy.judge(
                "SIGNING_CERTIFICATE",
                Outcome.UNKNOWN,
                "NO_SIGNING_CERTIFICATE_FOUND",
                "the TSA certificate is not in the timestamp",
                "Không tìm thấy chứng thư số của đơn vị cấp dấu thời gian",
                sub=SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            )
        )
        return
    sig.certificate = describe_certificate(cert)
    sig.signing_time, sig.signing_time_source = token.gen_time, TimeSource.TIMESTAMP_TOKEN
    sig.timestamp = TimestampSummary(
        time=token.gen_time, tsa=token.tsa_name, digest_algorithm=token.imprint_algorithm
    )
    sig.checks.append(
        policy.judge(
            "SIGNING_CERTIFICATE",
            Outcome.OK,
            "SIGNING_CERTIFICATE_FOUND",
            f"TSA certificate: {sig.certificate.subject}",
            f"Chứng thư số của đơn vị cấp dấu thời gian: {sig.certificate.subject}",
        )
    )
    sig.checks.append(
        policy.judge(
            "MESSAGE_DIGEST",
            Outcome.OK if token.imprint_ok else Outcome.NOT_OK,
            "MESSAGE_IMPRINT_MATCH" if token.imprint_ok else "MESSAGE_IMPRINT_MISMATCH",
            "the document has not been changed since it was timestamped"
            if token.imprint_ok
            else "the timestamp's message imprint does not match the document",
            "Nội dung tài liệu còn nguyên vẹn kể từ khi gắn dấu thời gian"
            if token.imprint_ok
            else "Nội dung tài liệu đã bị thay đổi sau khi gắn dấu thời gian",
            sub=SubIndication.HASH_FAILURE,
        )
    )
    ok = token.signature_ok
    sig.checks.append(
        policy.judge(
            "SIGNATURE_VALUE",
            Outcome.OK if ok else Outcome.NOT_OK,
            "SIGNATURE_VALUE_VALID" if ok else "SIGNATURE_VALUE_INVALID",
            "the timestamp signature is valid"
            if ok
            else (token.reason or "the timestamp signature is invalid"),
            "Chữ ký của dấu thời gian hợp lệ" if ok else "Chữ ký của dấu thời gian không hợp lệ",
            sub=SubIndication.SIG_CRYPTO_FAILURE,
        )
    )
    if token.signer_info is not None:
        sig.checks.append(
            algorithms.check_digest_algorithm(
                policy,
                str(token.signer_info["digest_algorithm"]["algorithm"].native),
                token.gen_time,
            )
        )
    sig.checks.append(algorithms.check_key_size(policy, cert))
    sig.checks.extend(check_key_usage(policy, cert, timestamp=True))
    result = chain.validate_chain(
        policy,
        cert,
        _chain_inputs(
            shared,
            Purpose.TIMESTAMPING,
            _other_certs(shared, token.certs),
            revocation.EmbeddedValidationData(),
        ),
        poe=None,
        claimed=token.gen_time,
    )
    _apply_chain(sig, result)


__all__ = ["Request", "open_pdf", "verify"]
