"""Constraints of the changes after signing added in 2026-12 (FC 5.2.2), as data.

Split from :mod:`verifier.constraints` (same :class:`~verifier.constraints.Constraint` rows).

``NEW_FIELD_AFTER_CERTIFICATION``: a signature placed in a *new* visible field after a P=2
certification. ISO 32000-2 Table 257 lets P=2 sign; whether creating the field to sign in is
part of signing, readers differ: Acrobat and DSS accept it, pyHanko refuses it. The change
analysis accepts it (Government documents rely on it: docs/verification.md); this constraint
records it and lets a policy refuse it (``vn-gov``: INFORM; ``vn-gov-strict``: WARN; a policy
file with ``"level": "FAIL", "indication": "TOTAL_FAILED"`` reads Table 257 as pyHanko does,
and then fails the Government's own multi-signature documents, Decree 50 and BC 884).

The visual comparison (DSS ``PdfVisualDifference``):
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

NEW_FIELD_AFTER_CERTIFICATION = Constraint(
    "NEW_FIELD_AFTER_CERTIFICATION",
    "NO_NEW_FIELD_AFTER_CERTIFICATION",
    "NEW_SIGNATURE_FIELD_AFTER_CERTIFICATION",
    "fc.new_field_after_certification",
    sub=_S.FORMAT_FAILURE,
)
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

__all__ = [
    "NEW_FIELD_AFTER_CERTIFICATION",
    "VISUAL_ADDITION",
    "VISUAL_DIFFERENCE",
    "VISUAL_NOT_COMPARED",
]
