"""DSS rule: the document security store (/DSS with /Certs, /OCSPs, /CRLs and /VRI).

PAdES (ETSI EN 319 142-1 5.4.2) adds validation data after signing, so new DSS content is
LTA_UPDATES. Signing tools also rewrite the DSS's own arrays and VRI dictionaries in place; an
object that was part of the old DSS may change, but only if nothing outside the DSS used it
(e.g. an array that is also a page's /Contents): that is left to the sharing check. Removing
the DSS is OTHER: it takes away what earlier signatures were validated with.
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic

from kyso.pdf.revisions import ObjectId
from kyso.pdf.values import ref_of, same_value
from verifier.diff_analysis.context import MAX_TREE_DEPTH, RevisionContext
from verifier.diff_analysis.model import ChangeKind, ModificationLevel


class DssRule:
    """New or updated validation data below the catalogue's /DSS."""

    def apply(self, ctx: RevisionContext) -> None:
        old_root, new_root = ctx.roots()
        new_raw = new_root.raw_get("/DSS") if "/DSS" in new_root else None
        old_raw = old_root.raw_get("/DSS") if "/DSS" in old_root else None
        if new_raw is None:
            if old_raw is not None:
                ctx.add(
                    ChangeKind.DSS_UPDATED,
                    "Validation data (DSS) removed",
                    "Dữ liệu kiểm tra hiệu lực (DSS) bị xóa",
                    level=ModificationLevel.OTHER,
                )
            return
        old_members = _members(ctx, old_raw, ctx.old) if old_raw is not None else set()
        touched_before = len(ctx.explained)
        ctx.explain_value(new_raw, ChangeKind.DSS_UPDATED, ctx.root_ref, old_members)
        dss = ctx.new_val(new_raw)
        if not isinstance(dss, generic.DictionaryObject):
            ctx.add(
                ChangeKind.DSS_UPDATED,
                "Invalid DSS",
                "DSS không hợp lệ",
                level=ModificationLevel.OTHER,
            )
            return
        if len(ctx.explained) > touched_before or not same_value(old_raw, new_raw):
            ctx.add(
                ChangeKind.DSS_UPDATED,
                "Validation data (DSS: certificates, OCSP, CRL) added",
                "Bổ sung dữ liệu kiểm tra hiệu lực (DSS: chứng thư, OCSP, CRL)",
            )


def _members(ctx: RevisionContext, raw: object, revision: int) -> set[ObjectId]:
    """Every indirect object of the DSS in ``revision`` (streams are leaves)."""
    seen: set[ObjectId] = set()
    stack = [(raw, 0)]
    while stack:
        value, depth = stack.pop()
        ctx.tick()
        if depth > MAX_TREE_DEPTH:
            continue
        r = ref_of(value)
        if r is not None:
            if r in seen:
                continue
            seen.add(r)
            value = ctx.store.get(r, revision)
        if isinstance(value, generic.StreamObject):
            continue
        if isinstance(value, generic.DictionaryObject):
            stack.extend((value.raw_get(k), depth + 1) for k in value)
        elif isinstance(value, generic.ArrayObject):
            stack.extend((v, depth + 1) for v in value)
    return seen


__all__ = ["DssRule"]
