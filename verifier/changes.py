"""Changes after signing, judged by the policy (the analysis itself is verifier.diff_analysis).

Allowed after a signature: later signatures, document timestamps, DSS/LTV
updates and form filling.  Annotations are judged by what they cover
(``annotation_overlap``): a signature appearance or an earlier annotation
fails the signature (ANNOTATION_OVERLAP), signed text or drawn content leaves it
INDETERMINATE
(ANNOTATION_OVER_CONTENT), nothing is a warning (ANNOTATIONS_AFTER_SIGNING,
allowed outright by a DocMDP P=3 certification).  Anything else, or a
DocMDP/FieldMDP violation, fails the signature.  When the analysis cannot run, the answer is
INDETERMINATE, never PASSED.
"""

from __future__ import annotations

import logging
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from verifier.annotation_overlap import Covers, Finding, assess
from verifier.format_checks import Coverage
from verifier.model import (
    ChangeEntry,
    ChangesSummary,
    CheckResult,
    Indication,
    Outcome,
    SignatureResult,
    SubIndication,
)
from verifier.policy import Policy

log = logging.getLogger("kyso.verifier.changes")


class Analysis:
    """The document's change analysis, opened on first use (most documents never need it)."""

    def __init__(self, reader: PdfFileReader, data: Any = None) -> None:
        self._reader = reader
        self._data = data
        self._analysis: Any | None = None
        self._error: str | None = None
        self._findings: dict[tuple[int, tuple[tuple[int, int], ...]], list[Finding]] = {}

    def annotation_findings(
        self, revision: int, end: int, refs: list[tuple[int, int]]
    ) -> list[Finding] | None:
        """What the annotations ``refs`` cover of the signed ``revision`` (None: unknown)."""
        if self._data is None:
            return None
        key = (revision, tuple(refs))
        if key not in self._findings:
            self._findings[key] = assess(self._reader, self._data, revision, end, refs)
        return self._findings[key]

    def get(self) -> Any | None:
        if self._analysis is None and self._error is None:
            try:
                from verifier.diff_analysis import analyse_document

                self._analysis = analyse_document(self._reader)
            except Exception as exc:
                self._error = type(exc).__name__
                log.info("change analysis unavailable: %s", self._error)
        return self._analysis


def _not_analysed(
    policy: Policy, sig: SignatureResult, why_en: str, why_vi: str
) -> list[CheckResult]:
    sig.changes = ChangesSummary(analysed=False, summary_en=why_en, summary_vi=why_vi)
    return [
        policy.judge(
            "CHANGES_AFTER_SIGNING",
            Outcome.UNKNOWN,
            "CHANGES_NOT_ANALYSED",
            why_en,
            why_vi,
            sub=SubIndication.GENERIC,
        ),
        policy.judge(
            "DOCMDP",
            Outcome.UNKNOWN,
            "DOCMDP_NOT_CHECKED",
            "certification permissions could not be checked",
            "Không kiểm tra được quyền chứng nhận (DocMDP)",
            sub=SubIndication.GENERIC,
        ),
    ]


def structure_unreadable(policy: Policy, sig: SignatureResult) -> list[CheckResult]:
    """Byte-level fallback: what changed after signing is unknown, so never PASSED."""
    return _not_analysed(
        policy,
        sig,
        "the PDF structure cannot be read, so the changes after signing cannot be analysed",
        "Không đọc được cấu trúc tệp PDF nên không phân tích được các thay đổi sau khi ký",
    )


_ANNOTATION_KINDS = ("ANNOTATION_ADDED", "ANNOTATION_CHANGED")


def _annotation_refs(summary: Any) -> list[tuple[int, int]]:
    """Annotations added or changed after signing (the ones the analysis calls ANNOTATIONS)."""
    refs: list[tuple[int, int]] = []
    for c in summary.changes:
        if c.kind.value in _ANNOTATION_KINDS and c.level.name == "ANNOTATIONS":
            refs.extend(r for r in c.objects if r not in refs)
    return refs


def _annotations(
    policy: Policy,
    analysis: Analysis,
    summary: Any,
    revision: int,
    coverage: Coverage,
    sig: SignatureResult,
) -> list[CheckResult]:
    """Annotations after signing: what each one covers decides (DSS PdfAnnotationOverlap).

    Covering a signature appearance or an earlier annotation fails the signature; covering
    text or drawn content of the signed page (or coverage that cannot be established) leaves
    it INDETERMINATE;
    an annotation that covers nothing is a warning (allowed outright by a DocMDP P=3
    certification).
    """
    results: list[CheckResult] = []
    if summary.docmdp_permission == 3:
        results.append(
            policy.judge(
                "ANNOTATIONS_AFTER_SIGNING",
                Outcome.OK,
                "ANNOTATIONS_ALLOWED_BY_DOCMDP",
                f"annotations added after signing, allowed by the certification (P=3): "
                f"{summary.summary_en}",
                f"Có chú thích được thêm sau khi ký, được phép theo chữ ký chứng nhận (P=3): "
                f"{summary.summary_vi}",
            )
        )
    else:
        results.append(
            policy.judge(
                "ANNOTATIONS_AFTER_SIGNING",
                Outcome.NOT_OK,
                "ANNOTATIONS_AFTER_SIGNING",
                f"annotations were added or changed after signing: {summary.summary_en}",
                f"Có chú thích được thêm hoặc sửa sau khi ký: {summary.summary_vi}",
                failure=Indication.INDETERMINATE,
                sub=SubIndication.SIG_CONSTRAINTS_FAILURE,
            )
        )
    refs = _annotation_refs(summary)
    try:
        findings = analysis.annotation_findings(revision, coverage.end, refs)
    except Exception as exc:
        log.info("annotation overlap not established: %s", type(exc).__name__)
        findings = None
    if findings is None:
        unknown_en = "what the annotations added after signing cover could not be established"
        unknown_vi = "Không xác định được chú thích thêm sau khi ký che lên phần nào của văn bản"
        for name in ("ANNOTATION_OVERLAP", "ANNOTATION_OVER_CONTENT"):
            results.append(
                policy.judge(
                    name,
                    Outcome.UNKNOWN,
                    "ANNOTATION_COVERAGE_UNKNOWN",
                    unknown_en,
                    unknown_vi,
                    sub=SubIndication.GENERIC,
                )
            )
        return results
    _describe(sig, summary, findings)
    shown = [f for f in findings if f.covers is not Covers.NOT_SHOWN]
    over_sig = [f for f in shown if f.covers in (Covers.SIGNATURE, Covers.ANNOTATION)]
    if over_sig:
        results.append(
            policy.judge(
                "ANNOTATION_OVERLAP",
                Outcome.NOT_OK,
                "ANNOTATION_OVERLAP",
                "an annotation added after signing covers a signature appearance or an earlier "
                "annotation: " + "; ".join(f.description_en for f in over_sig),
                "Chú thích được thêm sau khi ký che lên chữ ký hoặc chú thích có trước: "
                + "; ".join(f.description_vi for f in over_sig),
                sub=SubIndication.FORMAT_FAILURE,
            )
        )
    else:
        results.append(
            policy.judge(
                "ANNOTATION_OVERLAP",
                Outcome.OK,
                "NO_ANNOTATION_OVERLAP",
                "no annotation added after signing covers a signature or an earlier annotation",
                "Không có chú thích thêm sau khi ký che lên chữ ký hoặc chú thích có trước",
            )
        )
    over_text = [f for f in shown if f.covers in (Covers.TEXT, Covers.CONTENT)]
    unknown = [f for f in shown if f.covers is Covers.UNKNOWN]
    if over_text:
        results.append(
            policy.judge(
                "ANNOTATION_OVER_CONTENT",
                Outcome.NOT_OK,
                "ANNOTATION_OVER_CONTENT",
                "an annotation added after signing covers content of the signed document; "
                "compare with the signed version: "
                + "; ".join(f.description_en for f in over_text),
                "Chú thích được thêm sau khi ký che lên nội dung văn bản đã ký; cần đối chiếu với "
                "bản đã ký: " + "; ".join(f.description_vi for f in over_text),
                failure=Indication.INDETERMINATE,
                sub=SubIndication.SIG_CONSTRAINTS_FAILURE,
            )
        )
    elif unknown:
        results.append(
            policy.judge(
                "ANNOTATION_OVER_CONTENT",
                Outcome.UNKNOWN,
                "ANNOTATION_COVERAGE_UNKNOWN",
                "what an annotation added after signing covers could not be established: "
                + "; ".join(f.description_en for f in unknown),
                "Không xác định được chú thích thêm sau khi ký che lên phần nào: "
                + "; ".join(f.description_vi for f in unknown),
                sub=SubIndication.SIG_CONSTRAINTS_FAILURE,
            )
        )
    else:
        results.append(
            policy.judge(
                "ANNOTATION_OVER_CONTENT",
                Outcome.OK,
                "NO_ANNOTATION_OVER_CONTENT",
                "no annotation added after signing covers content of the signed document",
                "Không có chú thích thêm sau khi ký che lên nội dung văn bản đã ký",
            )
        )
    return results


def _describe(sig: SignatureResult, summary: Any, findings: list[Finding]) -> None:
    """Say in the "changes after" text what each annotation covers."""
    if not findings:
        return
    by_ref = {f.ref: f for f in findings}
    for entry, change in zip(sig.changes.changes, summary.changes, strict=False):
        f = next((by_ref[r] for r in change.objects if r in by_ref), None)
        if f is not None:
            entry.description_en = f"{entry.description_en} ({f.description_en})"
            entry.description_vi = f"{entry.description_vi} ({f.description_vi})"
    en = "; ".join(f.description_en for f in findings)
    vi = "; ".join(f.description_vi for f in findings)
    sig.changes.summary_en += f". {en[:1].upper()}{en[1:]}"
    sig.changes.summary_vi += f". {vi[:1].upper()}{vi[1:]}"


def check_changes_after(
    policy: Policy, analysis: Analysis, sig: SignatureResult, coverage: Coverage
) -> list[CheckResult]:
    if coverage.whole_document:
        sig.changes = ChangesSummary(
            analysed=True,
            level="NONE",
            summary_en="No changes after signing",
            summary_vi="Không có thay đổi sau khi ký",
        )
        return [
            policy.judge(
                "CHANGES_AFTER_SIGNING",
                Outcome.OK,
                "NO_CHANGES_AFTER_SIGNING",
                "the signature covers the whole document",
                "Chữ ký bao trùm toàn bộ tài liệu",
            ),
            policy.judge(
                "DOCMDP",
                Outcome.OK,
                "DOCMDP_OK",
                "no changes, so no certification permission is violated",
                "Không có thay đổi nên không vi phạm quyền chứng nhận",
            ),
        ]
    ra = analysis.get()
    if ra is None:
        return _not_analysed(
            policy,
            sig,
            "the changes after signing could not be analysed",
            "Không phân tích được các thay đổi sau khi ký",
        )
    try:
        revision = ra.revision_of_offset(coverage.end)
        summary = ra.changes_after(revision)
    except Exception as exc:
        log.info("change analysis failed: %s", type(exc).__name__)
        return _not_analysed(
            policy,
            sig,
            "the changes after signing could not be analysed",
            "Không phân tích được các thay đổi sau khi ký",
        )
    level = summary.level.name
    sig.changes = ChangesSummary(
        analysed=True,
        level=level,
        changes=[
            ChangeEntry(c.kind.value, c.description_en, c.description_vi, c.revision)
            for c in summary.changes
        ],
        docmdp_violated=bool(summary.docmdp_violated or summary.fieldmdp_violated),
        summary_en=summary.summary_en,
        summary_vi=summary.summary_vi,
    )
    results: list[CheckResult] = []
    annotations = (
        _annotations(policy, analysis, summary, revision, coverage, sig)
        if level == "ANNOTATIONS" or _annotation_refs(summary)
        else []
    )
    if level == "OTHER":
        results.append(
            policy.judge(
                "CHANGES_AFTER_SIGNING",
                Outcome.NOT_OK,
                "DISALLOWED_CHANGES_AFTER_SIGNING",
                f"the document was changed after signing: {summary.summary_en}",
                f"Tài liệu đã bị thay đổi sau khi ký: {summary.summary_vi}",
                sub=SubIndication.FORMAT_FAILURE,
            )
        )
    else:
        results.append(
            policy.judge(
                "CHANGES_AFTER_SIGNING",
                Outcome.OK,
                "ALLOWED_CHANGES_AFTER_SIGNING",
                f"only allowed changes after signing: {summary.summary_en}",
                f"Sau khi ký chỉ có thay đổi được phép: {summary.summary_vi}",
            )
        )
    results.extend(annotations)
    if summary.docmdp_violated or summary.fieldmdp_violated:
        results.append(
            policy.judge(
                "DOCMDP",
                Outcome.NOT_OK,
                "MDP_PERMISSIONS_VIOLATED",
                "changes after signing violate the certification/field lock permissions: "
                + "; ".join(summary.violations),
                "Thay đổi sau khi ký vi phạm quyền chứng nhận hoặc khóa trường (DocMDP/FieldMDP)",
                sub=SubIndication.FORMAT_FAILURE,
            )
        )
    else:
        results.append(
            policy.judge(
                "DOCMDP",
                Outcome.OK,
                "DOCMDP_OK",
                "certification and field lock permissions respected",
                "Tuân thủ quyền chứng nhận và khóa trường",
            )
        )
    return results
