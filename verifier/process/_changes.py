"""FC: changes after signing, judged by the policy (the analysis is verifier.diff_analysis).

Allowed after a signature: later signatures, document timestamps, DSS/LTV updates and form
filling.  Annotations are judged by what they cover (DSS ``PdfAnnotationOverlapCheck``): a
signature appearance or an earlier annotation fails the signature (ANNOTATION_OVERLAP), signed
text or drawn content leaves it INDETERMINATE (ANNOTATION_OVER_CONTENT), nothing is a warning
(ANNOTATIONS_AFTER_SIGNING, allowed outright by a DocMDP P=3 certification).  Anything else, or
a DocMDP/FieldMDP violation, fails the signature.  When the analysis cannot run, the answer is
INDETERMINATE, never PASSED.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from verifier import change_constraints as CC
from verifier import constraints as C
from verifier.annotation_overlap import Covers, Finding
from verifier.change_analysis import ChangeAnalysis
from verifier.constraints import Constraint
from verifier.diff_analysis.model import SUMMARY_LISTED, summarise
from verifier.messages import render
from verifier.model import ChangeEntry, ChangesSummary, CheckResult, Outcome
from verifier.policy import Policy
from verifier.process._visual import visual_checks

if TYPE_CHECKING:
    from verifier.process.fc import Coverage

log = logging.getLogger("kyso.verifier.changes")

_ANNOTATION_KINDS = ("ANNOTATION_ADDED", "ANNOTATION_CHANGED")


def _not_analysed(policy: Policy, why: Constraint) -> tuple[list[CheckResult], ChangesSummary]:
    en, vi = render(f"{why.key}.fail")
    checks = [
        policy.judge(why, Outcome.UNKNOWN),
        policy.judge(C.DOCMDP_NOT_CHECKED, Outcome.UNKNOWN),
    ]
    return checks, ChangesSummary(analysed=False, summary_en=en, summary_vi=vi)


def structure_unreadable(policy: Policy) -> tuple[list[CheckResult], ChangesSummary]:
    """Byte-level fallback: what changed after signing is unknown, so never PASSED."""
    return _not_analysed(policy, C.CHANGES_STRUCTURE_UNREADABLE)


def _annotation_refs(summary: Any) -> list[tuple[int, int]]:
    """Annotations added or changed after signing (the ones the analysis calls ANNOTATIONS)."""
    refs: dict[tuple[int, int], None] = {}
    for c in summary.changes:
        if c.kind.value in _ANNOTATION_KINDS and c.level.name == "ANNOTATIONS":
            refs.update(dict.fromkeys(c.objects))
    return list(refs)


def _refs(analysis: ChangeAnalysis, revision: int, summary: Any) -> list[tuple[int, int]]:
    """:func:`_annotation_refs`, computed once per signed revision."""
    memo = analysis.annotation_refs.get(revision)
    if memo is None:
        memo = analysis.annotation_refs[revision] = _annotation_refs(summary)
    return memo


def _listed(analysis: ChangeAnalysis, ra: Any, revision: int) -> tuple[Any, ChangesSummary]:
    """The analysis after ``revision`` and its listing, computed once per signed revision
    (a document whose signatures share a revision must not pay once per signature)."""
    memo = analysis.listings.get(revision)
    if memo is None:
        summary = ra.changes_after(revision)
        limit = analysis.max_listed
        memo = analysis.listings[revision] = (
            summary,
            ChangesSummary(
                analysed=True,
                level=summary.level.name,
                changes=_entries(summary, limit),
                docmdp_violated=bool(summary.docmdp_violated or summary.fieldmdp_violated),
                summary_en=summarise(summary, vi=False, limit=min(limit, SUMMARY_LISTED)),
                summary_vi=summarise(summary, vi=True, limit=min(limit, SUMMARY_LISTED)),
            ),
        )
    return memo


def _entries(summary: Any, limit: int) -> list[ChangeEntry]:
    """At most ``limit`` change entries; the rest counted in one last entry ("and N more")."""
    entries = [_entry(c) for c in summary.changes[:limit]]
    more = len(summary.changes) - limit
    if more > 0:
        entries.append(ChangeEntry("MORE_CHANGES", f"and {more} more", f"và {more} mục khác"))
    return entries


def _joined(findings: list[Finding]) -> dict[str, str]:
    return {
        "found_en": "; ".join(f.description_en for f in findings),
        "found_vi": "; ".join(f.description_vi for f in findings),
    }


def _annotations(
    policy: Policy,
    analysis: ChangeAnalysis,
    summary: Any,
    revision: int,
    coverage: Coverage,
    changes: ChangesSummary,
) -> list[CheckResult]:
    """Annotations after signing: what each one covers decides."""
    results: list[CheckResult] = []
    texts = {"summary_en": changes.summary_en, "summary_vi": changes.summary_vi}
    p3 = summary.docmdp_permission == 3
    results.append(
        policy.judge(C.ANNOTATIONS_AFTER_SIGNING, Outcome.OK if p3 else Outcome.NOT_OK, **texts)
    )
    refs = _refs(analysis, revision, summary)
    try:
        findings = analysis.annotation_findings(revision, coverage.end, refs)
    except Exception as exc:
        log.info("annotation overlap not established: %s", type(exc).__name__)
        findings = None
    if findings is None:
        results.append(policy.judge(C.ANNOTATION_OVERLAP_UNKNOWN, Outcome.UNKNOWN))
        results.append(policy.judge(C.ANNOTATION_OVER_CONTENT_UNKNOWN, Outcome.UNKNOWN))
        return results
    _describe(changes, summary, findings)
    shown = [f for f in findings if f.covers is not Covers.NOT_SHOWN]
    over_sig = [f for f in shown if f.covers in (Covers.SIGNATURE, Covers.ANNOTATION)]
    results.append(
        policy.judge(
            C.ANNOTATION_OVERLAP, Outcome.NOT_OK if over_sig else Outcome.OK, **_joined(over_sig)
        )
    )
    over_text = [f for f in shown if f.covers in (Covers.TEXT, Covers.CONTENT)]
    unknown = [f for f in shown if f.covers is Covers.UNKNOWN]
    if over_text:
        results.append(
            policy.judge(C.ANNOTATION_OVER_CONTENT, Outcome.NOT_OK, **_joined(over_text))
        )
    elif unknown:
        results.append(
            policy.judge(C.ANNOTATION_OVER_CONTENT_UNCLEAR, Outcome.UNKNOWN, **_joined(unknown))
        )
    else:
        results.append(policy.judge(C.ANNOTATION_OVER_CONTENT, Outcome.OK))
    return results


def _describe(changes: ChangesSummary, summary: Any, findings: list[Finding]) -> None:
    """Say in the "changes after" text what each annotation covers."""
    if not findings:
        return
    by_ref = {f.ref: f for f in findings}
    for entry, change in zip(changes.changes, summary.changes, strict=False):
        f = next((by_ref[r] for r in change.objects if r in by_ref), None)
        if f is not None:
            entry.description_en = f"{entry.description_en} ({f.description_en})"
            entry.description_vi = f"{entry.description_vi} ({f.description_vi})"
    en = "; ".join(f.description_en for f in findings)
    vi = "; ".join(f.description_vi for f in findings)
    changes.summary_en += f". {en[:1].upper()}{en[1:]}"
    changes.summary_vi += f". {vi[:1].upper()}{vi[1:]}"


def _entry(change: Any) -> ChangeEntry:
    """One change as the report lists it: kind, texts, revision, objects, page, level."""
    return ChangeEntry(
        change.kind.value,
        change.description_en,
        change.description_vi,
        change.revision,
        objects=tuple(f"{n} {g}" for n, g in change.objects[:20]),
        page=change.page or 0,
        level=change.level.name,
    )


def changes_after_signing(
    policy: Policy, analysis: ChangeAnalysis | None, coverage: Coverage
) -> tuple[list[CheckResult], ChangesSummary]:
    """CHANGES_AFTER_SIGNING, the annotation constraints and DOCMDP for one signed revision."""
    if analysis is None:
        return structure_unreadable(policy)
    if coverage.whole_document:
        return [
            policy.judge(C.NO_CHANGES_AFTER_SIGNING, Outcome.OK),
            policy.judge(C.DOCMDP_UNCHANGED, Outcome.OK),
        ], ChangesSummary(
            analysed=True,
            level="NONE",
            summary_en="No changes after signing",
            summary_vi="Không có thay đổi sau khi ký",
        )
    ra = analysis.get()
    if ra is None:
        return _not_analysed(policy, C.CHANGES_NOT_ANALYSED)
    try:
        revision = ra.revision_of_offset(coverage.end)
        summary, listed = _listed(analysis, ra, revision)
    except Exception as exc:
        log.info("change analysis failed: %s", type(exc).__name__)
        return _not_analysed(policy, C.CHANGES_NOT_ANALYSED)
    level = summary.level.name
    changes = replace(listed, changes=list(listed.changes))
    annotations = (
        _annotations(policy, analysis, summary, revision, coverage, changes)
        if level == "ANNOTATIONS" or _refs(analysis, revision, summary)
        else []
    )
    visual = visual_checks(policy, analysis, ra, summary, changes)
    texts = {"summary_en": changes.summary_en, "summary_vi": changes.summary_vi}
    results = [
        policy.judge(
            C.CHANGES_AFTER_SIGNING, Outcome.NOT_OK if level == "OTHER" else Outcome.OK, **texts
        ),
        *annotations,
        *visual,
    ]
    violated = summary.docmdp_violated or summary.fieldmdp_violated
    results.append(
        policy.judge(
            C.DOCMDP,
            Outcome.NOT_OK if violated else Outcome.OK,
            violations="; ".join(summary.violations) if violated else "",
        )
    )
    if summary.docmdp_permission == 2:
        new_fields = [c for c in summary.changes if c.kind.value == "SIGNATURE_WIDGET_ADDED"]
        results.append(
            policy.judge(
                CC.NEW_FIELD_AFTER_CERTIFICATION,
                Outcome.NOT_OK if new_fields else Outcome.OK,
                found_en="; ".join(c.description_en for c in new_fields[:10]),
                found_vi="; ".join(c.description_vi for c in new_fields[:10]),
            )
        )
    return results, changes
