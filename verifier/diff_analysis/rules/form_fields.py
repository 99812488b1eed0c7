"""Form field rules: the interactive form, new and filled fields, signatures and their widgets.

After a signature (ISO 32000-2 12.8.2.2-12.8.2.4, PAdES): a new signature field with its
value and widget is FORM_FILLING (a document timestamp LTA_UPDATES); filling in a field is
FORM_FILLING, and the field's name goes to the FieldMDP check. What a field or widget may
change is ``allowances.SIGNATURE_WIDGET_KEYS``, ``FIELD_VALUE_KEYS`` and ``FIELD_WIDGET_KEYS``;
an existing signature's value never changes, and an appearance replaced while the value stays
is the shadow "replace" attack (APPEARANCE_REPLACED, OTHER). Appearance streams, form
resources and field lists rewritten in place must not be used by anything else (the sharing
check), or they would change what a page draws.
"""

from __future__ import annotations

from collections.abc import Iterator

from pyhanko.pdf_utils import generic

from kyso.pdf.revisions import ObjectId
from kyso.pdf.values import changed_keys, name_of, ref_of, same_value, text_of
from verifier.diff_analysis.allowances import (
    ACROFORM_IGNORED,
    APPEARANCE_KEYS,
    FIELD_VALUE_KEYS,
    FIELD_WIDGET_KEYS,
    SIGNATURE_WIDGET_KEYS,
)
from verifier.diff_analysis.context import (
    MAX_FIELD_DEPTH,
    FieldChange,
    FormField,
    RevisionContext,
    shown_rect,
)
from verifier.diff_analysis.model import ChangeKind, DiffAnalysisError, Region


class FormFieldRule:
    """AcroForm entries, default resources, and every field compared by name.

    Leaves the new revision's widgets in ``ctx.new_widgets``: the page rule judges a page's
    new /Annots entries that are widgets with their field, not as annotations.
    """

    def apply(self, ctx: RevisionContext) -> None:
        old_root, new_root = ctx.roots()
        ctx.new_widgets = _check_form(ctx, old_root, new_root)


def _only_sets_read_only(old: generic.DictionaryObject, new: generic.DictionaryObject) -> bool:
    try:
        old_ff = int(old.get("/Ff", 0))
        new_ff = int(new.get("/Ff", 0))
    except (TypeError, ValueError):
        return False
    return new_ff == old_ff | 1


def _check_form(
    ctx: RevisionContext, old_root: generic.DictionaryObject, new_root: generic.DictionaryObject
) -> dict[ObjectId, FormField]:
    """Returns the new revision's widgets, by reference, to the page step."""
    old_af_raw = old_root.raw_get("/AcroForm") if "/AcroForm" in old_root else None
    new_af_raw = new_root.raw_get("/AcroForm") if "/AcroForm" in new_root else None
    old_af = ctx.old_val(old_af_raw)
    new_af = ctx.new_val(new_af_raw)
    old_fields = _fields(ctx, old_af, ctx.old)
    new_fields = _fields(ctx, new_af, ctx.rev)
    widgets: dict[ObjectId, FormField] = {}
    for f in new_fields.values():
        for w in f.widgets:
            widgets[w] = f
    if new_af is None:
        if old_af is not None:
            ctx.add(
                ChangeKind.FIELD_CHANGED,
                "The interactive form was removed after signing",
                "Biểu mẫu tương tác bị xóa sau khi ký",
            )
        return widgets
    if not isinstance(new_af, generic.DictionaryObject):
        ctx.add(ChangeKind.FIELD_CHANGED, "Invalid /AcroForm", "Mục /AcroForm không hợp lệ")
        return widgets
    af_ref = ref_of(new_af_raw)
    holder = af_ref or ctx.root_ref
    old_af_d = old_af if isinstance(old_af, generic.DictionaryObject) else None
    if af_ref is not None and af_ref in ctx.redefined and ref_of(old_af_raw) != af_ref:
        pass  # repurposed object: residue
    elif af_ref is not None and ctx.touched(af_ref):
        ctx.explained.add(af_ref)
    diff = changed_keys(old_af_d, new_af) if old_af_d is not None else set(new_af)
    for key in sorted(diff):
        if key == "/Fields":
            fields_ref = ref_of(new_af.raw_get("/Fields"))
            if ctx.touched(fields_ref):
                _explain_container(ctx, fields_ref, old_af_d, "/Fields", holder)
        elif key in ACROFORM_IGNORED:
            continue  # /DR: below, also when an indirect /DR changed in place
        elif key == "/NeedAppearances":
            if new_af.get("/NeedAppearances", False):
                ctx.add(
                    ChangeKind.FIELD_CHANGED,
                    "Form set to regenerate field appearances (/NeedAppearances)",
                    "Biểu mẫu bị đặt tự vẽ lại hình hiển thị các trường (/NeedAppearances)",
                )
        else:
            ctx.add(
                ChangeKind.FIELD_CHANGED,
                f"Interactive form entry {key} changed after signing",
                f"Mục {key} của biểu mẫu tương tác bị thay đổi sau khi ký",
            )
    fields_ref = ref_of(new_af.raw_get("/Fields")) if "/Fields" in new_af else None
    if "/Fields" not in diff and ctx.touched(fields_ref):
        _explain_container(ctx, fields_ref, old_af_d, "/Fields", holder)
    if "/DR" in new_af:
        _check_dr(ctx, old_af_d, new_af, holder)
    _compare_fields(ctx, old_fields, new_fields)
    return widgets


def _check_dr(
    ctx: RevisionContext,
    old_af: generic.DictionaryObject | None,
    new_af: generic.DictionaryObject,
    holder: ObjectId | None,
) -> None:
    old_dr = ctx.old_val(old_af.raw_get("/DR")) if old_af and "/DR" in old_af else None
    new_dr = ctx.new_val(new_af.raw_get("/DR")) if "/DR" in new_af else None
    if not isinstance(new_dr, generic.DictionaryObject):
        return
    dr_ref = ref_of(new_af.raw_get("/DR"))
    if dr_ref is not None and ctx.touched(dr_ref):
        ctx.explained.add(dr_ref)
        _require_exclusive_if_redefined(ctx, dr_ref, holder, "/DR")
    for cat in new_dr:
        new_cat = ctx.new_val(new_dr.raw_get(cat))
        old_cat = (
            ctx.old_val(old_dr.raw_get(cat))
            if isinstance(old_dr, generic.DictionaryObject) and cat in old_dr
            else None
        )
        cat_ref = ref_of(new_dr.raw_get(cat))
        if cat_ref is not None and ctx.touched(cat_ref):
            ctx.explained.add(cat_ref)
            _require_exclusive_if_redefined(ctx, cat_ref, dr_ref or holder, f"/DR{cat}")
        if not isinstance(new_cat, generic.DictionaryObject):
            continue
        for name in new_cat:
            value = new_cat.raw_get(name)
            if (
                isinstance(old_cat, generic.DictionaryObject)
                and name in old_cat
                and not same_value(old_cat.raw_get(name), value)
                and not ctx.touched(ref_of(value))
            ):
                # a resource name rebound to another old object
                ctx.add(
                    ChangeKind.FIELD_CHANGED,
                    f"Form default resource {cat}{name} rebound after signing",
                    f"Tài nguyên mặc định {cat}{name} của biểu mẫu bị đổi sau khi ký",
                )
            ctx.explain_value(value, ChangeKind.SIGNATURE_ADDED, holder)


def _require_exclusive_if_redefined(
    ctx: RevisionContext, ref: ObjectId, holder: ObjectId | None, what: str
) -> None:
    """Form resources shared with a page's resources would re-bind what the page draws."""
    if ref in ctx.redefined:
        ctx.require_exclusive(
            ref,
            {holder} if holder else set(),
            ChangeKind.FIELD_CHANGED,
            f"Form resources {what} (object {ref[0]}) changed although they are also used "
            "elsewhere",
            f"Tài nguyên biểu mẫu {what} (đối tượng {ref[0]}) bị sửa trong khi còn dùng ở nơi khác",
        )


def _explain_container(
    ctx: RevisionContext,
    ref: ObjectId | None,
    old_holder: generic.DictionaryObject | None,
    key: str,
    holder: ObjectId | None,
) -> None:
    if ref is None:
        return
    if ref in ctx.redefined:
        old_ref = ref_of(old_holder.raw_get(key)) if old_holder and key in old_holder else None
        if old_ref != ref:
            return
        ctx.require_exclusive(
            ref,
            {holder} if holder else set(),
            ChangeKind.FIELD_CHANGED,
            f"Form field list {ref[0]} is also used elsewhere in the document",
            f"Danh sách trường biểu mẫu {ref[0]} còn được dùng ở nơi khác trong tài liệu",
        )
    ctx.explained.add(ref)


def _fields(ctx: RevisionContext, acroform: object, revision: int) -> dict[str, FormField]:
    """Terminal fields by full name (bounded walk; cycles are hostile)."""
    result: dict[str, FormField] = {}
    if not isinstance(acroform, generic.DictionaryObject) or "/Fields" not in acroform:
        return result
    top = ctx.store.resolve(acroform.raw_get("/Fields"), revision)
    if not isinstance(top, generic.ArrayObject):
        return result
    seen: set[ObjectId] = set()

    def walk(raw: object, parent_name: str, inherited_ft: str | None, depth: int) -> None:
        ctx.tick()
        if depth > MAX_FIELD_DEPTH:
            raise DiffAnalysisError("CHANGE_ANALYSIS_FAILED", problem="form field tree too deep")
        ref = ref_of(raw)
        if ref is not None:
            if ref in seen:
                return
            seen.add(ref)
        node = ctx.store.resolve(raw, revision)  # type: ignore[arg-type]
        if not isinstance(node, generic.DictionaryObject):
            return
        partial = text_of(node.get("/T")) if "/T" in node else None
        name = (
            f"{parent_name}.{partial}"
            if parent_name and partial is not None
            else (partial if partial is not None else parent_name)
        )
        ft = name_of(node.get("/FT")) or inherited_ft
        kids = ctx.store.resolve(node.raw_get("/Kids"), revision) if "/Kids" in node else None
        field_kids: list[object] = []
        widget_kids: list[ObjectId] = []
        if isinstance(kids, generic.ArrayObject):
            for kid_raw in kids:
                kid = ctx.store.resolve(kid_raw, revision)
                if isinstance(kid, generic.DictionaryObject) and "/T" in kid:
                    field_kids.append(kid_raw)
                elif ref_of(kid_raw) is not None:
                    widget_kids.append(ref_of(kid_raw))  # type: ignore[arg-type]
        for kid_raw in field_kids:
            walk(kid_raw, name or "", ft, depth + 1)
        if field_kids and not widget_kids:
            return
        widgets = list(widget_kids)
        if node.get("/Subtype") == "/Widget" and ref is not None:
            widgets.append(ref)
        key = name or f"#{ref}"
        while key in result:
            key += "'"
        result[key] = FormField(ref, key, ft, node, widgets)

    for raw in top:
        walk(raw, "", None, 0)
    return result


def _compare_fields(
    ctx: RevisionContext, old: dict[str, FormField], new: dict[str, FormField]
) -> None:
    old_by_ref = {f.ref: f for f in old.values() if f.ref is not None}
    for name, f in new.items():
        prev = old.get(name) or (old_by_ref.get(f.ref) if f.ref is not None else None)
        if prev is None:
            _new_field(ctx, f)
        else:
            _changed_field(ctx, prev, f)
    new_refs = {f.ref for f in new.values()}
    for name, f in old.items():
        if name not in new and f.ref not in new_refs:
            ctx.add(
                ChangeKind.FIELD_CHANGED,
                f"Form field '{name}' was removed after signing",
                f"Trường biểu mẫu '{name}' bị xóa sau khi ký",
                [f.ref] if f.ref else [],
            )


def _sig_kind(ctx: RevisionContext, value: object) -> ChangeKind:
    sig = ctx.new_val(value)
    if isinstance(sig, generic.DictionaryObject) and (
        sig.get("/Type") == "/DocTimeStamp" or sig.get("/SubFilter") == "/ETSI.RFC3161"
    ):
        return ChangeKind.DOCUMENT_TIMESTAMP_ADDED
    return ChangeKind.SIGNATURE_ADDED


def _new_field(ctx: RevisionContext, f: FormField) -> None:
    if f.ref is not None and f.ref in ctx.redefined:
        return  # an old object turned into a field: residue check reports it
    if f.field_type != "/Sig":
        ctx.add(
            ChangeKind.FIELD_CHANGED,
            f"Form field '{f.name}' was added after signing",
            f"Trường biểu mẫu '{f.name}' được thêm sau khi ký",
            [f.ref] if f.ref else [],
        )
        return
    value = f.value.raw_get("/V") if "/V" in f.value else None
    if value is not None and not ctx.is_new(ref_of(value)):
        ctx.add(
            ChangeKind.SIGNATURE_CHANGED,
            f"Signature field '{f.name}' reuses an existing signature value",
            f"Trường chữ ký '{f.name}' dùng lại giá trị chữ ký đã có",
        )
        return
    kind = _sig_kind(ctx, value) if value is not None else ChangeKind.SIGNATURE_FIELD_ADDED
    if f.ref is not None:
        ctx.explained.add(f.ref)
    ctx.explain_below(f.value, kind, f.ref)
    for w in f.widgets:
        if w in ctx.added:
            ctx.explained.add(w)
            ctx.explain_below(ctx.new_val(generic.IndirectObject(w[0], w[1], None)), kind, w)
    # a field created after signing was not locked by it (FieldMDP names fields
    # of the signed document); DocMDP governs whether it may be added
    _describe_signature(ctx, kind, f, value)


def _describe_signature(
    ctx: RevisionContext, kind: ChangeKind, f: FormField, value: object
) -> None:
    objs = [r for r in (f.ref, ref_of(value)) if r is not None]
    regions = _widget_regions(ctx, f)
    page = regions[0][0] if regions else None
    if kind == ChangeKind.DOCUMENT_TIMESTAMP_ADDED:
        ctx.add(
            kind,
            "Document timestamp added",
            "Thêm dấu thời gian cho tài liệu",
            objs,
            page=page,
            regions=regions,
        )
    elif kind == ChangeKind.SIGNATURE_ADDED:
        ctx.add(
            kind,
            f"Digital signature added ('{f.name}')",
            f"Thêm chữ ký số ('{f.name}')",
            objs,
            page=page,
            regions=regions,
        )
    else:
        ctx.add(
            kind,
            f"Empty signature field added ('{f.name}')",
            f"Thêm trường chữ ký trống ('{f.name}')",
            objs,
            page=page,
            regions=regions,
        )


def _field_page(ctx: RevisionContext, f: FormField) -> int | None:
    """The page of the field's first widget listed on a page in this revision."""
    pages = ctx.annotation_pages()
    return next((pages[w] for w in f.widgets if w in pages), None)


def _widget_regions(ctx: RevisionContext, f: FormField) -> list[Region]:
    """Where the field's widgets show in this revision (page, rectangle)."""
    pages = ctx.annotation_pages()
    regions: list[Region] = []
    for w in f.widgets[:16]:
        rect = shown_rect(ctx.store.get(w, ctx.rev))
        if rect is not None and w in pages:
            regions.append((pages[w], rect))
    return regions


def _changed_field(ctx: RevisionContext, old: FormField, new: FormField) -> None:
    if old.ref != new.ref:
        ctx.add(
            ChangeKind.FIELD_CHANGED,
            f"Form field '{new.name}' was replaced by another object",
            f"Trường biểu mẫu '{new.name}' bị thay bằng đối tượng khác",
            [r for r in (old.ref, new.ref) if r],
        )
        return
    if old.field_type != new.field_type:
        ctx.add(
            ChangeKind.FIELD_CHANGED,
            f"Type of form field '{new.name}' changed",
            f"Loại của trường biểu mẫu '{new.name}' bị thay đổi",
            [new.ref] if new.ref else [],
        )
        return
    field_changed = new.ref is not None and new.ref in ctx.redefined
    diff = changed_keys(old.value, new.value) if field_changed else set()
    is_sig = new.field_type == "/Sig"
    kind = ChangeKind.FORM_FILLED
    value_changed = "/V" in diff
    if is_sig and value_changed:
        old_v = old.value.raw_get("/V") if "/V" in old.value else None
        new_v = new.value.raw_get("/V") if "/V" in new.value else None
        if old_v is not None or new_v is None or not ctx.is_new(ref_of(new_v)):
            ctx.add(
                ChangeKind.SIGNATURE_CHANGED,
                f"Existing signature '{new.name}' was changed or removed",
                f"Chữ ký đã có '{new.name}' bị thay đổi hoặc bị xóa",
                [new.ref] if new.ref else [],
            )
            return
        kind = _sig_kind(ctx, new_v)
    if "/Ff" in diff and _only_sets_read_only(old.value, new.value):
        diff = diff - {"/Ff"}  # signing tools lock fields read-only: nothing visible
        if not diff and new.ref is not None:
            ctx.explained.add(new.ref)
    widget_keys = SIGNATURE_WIDGET_KEYS if is_sig else FIELD_VALUE_KEYS
    allowed = (widget_keys | {"/V"}) if (value_changed or not is_sig) else widget_keys
    if is_sig and not value_changed:
        allowed = frozenset()  # an unsigned or already-signed field must not change
    if diff - allowed:
        ctx.add(
            ChangeKind.FIELD_CHANGED,
            f"Form field '{new.name}' changed: " + ", ".join(sorted(diff - allowed)),
            f"Trường biểu mẫu '{new.name}' bị thay đổi: " + ", ".join(sorted(diff - allowed)),
            [new.ref] if new.ref else [],
            page=_field_page(ctx, new),
        )
        return
    widget_changed = False
    for w in new.widgets:
        if w == new.ref:
            continue
        if w not in old.widgets:
            if is_sig and w in ctx.added and value_changed:
                ctx.explained.add(w)
                ctx.explain_below(ctx.new_val(generic.IndirectObject(w[0], w[1], None)), kind, w)
                continue
            ctx.add(
                ChangeKind.FIELD_CHANGED,
                f"Widget added to form field '{new.name}'",
                f"Thêm ô hiển thị cho trường biểu mẫu '{new.name}'",
                [w],
            )
            return
        if w in ctx.redefined:
            w_old = ctx.store.get(w, ctx.old)
            w_new = ctx.store.get(w, ctx.rev)
            if not isinstance(w_old, generic.DictionaryObject) or not isinstance(
                w_new, generic.DictionaryObject
            ):
                continue
            wdiff = changed_keys(w_old, w_new)
            if wdiff - (SIGNATURE_WIDGET_KEYS if is_sig else FIELD_WIDGET_KEYS) or (
                is_sig and not value_changed
            ):
                ctx.add(
                    ChangeKind.FIELD_CHANGED,
                    f"Widget of form field '{new.name}' changed",
                    f"Ô hiển thị của trường biểu mẫu '{new.name}' bị thay đổi",
                    [w],
                )
                return
            ctx.explained.add(w)
            _check_appearance(ctx, w_old, w_new, w, kind, new.name)
            widget_changed = True
    if not diff and not widget_changed:
        return
    if new.ref is not None:
        ctx.explained.add(new.ref)
        if new.ref in new.widgets:
            _check_appearance(ctx, old.value, new.value, new.ref, kind, new.name)
    ctx.explain_below(new.value, kind, new.ref)
    if kind in (ChangeKind.SIGNATURE_ADDED, ChangeKind.DOCUMENT_TIMESTAMP_ADDED):
        _describe_signature(ctx, kind, new, new.value.raw_get("/V"))
        ctx.result.filled_fields.append(FieldChange(new.name, True))
    elif value_changed:
        ctx.add(
            ChangeKind.FORM_FILLED,
            f"Form field '{new.name}' filled in",
            f"Điền giá trị cho trường biểu mẫu '{new.name}'",
            [new.ref] if new.ref else [],
            page=_field_page(ctx, new),
        )
        ctx.result.filled_fields.append(FieldChange(new.name, False))
    else:
        # the value that was signed stays, but what the page shows changes:
        # the shadow "replace" attack
        ctx.add(
            ChangeKind.APPEARANCE_REPLACED,
            f"Appearance of form field '{new.name}' replaced without a change of its value",
            f"Hình hiển thị của trường '{new.name}' bị thay mà giá trị không đổi",
            [new.ref] if new.ref else [],
            page=_field_page(ctx, new),
        )


def _check_appearance(
    ctx: RevisionContext,
    old_w: generic.DictionaryObject,
    new_w: generic.DictionaryObject,
    widget: ObjectId,
    kind: ChangeKind,
    field_name: str,
) -> None:
    """A widget appearance overwritten in place must not be drawn anywhere else."""
    old_ap = ctx.old_val(old_w.raw_get("/AP")) if "/AP" in old_w else None
    new_ap_raw = new_w.raw_get("/AP") if "/AP" in new_w else None
    new_ap = ctx.new_val(new_ap_raw)
    ap_ref = ref_of(new_ap_raw)
    owners = {widget} | ({ap_ref} if ap_ref else set())
    if ap_ref is not None and ap_ref in ctx.redefined:
        ctx.explained.add(ap_ref)
        ctx.require_exclusive(
            ap_ref,
            {widget},
            ChangeKind.APPEARANCE_REPLACED,
            f"Appearance dictionary {ap_ref[0]} of field '{field_name}' was overwritten "
            "although it is also used elsewhere",
            f"Từ điển hình hiển thị {ap_ref[0]} của trường '{field_name}' bị ghi đè trong khi "
            "còn được dùng ở nơi khác",
        )
    for stream_ref in _appearance_refs(ctx, new_ap, ctx.rev, owners):
        if stream_ref in ctx.redefined:
            old_refs = set(_appearance_refs(ctx, old_ap, ctx.old, owners))
            if stream_ref not in old_refs:
                continue  # residue will report the repurposed object
            ctx.explained.add(stream_ref)
            ctx.require_exclusive(
                stream_ref,
                owners,
                ChangeKind.APPEARANCE_REPLACED,
                f"Appearance stream {stream_ref[0]} of field '{field_name}' was "
                "overwritten although it is also used elsewhere",
                f"Hình hiển thị {stream_ref[0]} của trường '{field_name}' bị ghi đè "
                "trong khi còn được dùng ở nơi khác",
            )
            ctx.explain_below(
                ctx.new_val(generic.IndirectObject(*stream_ref, None)), kind, stream_ref
            )


def _appearance_refs(
    ctx: RevisionContext, ap: object, revision: int, owners: set[ObjectId]
) -> Iterator[ObjectId]:
    if not isinstance(ap, generic.DictionaryObject):
        return
    for key in APPEARANCE_KEYS:
        if key not in ap:
            continue
        raw = ap.raw_get(key)
        r = ref_of(raw)
        if r is not None:
            value = ctx.store.resolve(raw, revision)
            if isinstance(value, generic.StreamObject):
                yield r
                continue
            owners.add(r)
        value = ctx.store.resolve(raw, revision)
        if isinstance(value, generic.DictionaryObject) and not isinstance(
            value, generic.StreamObject
        ):
            for state in value:
                sr = ref_of(value.raw_get(state))
                if sr is not None:
                    yield sr


__all__ = ["FormFieldRule"]
