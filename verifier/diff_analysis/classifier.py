"""Classify what one incremental revision changed, relative to the one before it.

Only objects the revision's xref section (re)defines are looked at. Each one must be
*explained* by a rule that knows where such an object may hang (``rules``: a new signature
field with its value and widget, a page /Annots array that only gains annotations, the DSS,
the XMP metadata stream, the Info dictionary, and so on). A redefined object no rule explains
is OTHER, whatever it is; a new object number that some old object already referred to (a
dangling reference filled in after signing) is OTHER too (``residue``). Deny by default.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyhanko.pdf_utils import generic

from kyso.pdf.references import ReferenceIndex
from kyso.pdf.revisions import RevisionStore
from verifier.diff_analysis.context import PageTree, RevisionChanges, RevisionContext
from verifier.diff_analysis.residue import report_residue
from verifier.diff_analysis.rules import Rule
from verifier.diff_analysis.rules.dss import DssRule
from verifier.diff_analysis.rules.form_fields import FormFieldRule
from verifier.diff_analysis.rules.metadata import XmpStreamRule
from verifier.diff_analysis.rules.pages_annotations import ChangedAnnotationRule, PagesRule
from verifier.diff_analysis.rules.structure_tree import StructureTreeRule
from verifier.diff_analysis.rules.trailer_catalogue import (
    CatalogueRule,
    TrailerRule,
    trailer_changed,
)

#: Rules that explain objects by where they hang, in order (the form rule leaves the new
#: widgets for the page rule).
RULES: Sequence[Rule] = (
    TrailerRule(),
    CatalogueRule(),
    XmpStreamRule(),
    FormFieldRule(),
    PagesRule(),
    DssRule(),
)

#: Rules for what the others left over, run after the sharing checks.
LEFTOVER_RULES: Sequence[Rule] = (
    StructureTreeRule(),
    ChangedAnnotationRule(),
)


def _completes_linearised_original(ctx: RevisionContext) -> bool:
    """Revision 1 of a linearised file is its first-page section, not an update."""
    old_trailer = ctx.store.trailer(ctx.old)
    ends = ctx.store.revision_ends()
    return (
        ctx.rev == 1
        and 0 <= ends[1] < ends[0]
        and not isinstance(
            ctx.old_val(old_trailer.raw_get("/Root") if "/Root" in old_trailer else None),
            generic.DictionaryObject,
        )
    )


class RevisionClassifier:
    """Explains every object one revision touched, or reports it."""

    def __init__(
        self,
        store: RevisionStore,
        index: ReferenceIndex,
        revision: int,
        pages_cache: dict[int, PageTree],
    ) -> None:
        self.ctx = RevisionContext(store, index, revision, pages_cache)

    def run(self) -> RevisionChanges:
        """Run the rules in order, the sharing checks, the leftover rules, then the residue."""
        ctx = self.ctx
        ctx.collect_changed_objects()
        if not (ctx.added or ctx.redefined or ctx.freed) and not trailer_changed(ctx):
            return ctx.result
        if _completes_linearised_original(ctx):
            return ctx.result
        for rule in RULES:
            rule.apply(ctx)
        ctx.settle_sharing()
        for rule in LEFTOVER_RULES:
            rule.apply(ctx)
        report_residue(ctx)
        return ctx.result


__all__ = ["LEFTOVER_RULES", "RULES", "RevisionClassifier"]
