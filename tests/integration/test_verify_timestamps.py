"""Issue 11 §1: every timestamp judged as what it is, through gRPC.

Signature timestamps are unsigned attributes (anyone can swap or add one): each is validated,
a bad one (wrong imprint, untrusted or revoked TSA) is reported and never fails an intact
signature; the earliest valid one gives the signing time.  Content timestamps are signed
attributes: one that fails keeps the signature from TOTAL_PASSED.  Document timestamps (B-LTA)
are validated one by one; a broken one in the middle does not touch the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.integration.documents import make_pdf
from tests.integration.generated_pki import (
    ExtraUnsignedTimestamps,
    FirstCallTimestamper,
    GeneratedPki,
    Issued,
    LyingTimestamper,
    sign_pdf,
    start_pki,
)

T1 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedPki]:
    pki, server = start_pki(tmp_path_factory.mktemp("generated-pki"))
    yield pki
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def tsas(gen: GeneratedPki) -> dict[str, Issued]:
    out = {
        "rsa": gen.issue("TSA RSA (generated)", tsa=True),
        "rsa3072": gen.issue("TSA 2, RSA-3072 (generated)", "rsa3072", tsa=True),
        "revoked": gen.issue("TSA revoked (generated)", tsa=True),
        "untrusted": gen.untrusted_tsa(),
        "signer": gen.issue("Người ký có dấu thời gian"),
    }
    gen.publish_crl((out["revoked"].cert,))
    return out


@pytest.fixture(scope="module")
def kyso_config(
    config_factory: Any, tmp_path_factory: pytest.TempPathFactory, gen: GeneratedPki
) -> Any:
    return config_factory.make(tmp_path_factory.mktemp("kyso-timestamps"), trust=[gen.root_path])


@pytest.fixture(scope="module")
def stub(grpc_channel: Any) -> pb_grpc.VerifierStub:
    return pb_grpc.VerifierStub(grpc_channel)


@pytest.fixture(scope="module")
def document() -> bytes:
    return make_pdf(["CÔNG VĂN", "Về việc thử dấu thời gian", "Lạc Thị Thời Gian"])


def verify(stub: pb_grpc.VerifierStub, pdf: bytes, **options: Any) -> pb.ValidationReport:
    return stub.Verify(
        pb.VerifyRequest(document=pdf, options=pb.VerifyOptions(**options)), timeout=60
    )


def checks(sig: pb.SignatureReport) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for c in sig.checks:
        out.setdefault(c.name, []).append(c.status)
    return out


def _with_stamps(gen: GeneratedPki, tsas: dict[str, Issued], document: bytes, stamps: Any) -> bytes:
    signer = gen.signer(tsas["signer"])
    signer.unsigned_attr_prov_spec = ExtraUnsignedTimestamps(stamps)
    return sign_pdf(document, signer)


@pytest.mark.parametrize(
    ("tsa", "md"), [("rsa", "sha256"), ("rsa3072", "sha384"), ("rsa", "sha512")]
)
def test_signature_timestamp_from_other_tsas_is_the_signing_time(
    stub: Any, gen: GeneratedPki, tsas: dict[str, Issued], document: bytes, tsa: str, md: str
) -> None:
    pdf = sign_pdf(
        document,
        gen.signer(tsas["signer"]),
        md=md,
        timestamper=gen.timestamper(tsas[tsa], T1, md),
    )
    report = verify(stub, pdf)
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (sig,) = report.signatures
    assert sig.signing_time_source == pb.SIGNING_TIME_SOURCE_SIGNATURE_TIMESTAMP
    assert sig.signing_time.ToDatetime(tzinfo=UTC) == T1
    (ts,) = sig.timestamps
    assert ts.kind == pb.TIMESTAMP_KIND_SIGNATURE and ts.proof_of_existence
    assert ts.digest_algorithm == md


@pytest.mark.parametrize(
    ("bad", "token_indication"),
    [
        ("lying", pb.INDICATION_TOTAL_FAILED),
        ("untrusted", pb.INDICATION_INDETERMINATE),
        ("revoked", pb.INDICATION_INDETERMINATE),
    ],
)
def test_bad_signature_timestamp_never_fails_an_intact_signature(
    stub: Any,
    gen: GeneratedPki,
    tsas: dict[str, Issued],
    document: bytes,
    bad: str,
    token_indication: int,
) -> None:
    if bad == "lying":
        stamper: Any = LyingTimestamper(gen.timestamper(tsas["rsa"], T1))
    else:
        stamper = gen.timestamper(tsas[bad], T1)
    pdf = sign_pdf(document, gen.signer(tsas["signer"]), timestamper=stamper)
    report = verify(stub, pdf)
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi  # vn-gov: WARN
    (sig,) = report.signatures
    assert sig.signing_time_source == pb.SIGNING_TIME_SOURCE_CLAIMED
    (ts,) = sig.timestamps
    assert ts.indication == token_indication
    assert not ts.proof_of_existence
    assert ts.reason.message_en and ts.reason.message_vi
    assert pb.CHECK_WARNING in [
        s for name in ("SIGNATURE_TIMESTAMP_IMPRINT", "SIGNATURE_TIMESTAMP_VALID")
        for s in checks(sig).get(name, [])
    ]  # fmt: skip
    strict = verify(stub, pdf, policy="vn-gov-strict")
    assert strict.indication == pb.INDICATION_INDETERMINATE, strict.summary_vi


@pytest.mark.parametrize("bad_first", [True, False])
def test_two_signature_timestamps_one_bad(
    stub: Any, gen: GeneratedPki, tsas: dict[str, Issued], document: bytes, bad_first: bool
) -> None:
    good = (gen.timestamper(tsas["rsa"], T2), None)
    bad = (gen.timestamper(tsas["rsa3072"], T1), b"other data than the signature value")
    pdf = _with_stamps(gen, tsas, document, [bad, good] if bad_first else [good, bad])
    report = verify(stub, pdf)
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (sig,) = report.signatures
    assert len(sig.timestamps) == 2
    by_time = {t.time.ToDatetime(tzinfo=UTC): t for t in sig.timestamps}
    assert by_time[T1].indication == pb.INDICATION_TOTAL_FAILED
    assert by_time[T1].sub_indication == pb.SUB_INDICATION_HASH_FAILURE
    assert by_time[T2].indication == pb.INDICATION_TOTAL_PASSED and by_time[T2].proof_of_existence
    assert sig.signing_time_source == pb.SIGNING_TIME_SOURCE_SIGNATURE_TIMESTAMP
    assert sig.signing_time.ToDatetime(tzinfo=UTC) == T2  # the bad (earlier) one is no proof
    assert sig.signature_timestamp.time.ToDatetime(tzinfo=UTC) == T2
    assert checks(sig)["SIGNATURE_TIMESTAMP_IMPRINT"].count(pb.CHECK_WARNING) == 1


def test_the_earliest_valid_signature_timestamp_gives_the_signing_time(
    stub: Any, gen: GeneratedPki, tsas: dict[str, Issued], document: bytes
) -> None:
    stamps = [
        (gen.timestamper(tsas["rsa"], T2), None),
        (gen.timestamper(tsas["rsa3072"], T1), None),
    ]
    report = verify(stub, _with_stamps(gen, tsas, document, stamps))
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (sig,) = report.signatures
    assert sig.signing_time.ToDatetime(tzinfo=UTC) == T1
    assert [t.proof_of_existence for t in sig.timestamps] == [False, True]
    assert checks(sig)["SIGNATURE_TIMESTAMP_VALID"] == [pb.CHECK_PASSED, pb.CHECK_PASSED]


def test_content_timestamp_valid(
    stub: Any, gen: GeneratedPki, tsas: dict[str, Issued], document: bytes
) -> None:
    stamper = FirstCallTimestamper(
        gen.timestamper(tsas["rsa3072"], T1), gen.timestamper(tsas["rsa"], T2)
    )
    pdf = sign_pdf(
        document, gen.signer(tsas["signer"]), timestamper=stamper, content_timestamp=True
    )
    report = verify(stub, pdf)
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (sig,) = report.signatures
    kinds = {t.kind: t for t in sig.timestamps}
    assert kinds[pb.TIMESTAMP_KIND_CONTENT].indication == pb.INDICATION_TOTAL_PASSED
    assert kinds[pb.TIMESTAMP_KIND_CONTENT].time.ToDatetime(tzinfo=UTC) == T1
    assert kinds[pb.TIMESTAMP_KIND_SIGNATURE].proof_of_existence
    assert checks(sig)["CONTENT_TIMESTAMP"] == [pb.CHECK_PASSED]


@pytest.mark.parametrize(
    ("fault", "sub"),
    [
        ("lying", pb.SUB_INDICATION_SIG_CONSTRAINTS_FAILURE),
        ("untrusted", pb.SUB_INDICATION_CERTIFICATE_CHAIN_GENERAL_FAILURE),
        ("after-signing", pb.SUB_INDICATION_TIMESTAMP_ORDER_FAILURE),
    ],
)
def test_failing_content_timestamp_is_not_passed(
    stub: Any,
    gen: GeneratedPki,
    tsas: dict[str, Issued],
    document: bytes,
    fault: str,
    sub: int,
) -> None:
    content: Any = {
        "lying": LyingTimestamper(gen.timestamper(tsas["rsa"], T1)),
        "untrusted": gen.timestamper(tsas["untrusted"], T1),
        "after-signing": gen.timestamper(tsas["rsa"], T2 + timedelta(days=1)),
    }[fault]
    stamper = FirstCallTimestamper(content, gen.timestamper(tsas["rsa"], T2))
    pdf = sign_pdf(
        document, gen.signer(tsas["signer"]), timestamper=stamper, content_timestamp=True
    )
    report = verify(stub, pdf)
    (sig,) = report.signatures
    assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
    assert sig.sub_indication == sub
    assert checks(sig)["CONTENT_TIMESTAMP"] == [pb.CHECK_FAILED]
    assert checks(sig)["SIGNATURE_VALUE"] == [pb.CHECK_PASSED]
    content_ts = next(t for t in sig.timestamps if t.kind == pb.TIMESTAMP_KIND_CONTENT)
    assert content_ts.indication != pb.INDICATION_TOTAL_PASSED
    assert content_ts.reason.message_vi


def _doc_timestamp(pdf: bytes, stamper: Any, vc: Any = None) -> bytes:
    out = PdfTimeStamper(stamper).timestamp_pdf(
        IncrementalPdfFileWriter(BytesIO(pdf)), md_algorithm="sha256", validation_context=vc
    )
    return bytes(out.getvalue())


def test_archive_timestamp_is_proof_of_existence_for_an_expired_certificate(
    stub: Any, gen: GeneratedPki, tsas: dict[str, Issued], document: bytes
) -> None:
    """B-LTA: a month later the signer's certificate has expired; the valid document timestamp
    over the signature and its validation data proves it existed while it was valid."""
    from pyhanko_certvalidator import ValidationContext

    now = datetime.now(UTC)
    leaf = gen.issue("Chứng thư ngắn hạn", not_after=now + timedelta(days=2))
    vc = ValidationContext(trust_roots=[gen.root.cert], allow_fetching=True)
    signed = sign_pdf(document, gen.signer(leaf), lt_context=vc)
    archived = _doc_timestamp(signed, gen.timestamper(tsas["rsa"]), vc)
    later = {"validation_time": _pb_time(now + timedelta(days=30)), "fetch_revocation": False}
    report = verify(stub, archived, **later)
    sig, stamp = report.signatures
    assert stamp.indication == pb.INDICATION_TOTAL_PASSED, stamp.summary_vi.text
    assert sig.indication == pb.INDICATION_TOTAL_PASSED, sig.summary_vi.text
    assert any(w.code == "ARCHIVE_TIMESTAMP_POE" for w in sig.warnings)
    assert report.indication == pb.INDICATION_TOTAL_PASSED
    # without the archive timestamp nothing proves when it was signed
    bare = verify(stub, signed, **later)
    assert bare.indication == pb.INDICATION_INDETERMINATE
    assert bare.signatures[0].sub_indication == pb.SUB_INDICATION_OUT_OF_BOUNDS_NO_POE


def _pb_time(when: datetime) -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp

    t = Timestamp()
    t.FromDatetime(when)
    return t


def test_b_lta_chain_with_a_broken_middle_timestamp(
    stub: Any, gen: GeneratedPki, tsas: dict[str, Issued], document: bytes
) -> None:
    signed = sign_pdf(
        document, gen.signer(tsas["signer"]), timestamper=gen.timestamper(tsas["rsa"], T1)
    )
    first = _doc_timestamp(signed, gen.timestamper(tsas["rsa"]))
    middle = _doc_timestamp(first, LyingTimestamper(gen.timestamper(tsas["rsa3072"])))
    last = _doc_timestamp(middle, gen.timestamper(tsas["rsa"]))
    report = verify(stub, last)
    sig, ts1, ts2, ts3 = report.signatures
    assert sig.indication == pb.INDICATION_TOTAL_PASSED, sig.summary_vi.text
    assert [ts1.kind, ts2.kind, ts3.kind] == [pb.SIGNATURE_KIND_DOCUMENT_TIMESTAMP] * 3
    assert ts1.indication == pb.INDICATION_TOTAL_PASSED, ts1.summary_vi.text
    assert ts3.indication == pb.INDICATION_TOTAL_PASSED, ts3.summary_vi.text
    assert ts2.indication == pb.INDICATION_TOTAL_FAILED
    assert ts2.sub_indication == pb.SUB_INDICATION_HASH_FAILURE
    # each covers what precedes it
    assert [s.revision for s in report.signatures] == sorted(s.revision for s in report.signatures)
    assert ts3.covers_whole_document and not ts2.covers_whole_document
    # the broken one is named with its reason; it does not fail the document by itself
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (note,) = [w for w in report.warnings if w.code == "DOCUMENT_TIMESTAMP_NOT_USED"]
    assert "HASH_FAILURE" in note.message_en and note.message_vi
    # without the broken one the chain passes
    assert verify(stub, _doc_timestamp(first, gen.timestamper(tsas["rsa"]))).indication == (
        pb.INDICATION_TOTAL_PASSED
    )


def test_appended_broken_document_timestamp_does_not_fail_the_signature(
    stub: Any, gen: GeneratedPki, tsas: dict[str, Issued], document: bytes
) -> None:
    """Anyone can append a document timestamp (an incremental update), as anyone can swap a
    signature timestamp: a broken one is listed as failed with its reason, is no proof of
    existence, and leaves the signature's verdict and the document's as they were."""
    signed = sign_pdf(
        document, gen.signer(tsas["signer"]), timestamper=gen.timestamper(tsas["rsa"], T1)
    )
    before = verify(stub, signed)
    assert before.indication == pb.INDICATION_TOTAL_PASSED, before.summary_vi
    broken = _doc_timestamp(signed, LyingTimestamper(gen.timestamper(tsas["rsa"])))
    report = verify(stub, broken)
    sig, stamp = report.signatures
    assert sig.indication == before.signatures[0].indication
    assert sig.signing_time == before.signatures[0].signing_time
    assert not any(w.code == "ARCHIVE_TIMESTAMP_POE" for w in sig.warnings)
    assert stamp.kind == pb.SIGNATURE_KIND_DOCUMENT_TIMESTAMP
    assert stamp.indication == pb.INDICATION_TOTAL_FAILED
    assert stamp.sub_indication == pb.SUB_INDICATION_HASH_FAILURE
    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
    (note,) = [w for w in report.warnings if w.code == "DOCUMENT_TIMESTAMP_NOT_USED"]
    assert "document timestamp 2" in note.message_en
    assert "Dấu thời gian tài liệu 2" in note.message_vi
    assert "DOCUMENT_TIMESTAMP_NOT_USED" in report.summary_vi
    # an untrusted TSA's document timestamp: INDETERMINATE, reported, not counted either
    untrusted = _doc_timestamp(signed, gen.timestamper(tsas["untrusted"]))
    other = verify(stub, untrusted)
    assert other.signatures[1].indication == pb.INDICATION_INDETERMINATE
    assert other.indication == pb.INDICATION_TOTAL_PASSED, other.summary_vi
    assert any(w.code == "DOCUMENT_TIMESTAMP_NOT_USED" for w in other.warnings)
