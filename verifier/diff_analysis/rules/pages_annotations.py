"""Pages and annotations rules: the page list, what each signed page shows, its annotations.

A signature covers what its pages draw. After signing, the page list (order included) and every
page attribute that draws something stay; a page tree node may only change /Kids and /Count
when the list is the same, and a page must not inherit different attributes through a new
intermediate node (ISO 32000-2 7.7.3.4). A page's /Annots may gain annotations: a new
non-widget annotation is ANNOTATIONS (DocMDP P=3 allows it, and the verifier then asks what it
covers); new widgets are judged with their field (``form_fields``); an old object attached as
an annotation, a direct annotation, or a removed widget is OTHER. Annotation lists rewritten in
place must not be shared with anything else.
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic

from kyso.pdf.revisions import ObjectId
from kyso.pdf.values import changed_keys, name_of, ref_of, same_value
from verifier.diff_analysis.allowances import (
    INHERITABLE,
    PAGE_NON_VISUAL_KEYS,
    PAGE_TREE_NODE_KEYS,
)
from verifier.diff_analysis.context import FormField, PageTree, RevisionContext, shown_rect
from verifier.diff_analysis.model import ChangeKind, ModificationLevel


class PagesRule:
    """The page list, page tree nodes, inherited attributes and each signed page's /Annots."""

    def apply(self, ctx: RevisionContext) -> None:
        old_root, new_root = ctx.roots()
        _check_pages(ctx, old_root, new_root, ctx.new_widgets)


class ChangedAnnotationRule:
    """Existing comments edited in place (DocMDP P=3 allows it); widgets are not here.

    Runs on what the other rules left over: an old non-widget annotation, still listed in the
    /Annots of the page its /P names, with the same subtype.
    """

    def apply(self, ctx: RevisionContext) -> None:
        if not ctx.unexplained():
            return
        for ref in sorted(ctx.unexplained()):
            old = ctx.store.get(ref, ctx.old)
            new = ctx.store.get(ref, ctx.rev)
            if not (
                isinstance(old, generic.DictionaryObject)
                and isinstance(new, generic.DictionaryObject)
                and not isinstance(old, generic.StreamObject)
                and not isinstance(new, generic.StreamObject)
                and "/Subtype" in old
                and "/Rect" in old
                and old.get("/Subtype") == new.get("/Subtype")
                and old.get("/Subtype") != "/Widget"
                and "/FT" not in old
                and "/FT" not in new
            ):
                continue
            page_ref = ref_of(new.raw_get("/P")) if "/P" in new else None
            if page_ref is None or page_ref != (ref_of(old.raw_get("/P")) if "/P" in old else None):
                continue
            page = ctx.store.get(page_ref, ctx.rev)
            if not isinstance(page, generic.DictionaryObject) or "/Annots" not in page:
                continue
            annots = ctx.new_val(page.raw_get("/Annots"))
            if not isinstance(annots, generic.ArrayObject) or ref not in {
                ref_of(a) for a in annots
            }:
                continue
            ctx.explained.add(ref)
            ctx.explain_below(new, ChangeKind.ANNOTATION_CHANGED, ref)
            subtype = name_of(new.get("/Subtype")) or "/?"
            ctx.add(
                ChangeKind.ANNOTATION_CHANGED,
                f"Annotation {subtype[1:]} changed",
                f"Chú thích loại {subtype[1:]} bị sửa",
                [ref],
            )


def _check_pages(
    ctx: RevisionContext,
    old_root: generic.DictionaryObject,
    new_root: generic.DictionaryObject,
    widgets: dict[ObjectId, FormField],
) -> None:
    old_p = ctx.pages_of(old_root, ctx.old)
    new_p = ctx.pages_of(new_root, ctx.rev)
    if old_p.pages != new_p.pages:
        _report_page_list(ctx, old_p.pages, new_p.pages)
    # page tree nodes: only /Kids and /Count may differ, and only if the list is unchanged
    for ref, node in new_p.nodes.items():
        if ref not in ctx.redefined:
            continue
        old_node = old_p.nodes.get(ref)
        ctx.explained.add(ref)
        if old_node is None:
            continue
        diff = changed_keys(old_node, node) - PAGE_TREE_NODE_KEYS
        if diff:
            ctx.add(
                ChangeKind.PAGE_CONTENT_CHANGED,
                "Inherited page attributes changed after signing: " + ", ".join(sorted(diff)),
                "Thuộc tính trang bị thay đổi sau khi ký: " + ", ".join(sorted(diff)),
                [ref],
            )
        kids_ref = ref_of(node.raw_get("/Kids")) if "/Kids" in node else None
        if ctx.touched(kids_ref):
            ctx.explained.add(kids_ref)  # type: ignore[arg-type]
    for ref in new_p.nodes:
        if ref in ctx.added:
            ctx.explained.add(ref)  # judged through what the pages inherit below
    old_set = set(old_p.pages)
    for number, page_ref in enumerate(new_p.pages, start=1):
        if page_ref not in old_set:
            continue
        _check_inherited(ctx, page_ref, number, old_p, new_p)
        _check_page(ctx, page_ref, number, widgets)


def _check_inherited(
    ctx: RevisionContext, page_ref: ObjectId, number: int, old_p: PageTree, new_p: PageTree
) -> None:
    page = ctx.store.get(page_ref, ctx.rev)
    if not isinstance(page, generic.DictionaryObject):
        return
    before = old_p.inherited.get(page_ref, {})
    after = new_p.inherited.get(page_ref, {})
    changed = sorted(
        key
        for key in INHERITABLE
        if key not in page and not same_value(before.get(key), after.get(key))
    )
    if changed:
        ctx.add(
            ChangeKind.PAGE_CONTENT_CHANGED,
            f"Page {number} inherits different attributes after signing: " + ", ".join(changed),
            f"Trang {number} kế thừa thuộc tính khác sau khi ký: " + ", ".join(changed),
            [page_ref],
        )


def _report_page_list(ctx: RevisionContext, old: list[ObjectId], new: list[ObjectId]) -> None:
    old_set, new_set = set(old), set(new)
    added = [i for i, p in enumerate(new, start=1) if p not in old_set]
    removed = [i for i, p in enumerate(old, start=1) if p not in new_set]
    if added:
        pages = ", ".join(map(str, added))
        ctx.add(
            ChangeKind.PAGE_ADDED,
            f"Page(s) {pages} added after signing",
            f"Trang {pages} được thêm vào sau khi ký",
            [new[i - 1] for i in added],
        )
        for i in added:
            ctx.explain_value(
                generic.IndirectObject(*new[i - 1], None), ChangeKind.PAGE_ADDED, None
            )
    if removed:
        pages = ", ".join(map(str, removed))
        ctx.add(
            ChangeKind.PAGE_REMOVED,
            f"Page(s) {pages} removed after signing",
            f"Trang {pages} bị xóa sau khi ký",
            [old[i - 1] for i in removed],
        )
    if not added and not removed:
        ctx.add(
            ChangeKind.PAGES_REORDERED,
            "Pages reordered after signing",
            "Thứ tự các trang bị thay đổi sau khi ký",
        )


def _check_page(
    ctx: RevisionContext, page_ref: ObjectId, number: int, widgets: dict[ObjectId, FormField]
) -> None:
    old_page = ctx.store.get(page_ref, ctx.old)
    new_page = ctx.store.get(page_ref, ctx.rev)
    if not isinstance(old_page, generic.DictionaryObject) or not isinstance(
        new_page, generic.DictionaryObject
    ):
        return
    annots_raw_new = new_page.raw_get("/Annots") if "/Annots" in new_page else None
    annots_raw_old = old_page.raw_get("/Annots") if "/Annots" in old_page else None
    page_changed = page_ref in ctx.redefined
    annots_ref = ref_of(annots_raw_new)
    if not page_changed and not ctx.touched(annots_ref):
        return
    if page_changed:
        ctx.explained.add(page_ref)
        diff = changed_keys(old_page, new_page) - PAGE_NON_VISUAL_KEYS
        if diff:
            ctx.add(
                ChangeKind.PAGE_CONTENT_CHANGED,
                f"Page {number} changed after signing: " + ", ".join(sorted(diff)),
                f"Trang {number} bị thay đổi sau khi ký: " + ", ".join(sorted(diff)),
                [page_ref],
            )
    if annots_ref is not None and annots_ref in ctx.redefined:
        if ref_of(annots_raw_old) != annots_ref:
            return  # repurposed: residue
        ctx.explained.add(annots_ref)
        ctx.require_exclusive(
            annots_ref,
            {page_ref},
            ChangeKind.ANNOTATION_ADDED,
            f"Annotation list {annots_ref[0]} of page {number} is shared with other objects",
            f"Danh sách chú thích {annots_ref[0]} của trang {number} dùng chung với nơi khác",
        )
    elif annots_ref is not None and annots_ref in ctx.added:
        ctx.explained.add(annots_ref)
    old_list = ctx.old_val(annots_raw_old)
    new_list = ctx.new_val(annots_raw_new)
    old_items = list(old_list) if isinstance(old_list, generic.ArrayObject) else []
    new_items = list(new_list) if isinstance(new_list, generic.ArrayObject) else []
    old_refs = [ref_of(a) for a in old_items]
    new_refs = [ref_of(a) for a in new_items]
    if None in new_refs and not all(
        any(same_value(a, b) for b in old_items) for a in new_items if ref_of(a) is None
    ):
        ctx.add(
            ChangeKind.ANNOTATION_ADDED,
            f"Direct annotation added to page {number}",
            f"Thêm chú thích trực tiếp vào trang {number}",
            [page_ref],
            level=ModificationLevel.OTHER,
        )
    removed = [r for r in old_refs if r is not None and r not in new_refs]
    if removed:
        # removing a comment is an annotation change (DocMDP P=3 allows it);
        # removing a widget hides a field or a signature appearance
        removed_widgets = [r for r in removed if _is_widget(ctx, r, ctx.old)]
        ctx.add(
            ChangeKind.ANNOTATION_REMOVED,
            f"{len(removed)} annotation(s) removed from page {number}",
            f"{len(removed)} chú thích bị xóa khỏi trang {number}",
            removed,
            level=(ModificationLevel.OTHER if removed_widgets else ModificationLevel.ANNOTATIONS),
            page=number,
        )
    for r in new_refs:
        if r is None or r in old_refs:
            continue
        if r in widgets:
            if r not in ctx.added:
                ctx.add(
                    ChangeKind.ANNOTATION_ADDED,
                    f"Existing object {r[0]} attached to page {number} as a widget",
                    f"Đối tượng {r[0]} đã có bị gắn vào trang {number} làm ô hiển thị",
                    [r],
                    level=ModificationLevel.OTHER,
                )
            elif widgets[r].field_type == "/Sig":
                _new_signature_widget(ctx, r, number, widgets[r])
            continue  # new widgets are judged with their field
        _new_annotation(ctx, r, number)


def _new_signature_widget(ctx: RevisionContext, ref: ObjectId, number: int, f: FormField) -> None:
    """A new widget of a signature field on a page: named, with where it shows.

    Signed in this revision: part of signing; left empty: a new widget annotation, which a
    certification judges at annotation level (``allowances.CERTIFIED_KIND_LEVEL``).
    """
    rect = shown_rect(ctx.store.get(ref, ctx.rev))
    if rect is None:
        return  # an invisible signature field: nothing new is shown on the page
    where = "[" + " ".join(f"{v:g}" for v in rect) + "]"
    signed = isinstance(
        ctx.new_val(f.value.raw_get("/V")) if "/V" in f.value else None, generic.DictionaryObject
    )
    if signed:
        kind = ChangeKind.SIGNATURE_WIDGET_ADDED
        en = f"Visible signature '{f.name}' (widget {ref[0]}) added on page {number} at {where}"
        vi = (
            f"Thêm chữ ký hiển thị '{f.name}' (ô hiển thị, đối tượng {ref[0]}) "
            f"trên trang {number} tại {where}"
        )
    else:
        kind = ChangeKind.EMPTY_SIGNATURE_WIDGET_ADDED
        en = (
            f"Empty visible signature field '{f.name}' (widget {ref[0]}) added on page "
            f"{number} at {where}"
        )
        vi = (
            f"Thêm trường chữ ký trống hiển thị '{f.name}' (ô hiển thị, đối tượng {ref[0]}) "
            f"trên trang {number} tại {where}"
        )
    ctx.add(kind, en, vi, [ref], page=number, regions=[(number, rect)])


def _is_widget(ctx: RevisionContext, ref: ObjectId, revision: int) -> bool:
    value = ctx.store.get(ref, revision)
    return not isinstance(value, generic.DictionaryObject) or (value.get("/Subtype") == "/Widget")


def _new_annotation(ctx: RevisionContext, ref: ObjectId, number: int) -> None:
    annot = ctx.store.get(ref, ctx.rev)
    if ref not in ctx.added or not isinstance(annot, generic.DictionaryObject):
        ctx.add(
            ChangeKind.ANNOTATION_ADDED,
            f"Existing object {ref[0]} attached to page {number} as an annotation",
            f"Đối tượng {ref[0]} đã có bị gắn vào trang {number} làm chú thích",
            [ref],
            level=ModificationLevel.OTHER,
        )
        return
    subtype = name_of(annot.get("/Subtype")) or "?"
    ctx.explained.add(ref)
    ctx.explain_below(annot, ChangeKind.ANNOTATION_ADDED, ref)
    ctx.add(
        ChangeKind.ANNOTATION_ADDED,
        f"Annotation {subtype[1:]} added on page {number}",
        f"Thêm chú thích loại {subtype[1:]} trên trang {number}",
        [ref],
    )


__all__ = ["ChangedAnnotationRule", "PagesRule"]
