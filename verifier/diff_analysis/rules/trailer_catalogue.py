"""Trailer and catalogue rules: which entries of the file trailer and the document catalogue
a later revision may change (``allowances.TRAILER_IGNORED``, ``allowances.CATALOG_KEYS``).

The catalogue is the root of everything a viewer shows: a replaced /Root, a new /OpenAction or
/Outlines, a changed /Pages pointer is OTHER. The keys signing tools legitimately touch are
judged by their own family (/AcroForm: form fields, /DSS: validation data, /Metadata: XMP) or
here (/Extensions and /Version: extension declarations; /Names: only new named annotation
appearances, /AP).
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic

from kyso.pdf.revisions import ObjectId
from kyso.pdf.values import changed_keys, ref_of, same_value
from verifier.diff_analysis.allowances import CATALOG_KEYS, NAMES_ALLOWED, TRAILER_IGNORED
from verifier.diff_analysis.context import RevisionContext
from verifier.diff_analysis.model import ChangeKind, ModificationLevel
from verifier.diff_analysis.rules.metadata import info_changed, xmp_changed


def trailer_changed(ctx: RevisionContext) -> bool:
    """Whether any trailer entry that is not storage bookkeeping differs."""
    old_t, new_t = ctx.store.trailer(ctx.old), ctx.store.trailer(ctx.rev)
    keys = (set(old_t) | set(new_t)) - TRAILER_IGNORED
    return any(
        k not in old_t or k not in new_t or not same_value(old_t.raw_get(k), new_t.raw_get(k))
        for k in keys
    )


class TrailerRule:
    """Trailer entries: /Info is metadata; a new /Root or any other changed entry is OTHER."""

    def apply(self, ctx: RevisionContext) -> None:
        old_t, new_t = ctx.store.trailer(ctx.old), ctx.store.trailer(ctx.rev)
        keys = (set(old_t) | set(new_t)) - TRAILER_IGNORED
        for key in sorted(keys):
            old_v = old_t.raw_get(key) if key in old_t else None
            new_v = new_t.raw_get(key) if key in new_t else None
            if key == "/Info":
                info_changed(ctx, old_v, new_v)
            elif not same_value(old_v, new_v):
                if key == "/Root":
                    ctx.add(
                        ChangeKind.CATALOG_CHANGED,
                        "The document catalog was replaced after signing",
                        "Danh mục gốc (Catalog) của tài liệu bị thay thế sau khi ký",
                    )
                else:
                    ctx.add(
                        ChangeKind.TRAILER_CHANGED,
                        f"Trailer entry {key} changed after signing",
                        f"Mục {key} trong trailer bị thay đổi sau khi ký",
                    )


class CatalogueRule:
    """Catalogue entries, each judged by the family ``allowances.CATALOG_KEYS`` names."""

    def apply(self, ctx: RevisionContext) -> None:
        old_root, new_root = ctx.roots()
        root_ref = ctx.root_ref
        if root_ref is not None and root_ref in ctx.redefined:
            ctx.explained.add(root_ref)
        for key in sorted(changed_keys(old_root, new_root)):
            family = CATALOG_KEYS.get(key)
            if family in ("form_fields", "dss"):
                continue  # judged by their own rules
            if family == "metadata":
                xmp_changed(
                    ctx,
                    old_root.raw_get(key) if key in old_root else None,
                    new_root.raw_get(key) if key in new_root else None,
                    root_ref,
                )
            elif family == "extensions":
                value = new_root.raw_get(key) if key in new_root else None
                ctx.explain_value(value, ChangeKind.CATALOG_EXTENSIONS_UPDATED, root_ref)
                ctx.add(
                    ChangeKind.CATALOG_EXTENSIONS_UPDATED,
                    f"Catalog {key} updated (PDF extension declaration)",
                    f"Cập nhật khai báo phiên bản/mở rộng PDF ({key})",
                )
            elif family == "names":
                _names(ctx, old_root, new_root, root_ref)
            else:
                ctx.add(
                    ChangeKind.CATALOG_CHANGED,
                    f"Document catalog entry {key} changed after signing",
                    f"Mục {key} của danh mục gốc tài liệu bị thay đổi sau khi ký",
                    [root_ref] if root_ref else [],
                )


def _names(
    ctx: RevisionContext,
    old_root: generic.DictionaryObject,
    new_root: generic.DictionaryObject,
    root_ref: ObjectId | None,
) -> None:
    """The name dictionary may only gain named annotation appearances (/AP)."""
    old_names = ctx.old_val(old_root.raw_get("/Names")) if "/Names" in old_root else None
    new_names = ctx.new_val(new_root.raw_get("/Names")) if "/Names" in new_root else None
    old_d = (
        old_names if isinstance(old_names, generic.DictionaryObject) else generic.DictionaryObject()
    )
    if not isinstance(new_names, generic.DictionaryObject):
        ctx.add(
            ChangeKind.CATALOG_CHANGED,
            "Document name dictionary removed after signing",
            "Từ điển tên (Names) của tài liệu bị xóa sau khi ký",
        )
        return
    diff = changed_keys(old_d, new_names)
    if diff - NAMES_ALLOWED:
        ctx.add(
            ChangeKind.CATALOG_CHANGED,
            "Document name trees changed after signing: " + ", ".join(sorted(diff)),
            "Cây tên của tài liệu (Names) bị thay đổi sau khi ký: " + ", ".join(sorted(diff)),
        )
        return
    names_ref = ref_of(new_root.raw_get("/Names"))
    if names_ref is not None:
        if names_ref in ctx.redefined and ref_of(old_root.raw_get("/Names")) != names_ref:
            return
        ctx.explained.add(names_ref)
    ctx.explain_value(new_names.raw_get("/AP"), ChangeKind.ANNOTATION_ADDED, names_ref)
    ctx.add(
        ChangeKind.ANNOTATION_ADDED,
        "Named annotation appearances added",
        "Thêm hình hiển thị có tên cho chú thích",
        level=ModificationLevel.ANNOTATIONS,
    )


__all__ = ["CatalogueRule", "TrailerRule", "trailer_changed"]
