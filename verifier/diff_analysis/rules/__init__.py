"""The rule families of the change analysis, one module each.

A rule explains the objects a revision touched where such objects may legitimately hang
(``RevisionContext.explained``) and reports the changes it finds (``RevisionContext.add``);
it never approves anything by omission: what no rule explains is the residue's, and OTHER.
The classifier runs them in this order:

* ``trailer_catalogue``: trailer entries and catalogue keys (``allowances.CATALOG_KEYS``
  hands /Metadata, /AcroForm and /DSS to their families);
* ``metadata``: the Info dictionary and the XMP stream;
* ``form_fields``: AcroForm, new and filled fields, signatures and their widgets;
* ``pages_annotations``: the page list, page attributes, annotation lists, new annotations;
* ``dss``: the document security store (PAdES validation data);

then, after the deferred sharing checks, the rules for what is left over:

* ``structure_tree``: tagged-PDF structure updated for new widgets;
* ``pages_annotations.ChangedAnnotationRule``: comments edited in place.
"""

from __future__ import annotations

from typing import Protocol

from verifier.diff_analysis.context import RevisionContext


class Rule(Protocol):
    """One family of allowed changes (pyHanko's ``WhitelistRule``, acting on a context)."""

    def apply(self, ctx: RevisionContext) -> None:
        """Explain what this family allows in ``ctx`` and report what it finds."""


__all__ = ["Rule"]
