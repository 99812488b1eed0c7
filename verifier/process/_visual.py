"""FC: what the pages touched after signing show now, against the signed revision.

For one signature: the pages its later changes touch (a change on a page, a widget placed on
it) are rendered at the signed revision and at the final one (:mod:`verifier.visual_comparison`)
and compared outside the later signatures' own widgets. Changed pixels where the signed page
drew content: ``VISUAL_DIFFERENCE`` (vn-gov: INDETERMINATE, as DSS treats visual differences);
something new only where the page was blank: ``VISUAL_ADDITION`` (vn-gov: a warning). A page
that could not be rendered: ``VISUAL_DIFFERENCE`` UNKNOWN (never PASSED). Not run when the
changes are already OTHER (the signature fails anyway) or the policy ignores both constraints.
"""

from __future__ import annotations

import logging
from typing import Any

from verifier import change_constraints as V
from verifier.change_analysis import ChangeAnalysis
from verifier.model import ChangesSummary, CheckResult, Level, Outcome, VisualEntry
from verifier.policy import Policy
from verifier.visual_comparison import Rect, VisualDifference, compare

log = logging.getLogger("kyso.verifier.visual")

#: Kinds of change whose regions are a later signature's own widget (left out of the diff).
_SIGNATURE_KINDS = frozenset(
    {"SIGNATURE_ADDED", "DOCUMENT_TIMESTAMP_ADDED", "SIGNATURE_WIDGET_ADDED"}
)


def _joined(found: list[VisualDifference]) -> dict[str, str]:
    return {
        "found_en": "; ".join(f.description_en for f in found),
        "found_vi": "; ".join(f.description_vi for f in found),
    }


def visual_checks(
    policy: Policy, analysis: ChangeAnalysis, ra: Any, summary: Any, changes: ChangesSummary
) -> list[CheckResult]:
    """VISUAL_DIFFERENCE and VISUAL_ADDITION for the signature whose changes are ``summary``."""
    renders = analysis.renders
    if (
        renders is None
        or not analysis.visual_limits.enabled
        or summary.level.name == "OTHER"
        or all(policy.level(n) is Level.IGNORE for n in ("VISUAL_DIFFERENCE", "VISUAL_ADDITION"))
    ):
        return []
    touched: set[int] = set()
    widgets: dict[int, list[Rect]] = {}
    for c in summary.changes:
        if c.page:
            touched.add(c.page)
        for page, rect in c.regions:
            touched.add(page)
            if c.kind.value in _SIGNATURE_KINDS:
                widgets.setdefault(page, []).append(rect)
    changes.visually_compared = True
    if not touched:
        return []
    last = ra.revision_count - 1
    pages = {
        p: (
            ra.revision_end(ra.page_state(summary.signed_revision, p)),
            ra.revision_end(ra.page_state(last, p)),
        )
        for p in sorted(touched)
    }
    try:
        result = compare(renders, pages, widgets)
    except Exception as exc:  # a comparison that cannot run is not a pass
        log.info("visual comparison failed: %s", type(exc).__name__)
        result = None
    if result is None:
        return [policy.judge(V.VISUAL_NOT_COMPARED, Outcome.UNKNOWN, pages_en="?", pages_vi="?")]
    changes.compared_pages = result.compared_pages
    changes.visual_differences = [
        VisualEntry(d.page, d.rect, d.over_content, d.description_en, d.description_vi)
        for d in result.differences
    ]
    listed = ", ".join(map(str, result.compared_pages)) or "-"
    over = [d for d in result.differences if d.over_content]
    blank = [d for d in result.differences if not d.over_content]
    checks: list[CheckResult] = []
    if result.not_compared:
        missing = ", ".join(map(str, result.not_compared))
        checks.append(
            policy.judge(V.VISUAL_NOT_COMPARED, Outcome.UNKNOWN, pages_en=missing, pages_vi=missing)
        )
    elif over:
        checks.append(policy.judge(V.VISUAL_DIFFERENCE, Outcome.NOT_OK, **_joined(over)))
    else:
        checks.append(
            policy.judge(V.VISUAL_DIFFERENCE, Outcome.OK, pages_en=listed, pages_vi=listed)
        )
    checks.append(
        policy.judge(V.VISUAL_ADDITION, Outcome.NOT_OK if blank else Outcome.OK, **_joined(blank))
    )
    return checks


__all__ = ["visual_checks"]
