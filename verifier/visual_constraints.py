"""The visual comparison's constraints (FC 5.2.2; DSS ``PdfVisualDifference``), as data.

Split from :mod:`verifier.constraints` (same :class:`~verifier.constraints.Constraint` rows).
``VISUAL_DIFFERENCE``: a page changed after signing shows something different where the signed
revision drew content (outside the later signatures' own widgets): the shadow "replace via
overlay". ETSI has no sub-indication for it; like DSS, kyso cannot tell a highlight from a
cover-up without a person looking, so a violation is INDETERMINATE (SIG_CONSTRAINTS_FAILURE),
and a page that could not be rendered is INDETERMINATE too (never PASSED). ``VISUAL_ADDITION``:
something now shows where the signed page was blank (a comment, a filled field): a warning in
``vn-gov``. Neither is mandatory: the levels are the policy's.
"""

from __future__ import annotations

from verifier.constraints import Constraint
from verifier.model import Indication, SubIndication

_I = Indication.INDETERMINATE
_S = SubIndication

VISUAL_DIFFERENCE = Constraint(
    "VISUAL_DIFFERENCE",
    "NO_VISUAL_DIFFERENCE",
    "VISUAL_DIFFERENCE_OVER_CONTENT",
    "fc.visual_difference",
    failure=_I,
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)
#: Judged UNKNOWN: a touched page could not be rendered (budget, size, PDFium refused it).
VISUAL_NOT_COMPARED = Constraint(
    "VISUAL_DIFFERENCE",
    "NO_VISUAL_DIFFERENCE",
    "VISUAL_COMPARISON_INCOMPLETE",
    "fc.visual_unknown",
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)
VISUAL_ADDITION = Constraint(
    "VISUAL_ADDITION",
    "NO_VISUAL_ADDITION",
    "VISUAL_ADDITION",
    "fc.visual_addition",
    failure=_I,
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)

__all__ = ["VISUAL_ADDITION", "VISUAL_DIFFERENCE", "VISUAL_NOT_COMPARED"]
