"""Result types of the change analysis.

They are plain frozen data so the verifier can copy them into its report
without holding on to the PDF reader.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from kyso.pdf.values import PdfStructureError


class ModificationLevel(enum.IntEnum):
    """How far the changes after a signature go; same scale as pyHanko's.

    Ordered, so the worst change of a revision range is ``max(levels)``.
    """

    NONE = 0
    LTA_UPDATES = 1  # DSS/VRI, document timestamps, metadata
    FORM_FILLING = 2  # new signatures, filled fields (DocMDP P=2 allows this)
    ANNOTATIONS = 3  # new or changed non-widget annotations (DocMDP P=3 allows this)
    OTHER = 4  # anything else: never allowed after a signature


class ChangeKind(enum.Enum):
    """What one change is, in a stable English code the report can carry."""

    SIGNATURE_ADDED = "SIGNATURE_ADDED"
    SIGNATURE_FIELD_ADDED = "SIGNATURE_FIELD_ADDED"
    DOCUMENT_TIMESTAMP_ADDED = "DOCUMENT_TIMESTAMP_ADDED"
    DSS_UPDATED = "DSS_UPDATED"
    METADATA_UPDATED = "METADATA_UPDATED"
    CATALOG_EXTENSIONS_UPDATED = "CATALOG_EXTENSIONS_UPDATED"
    STRUCTURE_UPDATED = "STRUCTURE_UPDATED"
    FORM_FILLED = "FORM_FILLED"
    ANNOTATION_ADDED = "ANNOTATION_ADDED"
    ANNOTATION_CHANGED = "ANNOTATION_CHANGED"
    ANNOTATION_REMOVED = "ANNOTATION_REMOVED"
    #: the visible widget (an area, not hidden) of a signature made in the same revision:
    #: part of signing, also under a certification with P=2 (Acrobat, DSS)
    SIGNATURE_WIDGET_ADDED = "SIGNATURE_WIDGET_ADDED"
    #: the visible widget of a new signature field left empty: a new widget annotation,
    #: annotation-level under a certification (ISO 32000-2 12.8.2.2.2)
    EMPTY_SIGNATURE_WIDGET_ADDED = "EMPTY_SIGNATURE_WIDGET_ADDED"
    PAGE_CONTENT_CHANGED = "PAGE_CONTENT_CHANGED"
    PAGE_ADDED = "PAGE_ADDED"
    PAGE_REMOVED = "PAGE_REMOVED"
    PAGES_REORDERED = "PAGES_REORDERED"
    APPEARANCE_REPLACED = "APPEARANCE_REPLACED"
    FIELD_CHANGED = "FIELD_CHANGED"
    SIGNATURE_CHANGED = "SIGNATURE_CHANGED"
    OBJECT_REDEFINED = "OBJECT_REDEFINED"
    CATALOG_CHANGED = "CATALOG_CHANGED"
    TRAILER_CHANGED = "TRAILER_CHANGED"
    TRAILING_DATA = "TRAILING_DATA"
    OTHER = "OTHER"


ObjectId = tuple[int, int]
#: A rectangle in PDF user space, points: (x0, y0, x1, y1) with x0 <= x1, y0 <= y1.
Rect = tuple[float, float, float, float]
#: Where a change shows: (1-based page number, rectangle on that page).
Region = tuple[int, Rect]


@dataclass(frozen=True)
class Change:
    """One classified change made by one revision."""

    revision: int
    kind: ChangeKind
    level: ModificationLevel
    description_en: str
    description_vi: str
    objects: tuple[ObjectId, ...] = ()
    #: the page the change is on (1-based), when it is on one
    page: int | None = None
    #: signature widgets this change puts or fills on pages (what the visual comparison
    #: leaves out: a later signature's own appearance)
    regions: tuple[Region, ...] = ()


@dataclass(frozen=True)
class ChangeSummary:
    """Everything that happened after one signed revision, judged as a whole."""

    signed_revision: int
    level: ModificationLevel
    changes: tuple[Change, ...]
    docmdp_violated: bool
    docmdp_permission: int | None
    fieldmdp_violated: bool
    violations: tuple[str, ...] = field(default=())

    @property
    def only_signatures_added(self) -> bool:
        """True when later revisions only add signatures, timestamps, DSS and metadata."""
        allowed = {
            ChangeKind.SIGNATURE_ADDED,
            ChangeKind.SIGNATURE_FIELD_ADDED,
            ChangeKind.SIGNATURE_WIDGET_ADDED,
            ChangeKind.EMPTY_SIGNATURE_WIDGET_ADDED,
            ChangeKind.DOCUMENT_TIMESTAMP_ADDED,
            ChangeKind.DSS_UPDATED,
            ChangeKind.METADATA_UPDATED,
            ChangeKind.CATALOG_EXTENSIONS_UPDATED,
            ChangeKind.STRUCTURE_UPDATED,
        }
        return all(c.kind in allowed for c in self.changes)

    @property
    def summary_en(self) -> str:
        return _summarise(self, vi=False)

    @property
    def summary_vi(self) -> str:
        return _summarise(self, vi=True)


#: Distinct change descriptions a one-line summary lists; the rest are counted ("and N more").
#: The summary is repeated in the report (the check's message, the Vietnamese summary), so it
#: lists fewer than the change entries do (``[verifier] max_listed_changes``).
SUMMARY_LISTED = 10


def _summarise(summary: ChangeSummary, *, vi: bool, limit: int = SUMMARY_LISTED) -> str:
    """The distinct descriptions in order (O(n)), at most ``limit``, then "and N more"."""
    if not summary.changes:
        return "Không có thay đổi sau khi ký" if vi else "No changes after signing"
    if summary.only_signatures_added:
        return "Chỉ thêm chữ ký số" if vi else "Only signatures added"
    seen: dict[str, None] = {}
    for change in summary.changes:
        seen[change.description_vi if vi else change.description_en] = None
    texts = list(seen)
    if len(texts) > limit:
        more = len(texts) - limit
        texts = [*texts[:limit], f"và {more} mục khác" if vi else f"and {more} more"]
    return "; ".join(texts)


def summarise(summary: ChangeSummary, *, vi: bool, limit: int) -> str:
    """The summary text in Vietnamese or English, listing at most ``limit`` descriptions."""
    return _summarise(summary, vi=vi, limit=limit)


#: The revisions cannot be analysed (broken xref, hostile structure, limits hit); the verifier
#: turns it into INDETERMINATE. One class with the PDF layer's error, so whatever the revision
#: store or the reference index raises is caught under this public name.
DiffAnalysisError = PdfStructureError
