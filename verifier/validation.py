"""Validation of every signature and document timestamp of a PDF, as the EN 319 102-1 process.

First the facts (:mod:`verifier.facts`: what the file claims), then per signature the building
blocks of :mod:`verifier.process` in the standard's order, then aggregation
(:mod:`verifier.report`) and the Vietnamese summary, computed once here.

Hostile files are expected: anything a parser raises while one signature is checked turns that
signature INDETERMINATE ("could not be processed") with a reason, and the document as a whole
can never be reported better than its worst signature.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from kyso.errors import DeadlineExceeded, InvalidInput, ResourceExhausted, quoted
from kyso.pdf import parse_limits
from kyso.pki.fetching import current_budget
from kyso.settings import shorten
from trust_store.model import Purpose, TrustSnapshot
from verifier import change_analysis, constraints, limits, revocation, summary_vi
from verifier.facts import SignatureFacts, document_facts
from verifier.identification import describe_certificate
from verifier.layout.check import LayoutOptions, check_layout
from verifier.messages import note
from verifier.model import (
    DocumentResult,
    Indication,
    Kind,
    Outcome,
    SignatureResult,
    SubIndication,
    TimeSource,
)
from verifier.policy import Policy
from verifier.process import Context, cv, fc, isc, sav, ts, vci, xcv
from verifier.report import aggregate_document, aggregate_signature
from verifier.settings import VerifierSettings
from verifier.signatures import FoundSignature, find_raw_signatures, find_signatures
from verifier.visual_comparison import VisualLimits

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
    layout: LayoutOptions | None = None  # None: no layout report
    settings: VerifierSettings = field(default_factory=VerifierSettings)  # the limits
    visual: VisualLimits = field(default_factory=VisualLimits)  # page rendering bounds
    file_name: str = ""  # the caller's base name of the file (sanitised), for the report


def open_pdf(
    data: bytes | memoryview, bounds: parse_limits.ParseLimits | None = None
) -> PdfFileReader:
    """Parse leniently (real documents need it) but refuse what is not a PDF at all.

    Stream decoding is bounded by ``bounds`` (pyHanko's limits tightened, see
    :func:`kyso.pdf.parse_limits.decode_limits`; None: the current context's).
    """
    head = bytes(data[:_PDF_MAGIC_WINDOW])
    if b"%PDF-" not in head:
        raise InvalidInput("NOT_A_PDF", problem="no %PDF- header in its first 1 KiB")
    bounds = bounds or parse_limits.current()
    declared = parse_limits.declared_objects(data)
    if declared > bounds.max_objects:
        parse_limits.record("max_objects")
        raise ResourceExhausted(
            "PARSE_LIMIT_EXCEEDED",
            limit=f"max_objects = {bounds.max_objects}",
            problem=f"/Size {declared}",
        )
    stream = BytesIO(data) if isinstance(data, bytes) else data
    reader = PdfFileReader(
        stream,
        strict=False,
        decode_limits=parse_limits.decode_limits(bounds),
    )
    if reader.encrypted:
        raise InvalidInput("DOCUMENT_ENCRYPTED")
    return reader


def verify(req: Request) -> DocumentResult:
    """Validate every signature of ``req.data`` under ``req.policy``.

    Parsing is bounded by the request's limits (``req.settings``); each limit that stopped
    some work is named in the document's warnings (``LIMIT_REACHED``).
    """
    with parse_limits.applied(limits.parse_limits(req.settings)) as hits:
        doc = _verify(req)
        if hits:
            doc.warnings.extend(limits.reached(req.settings, hits))
    return doc


def _verify(req: Request) -> DocumentResult:
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
        file_name=req.file_name,
    )
    ctx = Context(
        req.data, req.snapshot, now, at_now, req.fetch, req.fetcher_backend, req.deadline,
        intermediates=tuple(req.snapshot.intermediates()), settings=req.settings,
    )  # fmt: skip
    reader: PdfFileReader | None = None
    try:
        reader = open_pdf(req.data)
        found, more = find_signatures(reader, req.settings.max_signatures)
        doc.revisions = reader.xrefs.total_revisions
    except InvalidInput:
        raise
    except ResourceExhausted as exc:
        # a parsing limit (max_objects): what the bytes prove is still checked, and the
        # warning LIMIT_REACHED names the limit (verify() adds it)
        log.info("PDF not read: %s", exc.code)
        _verify_unreadable(ctx, req.policy, doc)
    except Exception as exc:
        log.info("unreadable PDF: %s", type(exc).__name__)
        _verify_unreadable(ctx, req.policy, doc)
    else:
        if found:
            dss = revocation.read_dss(reader)
            ctx = replace(
                ctx,
                reader=reader,
                dss=dss,
                analysis=change_analysis.ChangeAnalysis(
                    reader, req.data, req.settings.max_listed_changes, visual=req.visual
                ),
            )
            _verify_all(ctx, req.policy, doc, found, more)
        else:
            aggregate_document(doc)
    if req.layout is not None:
        doc.layout = _layout(req, reader, doc)
    _fetch_refusals(doc)
    summary_vi.summarise_document(doc)
    doc.elapsed_ms = (time.perf_counter() - started) * 1000
    return doc


def _layout(req: Request, reader: PdfFileReader | None, doc: DocumentResult) -> Any:
    """The layout report (issue 10): separate from the signatures' indications, which it never
    changes; a failure here is logged and reported as NOT_CHECKED, never raised."""
    from verifier.layout.model import LayoutReport, LayoutStatus

    assert req.layout is not None
    if "max_objects" in parse_limits.hit():  # the structure was too large to read at all
        return LayoutReport(
            LayoutStatus.NOT_CHECKED,
            kind_evidence=f"more objects than max_objects = {req.settings.max_objects}",
        )
    names = {
        s.field_name: (s.certificate.common_name, s.certificate.organisation)
        for s in doc.signatures
        if s.certificate is not None and s.field_name
    }
    try:
        return check_layout(
            req.data, req.policy.layout, req.layout, reader=reader, deadline=req.deadline,
            policy_name=req.policy.name, names=names,
        )  # fmt: skip
    except Exception as exc:  # hostile files: the signatures' report still stands
        log.warning("layout check failed: %s", type(exc).__name__, exc_info=True)
        return LayoutReport(LayoutStatus.NOT_CHECKED, kind_evidence="the layout check failed")


def _fetch_refusals(doc: DocumentResult) -> None:
    """Name the ``[fetch]`` settings that refused or cut short this request's fetches."""
    budget = current_budget()
    if budget is None or not budget.refusals:
        return
    # setting names and hosts only: the problem (English) is in the log, the note is bilingual
    seen = dict.fromkeys(f"{r.setting} ({shorten(r.host, 40)})" for r in budget.refusals)
    reasons = "; ".join(list(seen)[:4]) + (f"; and {len(seen) - 4} more" if len(seen) > 4 else "")
    doc.warnings.append(note("FETCH_LIMITED", reasons=reasons))


def _verify_unreadable(ctx: Context, policy: Policy, doc: DocumentResult) -> None:
    """pyHanko cannot open the file: check what the raw bytes still prove.

    A digest or signature value that does not match is a fact independent of the structure
    (TOTAL_FAILED); everything else stays INDETERMINATE because the changes after signing are
    unknown.  Never TOTAL_PASSED.
    """
    found = find_raw_signatures(ctx.data)
    if not found:
        doc.warnings.append(note("PDF_UNREADABLE", "none"))
        return
    doc.warnings.append(note("PDF_UNREADABLE", "scanned", count=len(found)))
    _verify_all(ctx, policy, doc, found)
    if doc.indication is Indication.TOTAL_PASSED:  # cannot happen (CHANGES_AFTER_SIGNING unknown)
        doc.indication, doc.sub_indication = Indication.INDETERMINATE, SubIndication.GENERIC


def _verify_all(
    ctx: Context, policy: Policy, doc: DocumentResult, found: list[FoundSignature], more: int = 0
) -> None:
    cap = ctx.settings.max_signatures
    skipped = more + max(0, len(found) - cap)
    found = found[:cap]
    facts = document_facts(ctx.data, ctx.reader, found, ctx.dss)
    pairs = list(zip(found, facts.signatures, strict=True))
    # Document timestamps first, the last one first: each valid one is a proof of existence for
    # what it covers (the archive chain, EN 319 102-1 5.6.3), earlier timestamps included.
    stamps = [i for i, (_, sf) in enumerate(pairs) if sf.kind is Kind.DOCUMENT_TIMESTAMP]
    order = [*reversed(stamps), *sorted(set(range(len(pairs))) - set(stamps))]
    results: dict[int, SignatureResult] = {}
    for i in order:
        f, sig_facts = pairs[i]
        ctx.check_deadline()
        if f.limited:  # a limit stopped reading it: unknown, never FAILED nor PASSED
            sig = _result(sig_facts)
            sig.checks.append(policy.judge(constraints.SIGNATURE_UNREADABLE, Outcome.UNKNOWN))
            sig.warnings.extend(limits.reached(ctx.settings, f.limited.split(", ")))
            aggregate_signature(sig)
            results[i] = sig
            continue
        try:
            sig = _verify_one(ctx, policy, sig_facts)
        except DeadlineExceeded:
            raise
        except Exception as exc:
            # the message may quote hostile text (a certificate subject): bounded and escaped;
            # the traceback only at DEBUG
            log.warning(
                "signature %d could not be verified: %s: %s",
                f.index,
                type(exc).__name__,
                quoted(str(exc)),
            )
            log.debug("signature %d could not be verified", f.index, exc_info=True)
            sig = _result(sig_facts)
            sig.checks.append(policy.judge(constraints.SIGNATURE_UNREADABLE, Outcome.UNKNOWN))
        if ctx.reader is None:
            where = f" (object {f.sig_ref.idnum} {f.sig_ref.generation})" if f.sig_ref else ""
            sig.warnings.append(note("FOUND_BY_BYTE_SCAN", where=where))
        aggregate_signature(sig)
        results[i] = sig
        if (
            sig.kind is Kind.DOCUMENT_TIMESTAMP
            and sig.indication is Indication.TOTAL_PASSED
            and sig.signing_time is not None
            and sig.revision >= 0
        ):
            ctx.archive.append((sig.revision, sig.signing_time))
    doc.signatures.extend(results[i] for i in range(len(pairs)))
    aggregate_document(doc)
    if skipped:
        # signatures not checked: the document cannot be better than INDETERMINATE
        doc.warnings.append(note("SIGNATURES_NOT_CHECKED", limit=cap))
        if doc.indication is Indication.TOTAL_PASSED:
            doc.indication, doc.sub_indication = Indication.INDETERMINATE, SubIndication.GENERIC


def _result(f: SignatureFacts) -> SignatureResult:
    return SignatureResult(
        index=f.index, kind=f.kind, field_name=f.field_name, sub_filter=f.sub_filter_name
    )


def _verify_one(ctx: Context, policy: Policy, f: SignatureFacts) -> SignatureResult:
    """FC first; the rest only on a signature whose bytes and structure FC accepted."""
    sig = _result(f)
    checks, coverage = fc.format_checks(f, ctx, policy)
    sig.checks.extend(checks)
    if f.signer_info is not None:
        f.need("digest_algorithm", "signature_algorithm")
        sig.digest_algorithm, sig.signature_algorithm = f.digest_algorithm, f.signature_algorithm
    if coverage is None or f.signer_info is None or f.signed_data is None:
        # Still name the signer if we can: clerks need to know whose signature is broken.
        if f.signer_info is not None and f.signed_data is not None:
            f.need("cms_signer_certificate")
            if f.cms_signer_certificate is not None:
                sig.certificate = describe_certificate(f.cms_signer_certificate)
        return sig
    sig.revision = coverage.revision
    sig.covers_whole_document = coverage.whole_document
    if f.kind is Kind.DOCUMENT_TIMESTAMP:
        _document_timestamp(ctx, policy, f, sig, coverage)
    else:
        _signature(ctx, policy, f, sig, coverage)
    checks, sig.changes = fc.changes_after_signing(policy, ctx.analysis, coverage)
    sig.checks.extend(checks)
    return sig


def _signature(
    ctx: Context, policy: Policy, f: SignatureFacts, sig: SignatureResult, coverage: fc.Coverage
) -> None:
    checks, cert, sig.certificate = isc.signing_certificate(f, policy)
    sig.checks.extend(checks)
    if cert is None:
        return
    checks, go_on = cv.signature_integrity(f, coverage, cert, ctx, policy)
    sig.checks.extend(checks)
    if not go_on:
        return
    sig.checks.append(sav.content_type(f, policy))
    sig.checks.append(sav.claimed_signing_time(f, policy))
    claimed = sig.claimed_signing_time = f.claimed_signing_time
    # Time: a valid signature timestamp is proof of existence; otherwise the signer's claim.
    stamp = ts.signature_timestamp(f, ctx, policy)
    sig.checks.extend(stamp.checks)
    sig.timestamp = stamp.summary
    sig.timestamps.extend(stamp.summaries)
    if stamp.poe is not None:
        sig.signing_time, sig.signing_time_source = stamp.poe, TimeSource.SIGNATURE_TIMESTAMP
    elif claimed is not None:
        sig.signing_time, sig.signing_time_source = claimed, TimeSource.CLAIMED
    checks, content = ts.content_timestamps(f, coverage, ctx, policy, sig.signing_time)
    sig.checks.extend(checks)
    sig.timestamps.extend(content)
    sig.checks.append(sav.digest_algorithm(policy, f.digest_algorithm, sig.signing_time))
    sig.checks.extend(sav.signature_algorithm(policy, f.signer_info, f.signature_algorithm))
    sig.checks.append(sav.public_key_size(policy, cert))
    sig.checks.extend(xcv.key_usage(policy, cert))
    ctx.check_deadline()
    inputs = vci.initialise(
        ctx,
        Purpose.SIGNATURE,
        [*f.cms_certificates, *stamp.certs],
        f.cms_revocation,
        archive_poe=ctx.archive_poe(coverage.revision),
    )
    _apply_chain(
        sig, xcv.validate_certificate(policy, cert, inputs, poe=stamp.poe, claimed=claimed)
    )


def _document_timestamp(
    ctx: Context, policy: Policy, f: SignatureFacts, sig: SignatureResult, coverage: fc.Coverage
) -> None:
    out = ts.document_timestamp(f, coverage, ctx, policy)
    if out.digest_algorithm:
        sig.digest_algorithm = out.digest_algorithm
    sig.checks.extend(out.checks)
    sig.certificate = out.certificate
    if out.time is not None or out.summary is not None:
        sig.signing_time, sig.signing_time_source = out.time, TimeSource.TIMESTAMP_TOKEN
        sig.timestamp = out.summary
    if out.chain is not None:
        _apply_chain(sig, out.chain)


def _apply_chain(sig: SignatureResult, result: xcv.ChainResult) -> None:
    sig.checks.extend(result.checks)
    sig.revocation = result.revocation
    sig.trust_anchor_subject = result.anchor_subject
    sig.trust_anchor_sha256 = result.anchor_sha256
    sig.warnings.extend(result.notes)


__all__ = ["Request", "open_pdf", "verify"]
