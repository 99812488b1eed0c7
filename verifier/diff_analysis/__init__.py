"""Changes after signing: what each incremental revision of a PDF did.

Public API (stable; the verifier calls only this)::

    from verifier.diff_analysis import (
        analyse_document, RevisionAnalysis, ChangeSummary, Change, ChangeKind,
        ModificationLevel, FieldLock, DiffAnalysisError,
    )

    analysis = analyse_document(reader)      # pyhanko PdfFileReader(strict=False), whole file
    analysis.revision_count                  # xref sections, oldest = 0
    rev = analysis.revision_of_offset(end)   # end = ByteRange[2] + ByteRange[3]
    analysis.revision_end(rev) == end        # the ByteRange reaches the end of its revision
    summary = analysis.changes_after(rev, docmdp=None, fieldmdp=None)
    summary.level                # ModificationLevel: NONE < LTA_UPDATES < FORM_FILLING
                                 #   < ANNOTATIONS < OTHER (pyHanko's scale)
    summary.changes              # tuple[Change]: revision, kind (ChangeKind), level,
                                 #   description_en, description_vi, objects [(num, gen)]
    summary.only_signatures_added, summary.summary_en, summary.summary_vi
    summary.docmdp_violated, summary.docmdp_permission, summary.fieldmdp_violated,
    summary.violations
    analysis.changes_in(rev)     # what one revision changed by itself

``docmdp`` defaults to the certification level in force at the signed revision
(catalog /Perms /DocMDP), ``fieldmdp`` to the /Lock and FieldMDP transforms of
the signatures already there. Unreadable or hostile revision structure raises
:class:`DiffAnalysisError` (the PDF layer's ``kyso.pdf.values.PdfStructureError``,
a ``kyso.errors.InvalidInput``, code ``CHANGE_ANALYSIS_FAILED`` with an English
``problem``): the verifier reports INDETERMINATE.

Policy is the verifier's: this package reports the level and the facts. A new
non-widget annotation is ANNOTATIONS (DocMDP P=3 allows it); anything OTHER is
never an allowed change.

How (and why it is fast): only the objects each revision's xref section
defines, redefines or frees are examined (``kyso.pdf.revisions``: bodies parsed
once, cached by storage location, object streams decoded once; the plain
reference arrays a tagged document's parent tree is rewritten into at every
signature are checked by one regular expression, ``kyso.pdf.reference_arrays``,
and built only when a rule reads them). ``context`` holds what one revision
touched; the ``rules`` (one module per family: trailer and catalogue, metadata,
form fields and signatures, pages and annotations, DSS, structure tree) explain
each object by where it may legitimately hang, reading what may change from
``allowances``; ``classifier`` runs them in order and ``residue`` reports what
none explained (deny by default: a redefined object no rule explains is OTHER).
``kyso.pdf.references`` answers "who else uses this object" with a byte-level
superset scan, for the two attacks a local view cannot see: an object
overwritten in place that is shared with page content (pyHanko's "sneaky"
appearance case), and a new object number filling a reference that dangled at
signing time. Bytes after the last revision the xref chain reaches are OTHER
too (incremental saving attack with a broken trailer).
"""

from verifier.diff_analysis.document import RevisionAnalysis, analyse_document
from verifier.diff_analysis.model import (
    Change,
    ChangeKind,
    ChangeSummary,
    DiffAnalysisError,
    ModificationLevel,
)
from verifier.diff_analysis.permissions import FieldLock

__all__ = [
    "Change",
    "ChangeKind",
    "ChangeSummary",
    "DiffAnalysisError",
    "FieldLock",
    "ModificationLevel",
    "RevisionAnalysis",
    "analyse_document",
]
