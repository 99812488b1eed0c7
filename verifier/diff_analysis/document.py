"""The per-document entry point: classify each revision once, answer per signature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pyhanko.pdf_utils import misc
from pyhanko.pdf_utils.reader import PdfFileReader

from kyso.pdf.references import ReferenceIndex
from kyso.pdf.revisions import RevisionStore
from verifier.diff_analysis.allowances import CERTIFIED_KIND_LEVEL, NOT_SHOWN_KINDS
from verifier.diff_analysis.classifier import RevisionClassifier
from verifier.diff_analysis.context import PageTree, RevisionChanges
from verifier.diff_analysis.model import (
    Change,
    ChangeKind,
    ChangeSummary,
    DiffAnalysisError,
    ModificationLevel,
)
from verifier.diff_analysis.permissions import (
    DOCMDP_ALLOWS,
    FieldLock,
    docmdp_permission,
    field_locks,
)

_MAX_REVISIONS = 1000


class RevisionAnalysis:
    """What every incremental revision of one document changed.

    Revisions are classified lazily, in order, and cached: asking for the
    changes after each of six signatures costs one pass over the revisions.
    """

    def __init__(self, reader: PdfFileReader) -> None:
        self._store = RevisionStore(reader)
        if self._store.revision_count > _MAX_REVISIONS:
            # each revision is cheap, but thousands of them are a denial of service
            raise DiffAnalysisError(
                "CHANGE_ANALYSIS_FAILED",
                problem=f"too many revisions to analyse ({self._store.revision_count})",
            )
        self._index = ReferenceIndex(self._store) if self._store.revision_count > 1 else None
        self._per_revision: dict[int, RevisionChanges] = {}
        self._pages_cache: dict[int, PageTree] = {}

    @property
    def revision_count(self) -> int:
        return self._store.revision_count

    def revision_end(self, revision: int) -> int:
        """Offset just after the ``%%EOF`` line that completes ``revision`` (-1 if none).

        In a linearised file the first-page section (revision 1) sits before
        the main one, so a revision is complete only where the furthest of it
        and its predecessors ends.
        """
        return self._complete_ends()[revision]

    def _complete_ends(self) -> list[int]:
        result: list[int] = []
        furthest = -1
        for end in self._store.revision_ends():
            furthest = max(furthest, end) if end >= 0 else -1
            result.append(furthest)
        return result

    def revision_of_offset(self, byte_offset: int) -> int:
        """The newest revision that is complete at ``byte_offset`` (a ByteRange end).

        A signature whose ByteRange ends at ``revision_end(r)`` signs revision r;
        the verifier compares the two to check the ByteRange reaches the end of
        its revision. Raises when the offset precedes every revision end.
        """
        ends = self._complete_ends()
        candidates = [r for r, end in enumerate(ends) if 0 <= end <= byte_offset]
        if not candidates:
            raise DiffAnalysisError(
                "CHANGE_ANALYSIS_FAILED",
                problem="the signed range ends before the first complete revision",
            )
        # linearised files list their first-page section after the main one,
        # so take the highest revision number, not the largest end offset
        return max(candidates)

    def changes_in(self, revision: int) -> tuple[Change, ...]:
        """Changes made by ``revision`` itself, relative to ``revision - 1``."""
        return tuple(self._revision(revision).changes)

    def page_state(self, revision: int, page: int) -> int:
        """The earliest revision whose bytes show page ``page`` as ``revision`` does.

        Walks back through revisions already classified while none of them may have changed
        the page (a change on it, a widget placed on it, or a change on no page that is not in
        ``allowances.NOT_SHOWN_KINDS``); an unclassified revision is where the walk stops.
        Renders keyed by this are shared by every signature of the document.
        """
        t = revision
        while t > 0 and t in self._per_revision:
            for c in self._per_revision[t].changes:
                if c.page == page or any(p == page for p, _ in c.regions):
                    return t
                if c.page is None and not c.regions and c.kind not in NOT_SHOWN_KINDS:
                    return t
            t -= 1
        return t

    def changes_after(
        self,
        revision: int,
        docmdp: int | None = None,
        fieldmdp: Sequence[FieldLock] | None = None,
    ) -> ChangeSummary:
        """Judge everything written after ``revision`` (the signed revision).

        ``docmdp``: certification level to enforce; by default the one in force
        at ``revision`` (catalog /Perms /DocMDP). ``fieldmdp``: field locks to
        enforce; by default those of every signature already in ``revision``.
        """
        if not 0 <= revision < self.revision_count:
            raise DiffAnalysisError(
                "CHANGE_ANALYSIS_FAILED", problem=f"no revision {revision} in this document"
            )
        try:
            if docmdp is None:
                docmdp = docmdp_permission(self._store, revision)
            locks = list(fieldmdp) if fieldmdp is not None else field_locks(self._store, revision)
            changes: list[Change] = []
            filled = []
            for rev in range(revision + 1, self.revision_count):
                result = self._revision(rev)
                changes.extend(result.changes)
                filled.extend(result.filled_fields)
            changes.extend(self._trailing_data())
        except DiffAnalysisError:
            raise
        except (misc.PdfError, KeyError, ValueError, TypeError, IndexError, RecursionError) as exc:
            raise DiffAnalysisError(
                "CHANGE_ANALYSIS_FAILED", problem="the document revisions cannot be analysed"
            ) from exc
        if docmdp is not None:
            changes = [_as_certified(c) for c in changes]
        level = max((c.level for c in changes), default=ModificationLevel.NONE)
        violations: list[str] = []
        docmdp_violated = False
        if docmdp is not None and level > DOCMDP_ALLOWS.get(docmdp, ModificationLevel.NONE):
            docmdp_violated = True
            violations.append(f"DocMDP P={docmdp} does not allow: {level.name}")
        fieldmdp_violated = False
        for fc in filled:
            if any(lock.locks(fc.name) for lock in locks):
                fieldmdp_violated = True
                violations.append(f"FieldMDP: locked field '{fc.name}' changed")
        return ChangeSummary(
            signed_revision=revision,
            level=level,
            changes=tuple(changes),
            docmdp_violated=docmdp_violated,
            docmdp_permission=docmdp,
            fieldmdp_violated=fieldmdp_violated,
            violations=tuple(violations),
        )

    def _trailing_data(self) -> list[Change]:
        """Bytes after the last complete revision: an update the xref chain does not reach.

        Viewers that repair files may still show it (the incremental saving
        attack with a broken trailer), so it is never an allowed change.
        """
        last_end = max(self._complete_ends())
        stream = self._store.reader.stream
        stream.seek(0, 2)
        size = stream.tell()
        if last_end < 0 or size <= last_end:
            return []
        stream.seek(last_end)
        tail = stream.read(min(size - last_end, 1 << 20))
        if not tail.strip(b"\x00\t\n\x0c\r "):
            return []
        return [
            Change(
                revision=self.revision_count,
                kind=ChangeKind.TRAILING_DATA,
                level=ModificationLevel.OTHER,
                description_en=f"{size - last_end} bytes appended after the last revision",
                description_vi=f"{size - last_end} byte được nối thêm sau phiên bản cuối cùng",
            )
        ]

    def _revision(self, revision: int) -> RevisionChanges:
        cached = self._per_revision.get(revision)
        if cached is not None:
            return cached
        if not 1 <= revision < self.revision_count or self._index is None:
            return RevisionChanges(revision)
        classifier = RevisionClassifier(self._store, self._index, revision, self._pages_cache)
        try:
            result = classifier.run()
        except DiffAnalysisError:
            raise
        except (misc.PdfError, KeyError, ValueError, TypeError, IndexError, RecursionError) as exc:
            raise DiffAnalysisError(
                "CHANGE_ANALYSIS_FAILED", problem=f"revision {revision} cannot be analysed"
            ) from exc
        self._per_revision[revision] = result
        return result


def _as_certified(change: Change) -> Change:
    """``change`` at the level it has after a certification (``allowances``)."""
    level = CERTIFIED_KIND_LEVEL.get(change.kind)
    if level is None or level <= change.level:
        return change
    return replace(change, level=level)


def analyse_document(reader: PdfFileReader) -> RevisionAnalysis:
    """Open the change analysis of a whole document (cheap; work happens on demand)."""
    try:
        return RevisionAnalysis(reader)
    except DiffAnalysisError:
        raise
    except (misc.PdfError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise DiffAnalysisError(
            "CHANGE_ANALYSIS_FAILED", problem="the document revisions cannot be read"
        ) from exc


__all__ = ["RevisionAnalysis", "analyse_document"]
