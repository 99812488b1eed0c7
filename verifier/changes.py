"""Changes after signing, judged by the policy (the analysis itself is verifier.diff_analysis).

Allowed after a signature: later signatures, document timestamps, DSS/LTV
updates and form filling.  Annotations are judged by the
ANNOTATIONS_AFTER_SIGNING constraint (INDETERMINATE unless a DocMDP P=3
certification allows them); anything else, or a DocMDP/FieldMDP violation,
fails the signature.  When the analysis cannot run, the answer is
INDETERMINATE, never PASSED.
"""

from __future__ import annotations

import logging
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

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

    def __init__(self, reader: PdfFileReader) -> None:
        self._reader = reader
        self._analysis: Any | None = None
        self._error: str | None = None

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


def _annotations(policy: Policy, summary: Any) -> CheckResult:
    """Annotations after signing: allowed only by a certification with DocMDP P=3.

    kyso does not render pages, so it cannot tell a harmless comment from an annotation that
    covers signed content (the shadow "overlay" attack); without the author's P=3 permission
    the signature is therefore not confirmed (INDETERMINATE), never PASSED.
    """
    if summary.docmdp_permission == 3:
        return policy.judge(
            "ANNOTATIONS_AFTER_SIGNING",
            Outcome.OK,
            "ANNOTATIONS_ALLOWED_BY_DOCMDP",
            f"annotations added after signing, allowed by the certification (P=3): "
            f"{summary.summary_en}",
            f"Có chú thích được thêm sau khi ký, được phép theo chữ ký chứng nhận (P=3): "
            f"{summary.summary_vi}",
        )
    return policy.judge(
        "ANNOTATIONS_AFTER_SIGNING",
        Outcome.NOT_OK,
        "ANNOTATIONS_AFTER_SIGNING",
        f"annotations were added or changed after signing and may cover signed content; "
        f"compare with the signed version: {summary.summary_en}",
        f"Có chú thích được thêm hoặc sửa sau khi ký, có thể che nội dung đã ký; cần đối chiếu "
        f"với bản đã ký: {summary.summary_vi}",
        failure=Indication.INDETERMINATE,
        sub=SubIndication.SIG_CONSTRAINTS_FAILURE,
    )


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
        if level == "ANNOTATIONS":
            results.append(_annotations(policy, summary))
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
