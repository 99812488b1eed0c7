"""Metadata rules: the document information dictionary (trailer /Info) and the XMP stream.

Metadata describes the document, it draws nothing, so updating it is LTA_UPDATES (PAdES
signing tools rewrite the XMP, ISO 32000-2 14.3). The one way metadata can hide a change is an
object overwritten in place that is *also* used by content: those are left to the sharing check.
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic

from kyso.pdf.revisions import ObjectId
from kyso.pdf.values import changed_keys, ref_of, same_value
from verifier.diff_analysis.context import RevisionContext
from verifier.diff_analysis.model import ChangeKind


def info_changed(ctx: RevisionContext, old_v: object, new_v: object) -> None:
    """The trailer's /Info entry (``old_v`` → ``new_v``, raw values): any key may change."""
    new_ref = ref_of(new_v)
    if same_value(old_v, new_v) and not ctx.touched(new_ref):
        return
    if new_v is None:
        return  # dropping Info only removes metadata
    info = ctx.new_val(new_v)
    if not isinstance(info, generic.DictionaryObject) or isinstance(info, generic.StreamObject):
        ctx.add(
            ChangeKind.TRAILER_CHANGED,
            "The document information entry is not a dictionary",
            "Mục thông tin tài liệu (Info) không hợp lệ",
        )
        return
    if new_ref is not None:
        if new_ref in ctx.redefined and ref_of(old_v) != new_ref:
            return  # an old object repurposed as Info: left for the residue check
        ctx.explained.add(new_ref)
        if new_ref in ctx.redefined:
            # any key may change in Info: only harmless if nothing else uses the dictionary
            ctx.require_exclusive(
                new_ref,
                set(),
                ChangeKind.OBJECT_REDEFINED,
                f"Information dictionary {new_ref[0]} is also used elsewhere in the document",
                f"Từ điển thông tin {new_ref[0]} còn được dùng ở nơi khác trong tài liệu",
            )
    ctx.explain_below(info, ChangeKind.METADATA_UPDATED, new_ref)
    ctx.add(
        ChangeKind.METADATA_UPDATED,
        "Document information (Info) updated",
        "Cập nhật thông tin mô tả tài liệu (Info)",
        [new_ref] if new_ref else [],
    )


def xmp_changed(
    ctx: RevisionContext, old_v: object, new_v: object, root_ref: ObjectId | None
) -> None:
    """The catalogue's /Metadata (raw values): it must stay an XMP stream (/Type /Metadata,
    /Subtype /XML); removing it is allowed."""
    if new_v is None:
        ctx.add(ChangeKind.METADATA_UPDATED, "XMP metadata removed", "Xóa siêu dữ liệu XMP")
        return
    stream = ctx.new_val(new_v)
    new_ref = ref_of(new_v)
    if (
        new_ref is None
        or not isinstance(stream, generic.StreamObject)
        or stream.get("/Type") != "/Metadata"
        or stream.get("/Subtype") != "/XML"
    ):
        ctx.add(
            ChangeKind.CATALOG_CHANGED,
            "The catalog /Metadata entry is not an XMP metadata stream",
            "Mục siêu dữ liệu (/Metadata) không phải luồng XMP hợp lệ",
        )
        return
    if new_ref in ctx.redefined:
        if ref_of(old_v) != new_ref:
            return  # an unrelated old object turned into metadata: residue check
        ctx.require_exclusive(
            new_ref,
            {root_ref} if root_ref else set(),
            ChangeKind.OBJECT_REDEFINED,
            f"Metadata stream {new_ref[0]} is also used elsewhere in the document",
            f"Luồng siêu dữ liệu {new_ref[0]} còn được dùng ở nơi khác trong tài liệu",
        )
    # else: a new stream, or /Metadata pointed at an old, unchanged object: only metadata
    ctx.explained.add(new_ref)
    ctx.add(
        ChangeKind.METADATA_UPDATED,
        "XMP metadata updated",
        "Cập nhật siêu dữ liệu XMP",
        [new_ref],
    )


class XmpStreamRule:
    """An indirect XMP stream rewritten in place, the catalogue's /Metadata entry unchanged.

    (A changed /Metadata entry is judged with the catalogue, by :func:`xmp_changed`.)
    """

    def apply(self, ctx: RevisionContext) -> None:
        old_root, new_root = ctx.roots()
        meta = new_root.raw_get("/Metadata") if "/Metadata" in new_root else None
        if "/Metadata" not in changed_keys(old_root, new_root) and ctx.touched(ref_of(meta)):
            xmp_changed(ctx, meta, meta, ctx.root_ref)


__all__ = ["XmpStreamRule", "info_changed", "xmp_changed"]
