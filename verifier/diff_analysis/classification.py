"""Classify what one incremental revision changed, relative to the one before it.

Only objects the revision's xref section (re)defines are looked at. Each one
must be *explained* by a rule that knows where such an object may hang: a new
signature field with its value and widget, a page /Annots array that only
gains annotations, the DSS, the XMP metadata stream, the Info dictionary, and
so on. A redefined object no rule explains is OTHER, whatever it is; a new
object number that some old object already referred to (a dangling reference
filled in after signing) is OTHER too. Deny by default.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pyhanko.pdf_utils import generic

from kyso.pdf.references import ReferenceIndex
from kyso.pdf.revisions import ObjectId, RevisionStore
from verifier.diff_analysis.model import (
    Change,
    ChangeKind,
    DiffAnalysisError,
    ModificationLevel,
)
from verifier.diff_analysis.pdf_values import (
    changed_keys,
    name_of,
    ref_of,
    same_value,
    text_of,
)

_MAX_NODES = 500_000
_MAX_FIELD_DEPTH = 32
_MAX_TREE_DEPTH = 64

# Catalog entries a later revision may touch, and what the change means.
_CATALOG_ALLOWED = {"/AcroForm", "/DSS", "/Metadata", "/Extensions", "/Version", "/Names"}
_NON_ANNOTATION_WIDGET_KEYS = {"/AP", "/AS", "/MK", "/F"}
_FIELD_VALUE_KEYS = {"/V", "/AP", "/AS", "/RV", "/I"}
_TRAILER_IGNORED = {
    "/Size",
    "/Prev",
    "/ID",
    "/XRefStm",
    "/Type",
    "/W",
    "/Index",
    "/Length",
    "/Filter",
    "/DecodeParms",
    "/DocChecksum",
}
_EXPLAIN_SKIP_KEYS = {"/P", "/Parent", "/Pg", "/Obj", "/StructParent"}
# tab order and structure back-pointers: signing tools touch them, nothing visible changes
_INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
_PAGE_NON_VISUAL_KEYS = {"/Annots", "/Tabs", "/StructParents"}
_STRUCT_ROOT_KEYS = {"/ParentTree", "/ParentTreeNextKey", "/K", "/IDTree"}
_NUMBER_TREE_KEYS = {"/Nums", "/Kids", "/Limits"}

_LEVEL = {
    ChangeKind.SIGNATURE_ADDED: ModificationLevel.FORM_FILLING,
    ChangeKind.SIGNATURE_FIELD_ADDED: ModificationLevel.FORM_FILLING,
    ChangeKind.DOCUMENT_TIMESTAMP_ADDED: ModificationLevel.LTA_UPDATES,
    ChangeKind.DSS_UPDATED: ModificationLevel.LTA_UPDATES,
    ChangeKind.METADATA_UPDATED: ModificationLevel.LTA_UPDATES,
    ChangeKind.CATALOG_EXTENSIONS_UPDATED: ModificationLevel.LTA_UPDATES,
    ChangeKind.FORM_FILLED: ModificationLevel.FORM_FILLING,
    ChangeKind.STRUCTURE_UPDATED: ModificationLevel.FORM_FILLING,
    ChangeKind.ANNOTATION_ADDED: ModificationLevel.ANNOTATIONS,
    ChangeKind.ANNOTATION_CHANGED: ModificationLevel.ANNOTATIONS,
}


@dataclass
class FieldChange:
    """A field whose value changed in a revision (for FieldMDP locks)."""

    name: str
    is_signature: bool


@dataclass
class RevisionChanges:
    revision: int
    changes: list[Change] = field(default_factory=list)
    filled_fields: list[FieldChange] = field(default_factory=list)

    @property
    def level(self) -> ModificationLevel:
        return max((c.level for c in self.changes), default=ModificationLevel.NONE)


@dataclass
class _Field:
    ref: ObjectId | None
    name: str
    field_type: str | None
    value: generic.DictionaryObject
    widgets: list[ObjectId]


@dataclass
class PageTree:
    pages: list[ObjectId]
    nodes: dict[ObjectId, generic.DictionaryObject]
    # what each page inherits from its ancestors (raw values), for the keys
    # ISO 32000 makes inheritable: a new intermediate node can change them
    inherited: dict[ObjectId, dict[str, object]] = field(default_factory=dict)


def _equivalent_font(old: object, new: object) -> bool:
    """Font dictionaries differing only in the obsolete /Name entry (rewritten by iText)."""
    if not isinstance(old, generic.DictionaryObject) or not isinstance(
        new, generic.DictionaryObject
    ):
        return False
    if isinstance(old, generic.StreamObject) or old.get("/Type") != "/Font":
        return False
    return changed_keys(old, new) <= {"/Name"}


def _only_sets_read_only(old: generic.DictionaryObject, new: generic.DictionaryObject) -> bool:
    try:
        old_ff = int(old.get("/Ff", 0))
        new_ff = int(new.get("/Ff", 0))
    except (TypeError, ValueError):
        return False
    return new_ff == old_ff | 1


def _is_struct_elem(value: generic.DictionaryObject) -> bool:
    return value.get("/Type") == "/StructElem" or ("/S" in value and "/P" in value)


def _kind_level(kind: ChangeKind) -> ModificationLevel:
    return _LEVEL.get(kind, ModificationLevel.OTHER)


class RevisionClassifier:
    """Explains every object one revision touched, or reports it."""

    def __init__(
        self,
        store: RevisionStore,
        index: ReferenceIndex,
        revision: int,
        pages_cache: dict[int, PageTree],
    ) -> None:
        self.s = store
        self.index = index
        self.rev = revision
        self.old = revision - 1
        self.result = RevisionChanges(revision)
        self._pages_cache = pages_cache
        self.added: set[ObjectId] = set()
        self.redefined: set[ObjectId] = set()
        self.freed: set[ObjectId] = set()
        self.explained: set[ObjectId] = set()
        self._sharing_checks: list[tuple[ObjectId, set[ObjectId], ChangeKind, str, str]] = []
        self._budget = _MAX_NODES

    # -- driver -----------------------------------------------------------

    def run(self) -> RevisionChanges:
        self._sort_changed_objects()
        if not (self.added or self.redefined or self.freed) and not self._trailer_changed():
            return self.result
        old_trailer = self.s.trailer(self.old)
        ends = self.s.revision_ends()
        if (
            self.rev == 1
            and 0 <= ends[1] < ends[0]
            and not isinstance(
                self.old_val(old_trailer.raw_get("/Root") if "/Root" in old_trailer else None),
                generic.DictionaryObject,
            )
        ):
            # linearised file: the first-page section completes the original document
            return self.result
        self._check_trailer()
        old_root, new_root = self._roots()
        self._check_catalog(old_root, new_root)
        new_fields = self._check_form(old_root, new_root)
        self._check_pages(old_root, new_root, new_fields)
        self._check_dss(old_root, new_root)
        self._check_residue()
        return self.result

    def _add(
        self,
        kind: ChangeKind,
        en: str,
        vi: str,
        objects: set[ObjectId] | list[ObjectId] | tuple[ObjectId, ...] = (),
        level: ModificationLevel | None = None,
    ) -> None:
        # an object named by a reported change is accounted for: no second report
        self.explained.update(objects)
        self.result.changes.append(
            Change(
                revision=self.rev,
                kind=kind,
                level=level if level is not None else _kind_level(kind),
                description_en=en,
                description_vi=vi,
                objects=tuple(sorted(objects)),
            )
        )

    def _tick(self) -> None:
        self._budget -= 1
        if self._budget < 0:
            raise DiffAnalysisError(
                "Document structure too large to analyse",
                "Cấu trúc tài liệu quá lớn để phân tích",
            )

    # -- value access -----------------------------------------------------

    def old_val(self, value: object) -> generic.PdfObject | None:
        return self.s.resolve(value, self.old)  # type: ignore[arg-type]

    def new_val(self, value: object) -> generic.PdfObject | None:
        return self.s.resolve(value, self.rev)  # type: ignore[arg-type]

    def touched(self, ref: ObjectId | None) -> bool:
        return ref is not None and (ref in self.added or ref in self.redefined)

    # -- step 0: which objects changed ------------------------------------

    def _sort_changed_objects(self) -> None:
        containers = self.s.container_refs(self.rev)
        for ref in self.s.changed_refs(self.rev):
            existed = self.s.exists(ref, self.old)
            if ref in containers:
                if existed:
                    old = self.s.get(ref, self.old)
                    if not (isinstance(old, generic.StreamObject) and old.get("/Type") == "/XRef"):
                        self._add(
                            ChangeKind.OBJECT_REDEFINED,
                            f"Object {ref[0]} was overwritten by an object or xref stream",
                            f"Đối tượng {ref[0]} bị ghi đè bởi luồng đối tượng sau khi ký",
                            [ref],
                        )
                continue
            exists_now = self.s.exists(ref, self.rev)
            if exists_now and not self.s.readable(ref, self.rev):
                self._add(
                    ChangeKind.OBJECT_REDEFINED,
                    f"Object {ref[0]} written after signing cannot be read",
                    f"Đối tượng {ref[0]} được ghi sau khi ký không đọc được",
                    [ref],
                )
                continue
            if not existed:
                if exists_now:
                    self.added.add(ref)
                continue
            if not exists_now:
                self.freed.add(ref)
                continue
            if self.s.same_body(ref, self.old, self.rev):
                continue
            old_value, new_value = self.s.get(ref, self.old), self.s.get(ref, self.rev)
            if same_value(old_value, new_value) or _equivalent_font(old_value, new_value):
                continue
            self.redefined.add(ref)

    # -- step 1: trailer and Info -----------------------------------------

    def _trailer_changed(self) -> bool:
        old_t, new_t = self.s.trailer(self.old), self.s.trailer(self.rev)
        keys = (set(old_t) | set(new_t)) - _TRAILER_IGNORED
        return any(
            k not in old_t or k not in new_t or not same_value(old_t.raw_get(k), new_t.raw_get(k))
            for k in keys
        )

    def _check_trailer(self) -> None:
        old_t, new_t = self.s.trailer(self.old), self.s.trailer(self.rev)
        keys = (set(old_t) | set(new_t)) - _TRAILER_IGNORED
        for key in sorted(keys):
            old_v = old_t.raw_get(key) if key in old_t else None
            new_v = new_t.raw_get(key) if key in new_t else None
            if key == "/Info":
                self._check_info(old_v, new_v)
            elif not same_value(old_v, new_v):
                if key == "/Root":
                    self._add(
                        ChangeKind.CATALOG_CHANGED,
                        "The document catalog was replaced after signing",
                        "Danh mục gốc (Catalog) của tài liệu bị thay thế sau khi ký",
                    )
                else:
                    self._add(
                        ChangeKind.TRAILER_CHANGED,
                        f"Trailer entry {key} changed after signing",
                        f"Mục {key} trong trailer bị thay đổi sau khi ký",
                    )

    def _check_info(self, old_v: object, new_v: object) -> None:
        new_ref = ref_of(new_v)
        info_changed = not same_value(old_v, new_v) or self.touched(new_ref)
        if not info_changed:
            return
        if new_v is None:
            return  # dropping Info only removes metadata
        info = self.new_val(new_v)
        if not isinstance(info, generic.DictionaryObject) or isinstance(info, generic.StreamObject):
            self._add(
                ChangeKind.TRAILER_CHANGED,
                "The document information entry is not a dictionary",
                "Mục thông tin tài liệu (Info) không hợp lệ",
            )
            return
        if new_ref is not None:
            if new_ref in self.redefined and ref_of(old_v) != new_ref:
                return  # an old object repurposed as Info: left for the residue check
            self.explained.add(new_ref)
            if new_ref in self.redefined:
                # any key may change in Info: only harmless if nothing else uses the dictionary
                self._require_exclusive(
                    new_ref,
                    set(),
                    ChangeKind.OBJECT_REDEFINED,
                    f"Information dictionary {new_ref[0]} is also used elsewhere in the document",
                    f"Từ điển thông tin {new_ref[0]} còn được dùng ở nơi khác trong tài liệu",
                )
        self._explain_below(info, ChangeKind.METADATA_UPDATED, new_ref)
        self._add(
            ChangeKind.METADATA_UPDATED,
            "Document information (Info) updated",
            "Cập nhật thông tin mô tả tài liệu (Info)",
            [new_ref] if new_ref else [],
        )

    # -- step 2: catalog --------------------------------------------------

    def _roots(self) -> tuple[generic.DictionaryObject, generic.DictionaryObject]:
        old_root = self.old_val(self.s.trailer(self.old).raw_get("/Root"))
        new_root = self.new_val(self.s.trailer(self.rev).raw_get("/Root"))
        if not isinstance(old_root, generic.DictionaryObject) or not isinstance(
            new_root, generic.DictionaryObject
        ):
            raise DiffAnalysisError(
                "The document catalog cannot be read", "Không đọc được danh mục gốc của tài liệu"
            )
        return old_root, new_root

    def _check_catalog(
        self, old_root: generic.DictionaryObject, new_root: generic.DictionaryObject
    ) -> None:
        root_ref = ref_of(self.s.trailer(self.rev).raw_get("/Root"))
        if root_ref is not None and root_ref in self.redefined:
            self.explained.add(root_ref)
        for key in sorted(changed_keys(old_root, new_root)):
            if key in ("/AcroForm", "/DSS"):
                continue  # dedicated steps
            if key == "/Metadata":
                self._check_metadata(
                    old_root.raw_get(key) if key in old_root else None,
                    new_root.raw_get(key) if key in new_root else None,
                    root_ref,
                )
            elif key == "/Extensions" or key == "/Version":
                value = new_root.raw_get(key) if key in new_root else None
                self._explain_value(value, ChangeKind.CATALOG_EXTENSIONS_UPDATED, root_ref)
                self._add(
                    ChangeKind.CATALOG_EXTENSIONS_UPDATED,
                    f"Catalog {key} updated (PDF extension declaration)",
                    f"Cập nhật khai báo phiên bản/mở rộng PDF ({key})",
                )
            elif key == "/Names":
                self._check_names(old_root, new_root, root_ref)
            else:
                self._add(
                    ChangeKind.CATALOG_CHANGED,
                    f"Document catalog entry {key} changed after signing",
                    f"Mục {key} của danh mục gốc tài liệu bị thay đổi sau khi ký",
                    [root_ref] if root_ref else [],
                )
        # an indirect /Metadata stream can change without the catalog changing
        meta = new_root.raw_get("/Metadata") if "/Metadata" in new_root else None
        if "/Metadata" not in changed_keys(old_root, new_root) and self.touched(ref_of(meta)):
            self._check_metadata(meta, meta, root_ref)

    def _check_metadata(self, old_v: object, new_v: object, root_ref: ObjectId | None) -> None:
        if new_v is None:
            self._add(
                ChangeKind.METADATA_UPDATED,
                "XMP metadata removed",
                "Xóa siêu dữ liệu XMP",
            )
            return
        stream = self.new_val(new_v)
        new_ref = ref_of(new_v)
        if (
            new_ref is None
            or not isinstance(stream, generic.StreamObject)
            or stream.get("/Type") != "/Metadata"
            or stream.get("/Subtype") != "/XML"
        ):
            self._add(
                ChangeKind.CATALOG_CHANGED,
                "The catalog /Metadata entry is not an XMP metadata stream",
                "Mục siêu dữ liệu (/Metadata) không phải luồng XMP hợp lệ",
            )
            return
        if new_ref in self.redefined:
            if ref_of(old_v) != new_ref:
                return  # an unrelated old object turned into metadata: residue check
            self._require_exclusive(
                new_ref,
                {root_ref} if root_ref else set(),
                ChangeKind.OBJECT_REDEFINED,
                f"Metadata stream {new_ref[0]} is also used elsewhere in the document",
                f"Luồng siêu dữ liệu {new_ref[0]} còn được dùng ở nơi khác trong tài liệu",
            )
        elif new_ref not in self.added:
            # pointing /Metadata at an old, unchanged object: only metadata, harmless
            pass
        self.explained.add(new_ref)
        self._add(
            ChangeKind.METADATA_UPDATED,
            "XMP metadata updated",
            "Cập nhật siêu dữ liệu XMP",
            [new_ref],
        )

    def _check_names(
        self,
        old_root: generic.DictionaryObject,
        new_root: generic.DictionaryObject,
        root_ref: ObjectId | None,
    ) -> None:
        old_names = self.old_val(old_root.raw_get("/Names")) if "/Names" in old_root else None
        new_names = self.new_val(new_root.raw_get("/Names")) if "/Names" in new_root else None
        old_d = (
            old_names
            if isinstance(old_names, generic.DictionaryObject)
            else (generic.DictionaryObject())
        )
        if not isinstance(new_names, generic.DictionaryObject):
            self._add(
                ChangeKind.CATALOG_CHANGED,
                "Document name dictionary removed after signing",
                "Từ điển tên (Names) của tài liệu bị xóa sau khi ký",
            )
            return
        diff = changed_keys(old_d, new_names)
        if diff - {"/AP"}:
            self._add(
                ChangeKind.CATALOG_CHANGED,
                "Document name trees changed after signing: " + ", ".join(sorted(diff)),
                "Cây tên của tài liệu (Names) bị thay đổi sau khi ký: " + ", ".join(sorted(diff)),
            )
            return
        names_ref = ref_of(new_root.raw_get("/Names"))
        if names_ref is not None:
            if names_ref in self.redefined and ref_of(old_root.raw_get("/Names")) != names_ref:
                return
            self.explained.add(names_ref)
        self._explain_value(new_names.raw_get("/AP"), ChangeKind.ANNOTATION_ADDED, names_ref)
        self._add(
            ChangeKind.ANNOTATION_ADDED,
            "Named annotation appearances added",
            "Thêm hình hiển thị có tên cho chú thích",
            level=ModificationLevel.ANNOTATIONS,
        )

    # -- step 3: AcroForm and fields --------------------------------------

    def _check_form(
        self, old_root: generic.DictionaryObject, new_root: generic.DictionaryObject
    ) -> dict[ObjectId, _Field]:
        """Returns the new revision's widgets, by reference, to the page step."""
        old_af_raw = old_root.raw_get("/AcroForm") if "/AcroForm" in old_root else None
        new_af_raw = new_root.raw_get("/AcroForm") if "/AcroForm" in new_root else None
        old_af = self.old_val(old_af_raw)
        new_af = self.new_val(new_af_raw)
        old_fields = self._fields(old_af, self.old)
        new_fields = self._fields(new_af, self.rev)
        widgets: dict[ObjectId, _Field] = {}
        for f in new_fields.values():
            for w in f.widgets:
                widgets[w] = f
        if new_af is None:
            if old_af is not None:
                self._add(
                    ChangeKind.FIELD_CHANGED,
                    "The interactive form was removed after signing",
                    "Biểu mẫu tương tác bị xóa sau khi ký",
                )
            return widgets
        if not isinstance(new_af, generic.DictionaryObject):
            self._add(ChangeKind.FIELD_CHANGED, "Invalid /AcroForm", "Mục /AcroForm không hợp lệ")
            return widgets
        af_ref = ref_of(new_af_raw)
        root_ref = ref_of(self.s.trailer(self.rev).raw_get("/Root"))
        holder = af_ref or root_ref
        old_af_d = old_af if isinstance(old_af, generic.DictionaryObject) else None
        if af_ref is not None and af_ref in self.redefined and ref_of(old_af_raw) != af_ref:
            pass  # repurposed object: residue
        elif af_ref is not None and self.touched(af_ref):
            self.explained.add(af_ref)
        diff = changed_keys(old_af_d, new_af) if old_af_d is not None else set(new_af)
        for key in sorted(diff):
            if key == "/Fields":
                fields_ref = ref_of(new_af.raw_get("/Fields"))
                if self.touched(fields_ref):
                    self._explain_container(fields_ref, old_af_d, "/Fields", holder)
            elif key == "/SigFlags" or key == "/DA":
                continue
            elif key == "/DR":
                continue  # below, also when an indirect /DR changed in place
            elif key == "/NeedAppearances":
                if new_af.get("/NeedAppearances", False):
                    self._add(
                        ChangeKind.FIELD_CHANGED,
                        "Form set to regenerate field appearances (/NeedAppearances)",
                        "Biểu mẫu bị đặt tự vẽ lại hình hiển thị các trường (/NeedAppearances)",
                    )
            else:
                self._add(
                    ChangeKind.FIELD_CHANGED,
                    f"Interactive form entry {key} changed after signing",
                    f"Mục {key} của biểu mẫu tương tác bị thay đổi sau khi ký",
                )
        fields_ref = ref_of(new_af.raw_get("/Fields")) if "/Fields" in new_af else None
        if "/Fields" not in diff and self.touched(fields_ref):
            self._explain_container(fields_ref, old_af_d, "/Fields", holder)
        if "/DR" in new_af:
            self._check_dr(old_af_d, new_af, holder)
        self._compare_fields(old_fields, new_fields)
        return widgets

    def _check_dr(
        self,
        old_af: generic.DictionaryObject | None,
        new_af: generic.DictionaryObject,
        holder: ObjectId | None,
    ) -> None:
        old_dr = self.old_val(old_af.raw_get("/DR")) if old_af and "/DR" in old_af else None
        new_dr = self.new_val(new_af.raw_get("/DR")) if "/DR" in new_af else None
        if not isinstance(new_dr, generic.DictionaryObject):
            return
        dr_ref = ref_of(new_af.raw_get("/DR"))
        if dr_ref is not None and self.touched(dr_ref):
            self.explained.add(dr_ref)
            self._require_exclusive_if_redefined(dr_ref, holder, "/DR")
        for cat in new_dr:
            new_cat = self.new_val(new_dr.raw_get(cat))
            old_cat = (
                self.old_val(old_dr.raw_get(cat))
                if isinstance(old_dr, generic.DictionaryObject) and cat in old_dr
                else None
            )
            cat_ref = ref_of(new_dr.raw_get(cat))
            if cat_ref is not None and self.touched(cat_ref):
                self.explained.add(cat_ref)
                self._require_exclusive_if_redefined(cat_ref, dr_ref or holder, f"/DR{cat}")
            if not isinstance(new_cat, generic.DictionaryObject):
                continue
            for name in new_cat:
                value = new_cat.raw_get(name)
                if (
                    isinstance(old_cat, generic.DictionaryObject)
                    and name in old_cat
                    and not same_value(old_cat.raw_get(name), value)
                    and not self.touched(ref_of(value))
                ):
                    # a resource name rebound to another old object
                    self._add(
                        ChangeKind.FIELD_CHANGED,
                        f"Form default resource {cat}{name} rebound after signing",
                        f"Tài nguyên mặc định {cat}{name} của biểu mẫu bị đổi sau khi ký",
                    )
                self._explain_value(value, ChangeKind.SIGNATURE_ADDED, holder)

    def _require_exclusive_if_redefined(
        self, ref: ObjectId, holder: ObjectId | None, what: str
    ) -> None:
        """Form resources shared with a page's resources would re-bind what the page draws."""
        if ref in self.redefined:
            self._require_exclusive(
                ref,
                {holder} if holder else set(),
                ChangeKind.FIELD_CHANGED,
                f"Form resources {what} (object {ref[0]}) changed although they are also used "
                "elsewhere",
                f"Tài nguyên biểu mẫu {what} (đối tượng {ref[0]}) bị sửa trong khi còn dùng ở "
                "nơi khác",
            )

    def _fields(self, acroform: object, revision: int) -> dict[str, _Field]:
        """Terminal fields by full name (bounded walk; cycles are hostile)."""
        result: dict[str, _Field] = {}
        if not isinstance(acroform, generic.DictionaryObject) or "/Fields" not in acroform:
            return result
        top = self.s.resolve(acroform.raw_get("/Fields"), revision)
        if not isinstance(top, generic.ArrayObject):
            return result
        seen: set[ObjectId] = set()

        def walk(raw: object, parent_name: str, inherited_ft: str | None, depth: int) -> None:
            self._tick()
            if depth > _MAX_FIELD_DEPTH:
                raise DiffAnalysisError("Form field tree too deep", "Cây trường biểu mẫu quá sâu")
            ref = ref_of(raw)
            if ref is not None:
                if ref in seen:
                    return
                seen.add(ref)
            node = self.s.resolve(raw, revision)  # type: ignore[arg-type]
            if not isinstance(node, generic.DictionaryObject):
                return
            partial = text_of(node.get("/T")) if "/T" in node else None
            name = (
                f"{parent_name}.{partial}"
                if parent_name and partial is not None
                else (partial if partial is not None else parent_name)
            )
            ft = name_of(node.get("/FT")) or inherited_ft
            kids = self.s.resolve(node.raw_get("/Kids"), revision) if "/Kids" in node else None
            field_kids: list[object] = []
            widget_kids: list[ObjectId] = []
            if isinstance(kids, generic.ArrayObject):
                for kid_raw in kids:
                    kid = self.s.resolve(kid_raw, revision)
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
            result[key] = _Field(ref, key, ft, node, widgets)

        for raw in top:
            walk(raw, "", None, 0)
        return result

    def _compare_fields(self, old: dict[str, _Field], new: dict[str, _Field]) -> None:
        old_by_ref = {f.ref: f for f in old.values() if f.ref is not None}
        for name, f in new.items():
            prev = old.get(name) or (old_by_ref.get(f.ref) if f.ref is not None else None)
            if prev is None:
                self._new_field(f)
            else:
                self._changed_field(prev, f)
        new_refs = {f.ref for f in new.values()}
        for name, f in old.items():
            if name not in new and f.ref not in new_refs:
                self._add(
                    ChangeKind.FIELD_CHANGED,
                    f"Form field '{name}' was removed after signing",
                    f"Trường biểu mẫu '{name}' bị xóa sau khi ký",
                    [f.ref] if f.ref else [],
                )

    def _sig_kind(self, value: object) -> ChangeKind:
        sig = self.new_val(value)
        if isinstance(sig, generic.DictionaryObject) and (
            sig.get("/Type") == "/DocTimeStamp" or sig.get("/SubFilter") == "/ETSI.RFC3161"
        ):
            return ChangeKind.DOCUMENT_TIMESTAMP_ADDED
        return ChangeKind.SIGNATURE_ADDED

    def _new_field(self, f: _Field) -> None:
        if f.ref is not None and f.ref in self.redefined:
            return  # an old object turned into a field: residue check reports it
        if f.field_type != "/Sig":
            self._add(
                ChangeKind.FIELD_CHANGED,
                f"Form field '{f.name}' was added after signing",
                f"Trường biểu mẫu '{f.name}' được thêm sau khi ký",
                [f.ref] if f.ref else [],
            )
            return
        value = f.value.raw_get("/V") if "/V" in f.value else None
        if value is not None and not self._is_new(ref_of(value)):
            self._add(
                ChangeKind.SIGNATURE_CHANGED,
                f"Signature field '{f.name}' reuses an existing signature value",
                f"Trường chữ ký '{f.name}' dùng lại giá trị chữ ký đã có",
            )
            return
        kind = self._sig_kind(value) if value is not None else ChangeKind.SIGNATURE_FIELD_ADDED
        if f.ref is not None:
            self.explained.add(f.ref)
        self._explain_below(f.value, kind, f.ref)
        for w in f.widgets:
            if w in self.added:
                self.explained.add(w)
                self._explain_below(self.new_val(generic.IndirectObject(w[0], w[1], None)), kind, w)
        # a field created after signing was not locked by it (FieldMDP names fields
        # of the signed document); DocMDP governs whether it may be added
        self._describe_signature(kind, f, value)

    def _describe_signature(self, kind: ChangeKind, f: _Field, value: object) -> None:
        objs = [r for r in (f.ref, ref_of(value)) if r is not None]
        if kind == ChangeKind.DOCUMENT_TIMESTAMP_ADDED:
            self._add(kind, "Document timestamp added", "Thêm dấu thời gian cho tài liệu", objs)
        elif kind == ChangeKind.SIGNATURE_ADDED:
            self._add(
                kind,
                f"Digital signature added ('{f.name}')",
                f"Thêm chữ ký số ('{f.name}')",
                objs,
            )
        else:
            self._add(
                kind,
                f"Empty signature field added ('{f.name}')",
                f"Thêm trường chữ ký trống ('{f.name}')",
                objs,
            )

    def _is_new(self, ref: ObjectId | None) -> bool:
        return ref is not None and ref in self.added

    def _changed_field(self, old: _Field, new: _Field) -> None:
        if old.ref != new.ref:
            self._add(
                ChangeKind.FIELD_CHANGED,
                f"Form field '{new.name}' was replaced by another object",
                f"Trường biểu mẫu '{new.name}' bị thay bằng đối tượng khác",
                [r for r in (old.ref, new.ref) if r],
            )
            return
        if old.field_type != new.field_type:
            self._add(
                ChangeKind.FIELD_CHANGED,
                f"Type of form field '{new.name}' changed",
                f"Loại của trường biểu mẫu '{new.name}' bị thay đổi",
                [new.ref] if new.ref else [],
            )
            return
        field_changed = new.ref is not None and new.ref in self.redefined
        diff = changed_keys(old.value, new.value) if field_changed else set()
        is_sig = new.field_type == "/Sig"
        kind = ChangeKind.FORM_FILLED
        value_changed = "/V" in diff
        if is_sig and value_changed:
            old_v = old.value.raw_get("/V") if "/V" in old.value else None
            new_v = new.value.raw_get("/V") if "/V" in new.value else None
            if old_v is not None or new_v is None or not self._is_new(ref_of(new_v)):
                self._add(
                    ChangeKind.SIGNATURE_CHANGED,
                    f"Existing signature '{new.name}' was changed or removed",
                    f"Chữ ký đã có '{new.name}' bị thay đổi hoặc bị xóa",
                    [new.ref] if new.ref else [],
                )
                return
            kind = self._sig_kind(new_v)
        if "/Ff" in diff and _only_sets_read_only(old.value, new.value):
            diff = diff - {"/Ff"}  # signing tools lock fields read-only: nothing visible
            if not diff and new.ref is not None:
                self.explained.add(new.ref)
        widget_keys = _NON_ANNOTATION_WIDGET_KEYS if is_sig else _FIELD_VALUE_KEYS
        allowed = (widget_keys | {"/V"}) if (value_changed or not is_sig) else widget_keys
        if is_sig and not value_changed:
            allowed = set()  # an unsigned or already-signed field must not change
        if diff - allowed:
            self._add(
                ChangeKind.FIELD_CHANGED,
                f"Form field '{new.name}' changed: " + ", ".join(sorted(diff - allowed)),
                f"Trường biểu mẫu '{new.name}' bị thay đổi: " + ", ".join(sorted(diff - allowed)),
                [new.ref] if new.ref else [],
            )
            return
        widget_changed = False
        for w in new.widgets:
            if w == new.ref:
                continue
            if w not in old.widgets:
                if is_sig and w in self.added and value_changed:
                    self.explained.add(w)
                    self._explain_below(
                        self.new_val(generic.IndirectObject(w[0], w[1], None)), kind, w
                    )
                    continue
                self._add(
                    ChangeKind.FIELD_CHANGED,
                    f"Widget added to form field '{new.name}'",
                    f"Thêm ô hiển thị cho trường biểu mẫu '{new.name}'",
                    [w],
                )
                return
            if w in self.redefined:
                w_old = self.s.get(w, self.old)
                w_new = self.s.get(w, self.rev)
                if not isinstance(w_old, generic.DictionaryObject) or not isinstance(
                    w_new, generic.DictionaryObject
                ):
                    continue
                wdiff = changed_keys(w_old, w_new)
                if wdiff - (_NON_ANNOTATION_WIDGET_KEYS if is_sig else {"/AP", "/AS", "/MK"}) or (
                    is_sig and not value_changed
                ):
                    self._add(
                        ChangeKind.FIELD_CHANGED,
                        f"Widget of form field '{new.name}' changed",
                        f"Ô hiển thị của trường biểu mẫu '{new.name}' bị thay đổi",
                        [w],
                    )
                    return
                self.explained.add(w)
                self._check_appearance(w_old, w_new, w, kind, new.name)
                widget_changed = True
        if not diff and not widget_changed:
            return
        if new.ref is not None:
            self.explained.add(new.ref)
            if new.ref in new.widgets:
                self._check_appearance(old.value, new.value, new.ref, kind, new.name)
        self._explain_below(new.value, kind, new.ref)
        if kind in (ChangeKind.SIGNATURE_ADDED, ChangeKind.DOCUMENT_TIMESTAMP_ADDED):
            self._describe_signature(kind, new, new.value.raw_get("/V"))
            self.result.filled_fields.append(FieldChange(new.name, True))
        elif value_changed:
            self._add(
                ChangeKind.FORM_FILLED,
                f"Form field '{new.name}' filled in",
                f"Điền giá trị cho trường biểu mẫu '{new.name}'",
                [new.ref] if new.ref else [],
            )
            self.result.filled_fields.append(FieldChange(new.name, False))
        else:
            # the value that was signed stays, but what the page shows changes:
            # the shadow "replace" attack
            self._add(
                ChangeKind.APPEARANCE_REPLACED,
                f"Appearance of form field '{new.name}' replaced without a change of its value",
                f"Hình hiển thị của trường '{new.name}' bị thay mà giá trị không đổi",
                [new.ref] if new.ref else [],
            )

    def _check_appearance(
        self,
        old_w: generic.DictionaryObject,
        new_w: generic.DictionaryObject,
        widget: ObjectId,
        kind: ChangeKind,
        field_name: str,
    ) -> None:
        """A widget appearance overwritten in place must not be drawn anywhere else."""
        old_ap = self.old_val(old_w.raw_get("/AP")) if "/AP" in old_w else None
        new_ap_raw = new_w.raw_get("/AP") if "/AP" in new_w else None
        new_ap = self.new_val(new_ap_raw)
        ap_ref = ref_of(new_ap_raw)
        owners = {widget} | ({ap_ref} if ap_ref else set())
        if ap_ref is not None and ap_ref in self.redefined:
            self.explained.add(ap_ref)
            self._require_exclusive(
                ap_ref,
                {widget},
                ChangeKind.APPEARANCE_REPLACED,
                f"Appearance dictionary {ap_ref[0]} of field '{field_name}' was overwritten "
                "although it is also used elsewhere",
                f"Từ điển hình hiển thị {ap_ref[0]} của trường '{field_name}' bị ghi đè trong khi "
                "còn được dùng ở nơi khác",
            )
        for stream_ref in self._appearance_refs(new_ap, self.rev, owners):
            if stream_ref in self.redefined:
                old_refs = set(self._appearance_refs(old_ap, self.old, owners))
                if stream_ref not in old_refs:
                    continue  # residue will report the repurposed object
                self.explained.add(stream_ref)
                self._require_exclusive(
                    stream_ref,
                    owners,
                    ChangeKind.APPEARANCE_REPLACED,
                    f"Appearance stream {stream_ref[0]} of field '{field_name}' was "
                    "overwritten although it is also used elsewhere",
                    f"Hình hiển thị {stream_ref[0]} của trường '{field_name}' bị ghi đè "
                    "trong khi còn được dùng ở nơi khác",
                )
                self._explain_below(
                    self.new_val(generic.IndirectObject(*stream_ref, None)), kind, stream_ref
                )

    def _appearance_refs(
        self, ap: object, revision: int, owners: set[ObjectId]
    ) -> Iterator[ObjectId]:
        if not isinstance(ap, generic.DictionaryObject):
            return
        for key in ("/N", "/R", "/D"):
            if key not in ap:
                continue
            raw = ap.raw_get(key)
            r = ref_of(raw)
            if r is not None:
                value = self.s.resolve(raw, revision)
                if isinstance(value, generic.StreamObject):
                    yield r
                    continue
                owners.add(r)
            value = self.s.resolve(raw, revision)
            if isinstance(value, generic.DictionaryObject) and not isinstance(
                value, generic.StreamObject
            ):
                for state in value:
                    sr = ref_of(value.raw_get(state))
                    if sr is not None:
                        yield sr

    # -- step 4: pages and annotations ------------------------------------

    def pages_of(self, root: generic.DictionaryObject, revision: int) -> PageTree:
        cached = self._pages_cache.get(revision)
        if cached is not None:
            return cached
        pages: list[ObjectId] = []
        nodes: dict[ObjectId, generic.DictionaryObject] = {}
        inherited: dict[ObjectId, dict[str, object]] = {}
        seen: set[ObjectId] = set()
        stack: list[tuple[object, int, dict[str, object]]] = [
            (root.raw_get("/Pages") if "/Pages" in root else None, 0, {})
        ]
        while stack:  # iterative DFS in document order
            raw, depth, from_above = stack.pop()
            self._tick()
            ref = ref_of(raw)
            if ref is None or depth > _MAX_TREE_DEPTH:
                continue
            if ref in seen:
                raise DiffAnalysisError(
                    "The page tree contains a cycle", "Cây trang của tài liệu có vòng lặp"
                )
            seen.add(ref)
            node = self.s.get(ref, revision)
            if not isinstance(node, generic.DictionaryObject):
                continue
            if node.get("/Type") == "/Pages" or "/Kids" in node:
                nodes[ref] = node
                passed = dict(from_above)
                passed.update({k: node.raw_get(k) for k in _INHERITABLE if k in node})
                kids = self.s.resolve(node.raw_get("/Kids"), revision) if "/Kids" in node else None
                if isinstance(kids, generic.ArrayObject):
                    for kid in reversed(list(kids)):
                        stack.append((kid, depth + 1, passed))
            else:
                pages.append(ref)
                inherited[ref] = from_above
        result = PageTree(pages, nodes, inherited)
        self._pages_cache[revision] = result
        return result

    def _check_pages(
        self,
        old_root: generic.DictionaryObject,
        new_root: generic.DictionaryObject,
        widgets: dict[ObjectId, _Field],
    ) -> None:
        old_p = self.pages_of(old_root, self.old)
        new_p = self.pages_of(new_root, self.rev)
        if old_p.pages != new_p.pages:
            self._report_page_list(old_p.pages, new_p.pages)
        # page tree nodes: only /Kids and /Count may differ, and only if the list is unchanged
        for ref, node in new_p.nodes.items():
            if ref not in self.redefined:
                continue
            old_node = old_p.nodes.get(ref)
            self.explained.add(ref)
            if old_node is None:
                continue
            diff = changed_keys(old_node, node) - {"/Kids", "/Count"}
            if diff:
                self._add(
                    ChangeKind.PAGE_CONTENT_CHANGED,
                    "Inherited page attributes changed after signing: " + ", ".join(sorted(diff)),
                    "Thuộc tính trang bị thay đổi sau khi ký: " + ", ".join(sorted(diff)),
                    [ref],
                )
            kids_ref = ref_of(node.raw_get("/Kids")) if "/Kids" in node else None
            if self.touched(kids_ref):
                self.explained.add(kids_ref)  # type: ignore[arg-type]
        for ref in new_p.nodes:
            if ref in self.added:
                self.explained.add(ref)  # judged through what the pages inherit below
        old_set = set(old_p.pages)
        for number, page_ref in enumerate(new_p.pages, start=1):
            if page_ref not in old_set:
                continue
            self._check_inherited(page_ref, number, old_p, new_p)
            self._check_page(page_ref, number, widgets)

    def _check_inherited(
        self, page_ref: ObjectId, number: int, old_p: PageTree, new_p: PageTree
    ) -> None:
        page = self.s.get(page_ref, self.rev)
        if not isinstance(page, generic.DictionaryObject):
            return
        before = old_p.inherited.get(page_ref, {})
        after = new_p.inherited.get(page_ref, {})
        changed = sorted(
            key
            for key in _INHERITABLE
            if key not in page and not same_value(before.get(key), after.get(key))
        )
        if changed:
            self._add(
                ChangeKind.PAGE_CONTENT_CHANGED,
                f"Page {number} inherits different attributes after signing: " + ", ".join(changed),
                f"Trang {number} kế thừa thuộc tính khác sau khi ký: " + ", ".join(changed),
                [page_ref],
            )

    def _report_page_list(self, old: list[ObjectId], new: list[ObjectId]) -> None:
        old_set, new_set = set(old), set(new)
        added = [i for i, p in enumerate(new, start=1) if p not in old_set]
        removed = [i for i, p in enumerate(old, start=1) if p not in new_set]
        if added:
            pages = ", ".join(map(str, added))
            self._add(
                ChangeKind.PAGE_ADDED,
                f"Page(s) {pages} added after signing",
                f"Trang {pages} được thêm vào sau khi ký",
                [new[i - 1] for i in added],
            )
            for i in added:
                self._explain_value(
                    generic.IndirectObject(*new[i - 1], None), ChangeKind.PAGE_ADDED, None
                )
        if removed:
            pages = ", ".join(map(str, removed))
            self._add(
                ChangeKind.PAGE_REMOVED,
                f"Page(s) {pages} removed after signing",
                f"Trang {pages} bị xóa sau khi ký",
                [old[i - 1] for i in removed],
            )
        if not added and not removed:
            self._add(
                ChangeKind.PAGES_REORDERED,
                "Pages reordered after signing",
                "Thứ tự các trang bị thay đổi sau khi ký",
            )

    def _check_page(self, page_ref: ObjectId, number: int, widgets: dict[ObjectId, _Field]) -> None:
        old_page = self.s.get(page_ref, self.old)
        new_page = self.s.get(page_ref, self.rev)
        if not isinstance(old_page, generic.DictionaryObject) or not isinstance(
            new_page, generic.DictionaryObject
        ):
            return
        annots_raw_new = new_page.raw_get("/Annots") if "/Annots" in new_page else None
        annots_raw_old = old_page.raw_get("/Annots") if "/Annots" in old_page else None
        page_changed = page_ref in self.redefined
        annots_ref = ref_of(annots_raw_new)
        if not page_changed and not self.touched(annots_ref):
            return
        if page_changed:
            self.explained.add(page_ref)
            diff = changed_keys(old_page, new_page) - _PAGE_NON_VISUAL_KEYS
            if diff:
                self._add(
                    ChangeKind.PAGE_CONTENT_CHANGED,
                    f"Page {number} changed after signing: " + ", ".join(sorted(diff)),
                    f"Trang {number} bị thay đổi sau khi ký: " + ", ".join(sorted(diff)),
                    [page_ref],
                )
        if annots_ref is not None and annots_ref in self.redefined:
            if ref_of(annots_raw_old) != annots_ref:
                return  # repurposed: residue
            self.explained.add(annots_ref)
            self._require_exclusive(
                annots_ref,
                {page_ref},
                ChangeKind.ANNOTATION_ADDED,
                f"Annotation list {annots_ref[0]} of page {number} is shared with other objects",
                f"Danh sách chú thích {annots_ref[0]} của trang {number} dùng chung với nơi khác",
                level=ModificationLevel.OTHER,
            )
        elif annots_ref is not None and annots_ref in self.added:
            self.explained.add(annots_ref)
        old_list = self.old_val(annots_raw_old)
        new_list = self.new_val(annots_raw_new)
        old_items = list(old_list) if isinstance(old_list, generic.ArrayObject) else []
        new_items = list(new_list) if isinstance(new_list, generic.ArrayObject) else []
        old_refs = [ref_of(a) for a in old_items]
        new_refs = [ref_of(a) for a in new_items]
        if None in new_refs and not all(
            any(same_value(a, b) for b in old_items) for a in new_items if ref_of(a) is None
        ):
            self._add(
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
            removed_widgets = [r for r in removed if self._is_widget(r, self.old)]
            self._add(
                ChangeKind.ANNOTATION_REMOVED,
                f"{len(removed)} annotation(s) removed from page {number}",
                f"{len(removed)} chú thích bị xóa khỏi trang {number}",
                removed,
                level=(
                    ModificationLevel.OTHER if removed_widgets else ModificationLevel.ANNOTATIONS
                ),
            )
        for r in new_refs:
            if r is None or r in old_refs:
                continue
            if r in widgets:
                if r not in self.added:
                    self._add(
                        ChangeKind.ANNOTATION_ADDED,
                        f"Existing object {r[0]} attached to page {number} as a widget",
                        f"Đối tượng {r[0]} đã có bị gắn vào trang {number} làm ô hiển thị",
                        [r],
                        level=ModificationLevel.OTHER,
                    )
                continue  # new widgets are judged with their field
            self._new_annotation(r, number)

    def _is_widget(self, ref: ObjectId, revision: int) -> bool:
        value = self.s.get(ref, revision)
        return not isinstance(value, generic.DictionaryObject) or (
            value.get("/Subtype") == "/Widget"
        )

    def _new_annotation(self, ref: ObjectId, number: int) -> None:
        annot = self.s.get(ref, self.rev)
        if ref not in self.added or not isinstance(annot, generic.DictionaryObject):
            self._add(
                ChangeKind.ANNOTATION_ADDED,
                f"Existing object {ref[0]} attached to page {number} as an annotation",
                f"Đối tượng {ref[0]} đã có bị gắn vào trang {number} làm chú thích",
                [ref],
                level=ModificationLevel.OTHER,
            )
            return
        subtype = name_of(annot.get("/Subtype")) or "?"
        self.explained.add(ref)
        self._explain_below(annot, ChangeKind.ANNOTATION_ADDED, ref)
        self._add(
            ChangeKind.ANNOTATION_ADDED,
            f"Annotation {subtype[1:]} added on page {number}",
            f"Thêm chú thích loại {subtype[1:]} trên trang {number}",
            [ref],
        )

    # -- step 5: DSS ------------------------------------------------------

    def _check_dss(
        self, old_root: generic.DictionaryObject, new_root: generic.DictionaryObject
    ) -> None:
        new_raw = new_root.raw_get("/DSS") if "/DSS" in new_root else None
        old_raw = old_root.raw_get("/DSS") if "/DSS" in old_root else None
        if new_raw is None:
            if old_raw is not None:
                self._add(
                    ChangeKind.DSS_UPDATED,
                    "Validation data (DSS) removed",
                    "Dữ liệu kiểm tra hiệu lực (DSS) bị xóa",
                    level=ModificationLevel.OTHER,
                )
            return
        old_members = self._collect(old_raw, self.old) if old_raw is not None else set()
        touched_before = len(self.explained)
        root_ref = ref_of(self.s.trailer(self.rev).raw_get("/Root"))
        self._explain_value(new_raw, ChangeKind.DSS_UPDATED, root_ref, old_members)
        dss = self.new_val(new_raw)
        if not isinstance(dss, generic.DictionaryObject):
            self._add(
                ChangeKind.DSS_UPDATED,
                "Invalid DSS",
                "DSS không hợp lệ",
                level=ModificationLevel.OTHER,
            )
            return
        if len(self.explained) > touched_before or not same_value(old_raw, new_raw):
            self._add(
                ChangeKind.DSS_UPDATED,
                "Validation data (DSS: certificates, OCSP, CRL) added",
                "Bổ sung dữ liệu kiểm tra hiệu lực (DSS: chứng thư, OCSP, CRL)",
            )

    def _collect(self, raw: object, revision: int) -> set[ObjectId]:
        seen: set[ObjectId] = set()
        stack = [(raw, 0)]
        while stack:
            value, depth = stack.pop()
            self._tick()
            if depth > _MAX_TREE_DEPTH:
                continue
            r = ref_of(value)
            if r is not None:
                if r in seen:
                    continue
                seen.add(r)
                value = self.s.get(r, revision)
            if isinstance(value, generic.StreamObject):
                continue
            if isinstance(value, generic.DictionaryObject):
                stack.extend((value.raw_get(k), depth + 1) for k in value)
            elif isinstance(value, generic.ArrayObject):
                stack.extend((v, depth + 1) for v in value)
        return seen

    # -- explanation walks -------------------------------------------------

    def _explain_container(
        self,
        ref: ObjectId | None,
        old_holder: generic.DictionaryObject | None,
        key: str,
        holder: ObjectId | None,
    ) -> None:
        if ref is None:
            return
        if ref in self.redefined:
            old_ref = ref_of(old_holder.raw_get(key)) if old_holder and key in old_holder else None
            if old_ref != ref:
                return
            self._require_exclusive(
                ref,
                {holder} if holder else set(),
                ChangeKind.FIELD_CHANGED,
                f"Form field list {ref[0]} is also used elsewhere in the document",
                f"Danh sách trường biểu mẫu {ref[0]} còn được dùng ở nơi khác trong tài liệu",
            )
        self.explained.add(ref)

    def _explain_value(
        self,
        value: object,
        kind: ChangeKind,
        holder: ObjectId | None,
        allowed_redefined: set[ObjectId] | None = None,
    ) -> None:
        ref = ref_of(value)
        if ref is not None:
            if ref in self.added or (
                allowed_redefined and ref in allowed_redefined and ref in self.redefined
            ):
                self.explained.add(ref)
                if ref in self.redefined and allowed_redefined:
                    self._require_shared_data_check(ref, allowed_redefined, holder)
                self._explain_below(self.new_val(value), kind, ref, allowed_redefined)
            return
        self._explain_below(value, kind, holder, allowed_redefined)

    def _explain_below(
        self,
        value: object,
        kind: ChangeKind,
        holder: ObjectId | None,
        allowed_redefined: set[ObjectId] | None = None,
    ) -> None:
        """Mark new objects hanging below ``value`` as part of the same change.

        Stops at objects that already existed: those keep their old meaning,
        or, if redefined, must be explained by a rule of their own.
        """
        stack: list[tuple[object, int]] = [(value, 0)]
        while stack:
            current, depth = stack.pop()
            self._tick()
            if depth > _MAX_TREE_DEPTH:
                raise DiffAnalysisError(
                    "Object nesting too deep", "Cấu trúc đối tượng lồng quá sâu"
                )
            if isinstance(current, generic.DictionaryObject):
                for key in current:
                    if key in _EXPLAIN_SKIP_KEYS:
                        continue
                    stack.append((current.raw_get(key), depth + 1))
            elif isinstance(current, generic.ArrayObject):
                stack.extend((v, depth + 1) for v in current)
            elif isinstance(current, generic.IndirectObject):
                r = (current.idnum, current.generation)
                if r in self.explained:
                    continue
                if r in self.added or (
                    allowed_redefined is not None and r in allowed_redefined and r in self.redefined
                ):
                    self.explained.add(r)
                    if r in self.redefined and allowed_redefined is not None:
                        # e.g. a DSS array that is also a page's /Contents array
                        self._require_shared_data_check(r, allowed_redefined, holder)
                    stack.append((self.s.get(r, self.rev), depth + 1))

    def _require_shared_data_check(
        self, ref: ObjectId, members: set[ObjectId], holder: ObjectId | None
    ) -> None:
        self._require_exclusive(
            ref,
            members | ({holder} if holder else set()),
            ChangeKind.OBJECT_REDEFINED,
            f"Object {ref[0]} changed as validation data although it is also used elsewhere",
            f"Đối tượng {ref[0]} được sửa như dữ liệu kiểm tra nhưng còn được dùng ở nơi khác",
        )

    def _require_exclusive(
        self,
        ref: ObjectId,
        owners: set[ObjectId],
        kind: ChangeKind,
        en: str,
        vi: str,
        level: ModificationLevel = ModificationLevel.OTHER,
    ) -> None:
        self._sharing_checks.append((ref, set(owners), kind, en, vi))

    # -- step 6: whatever no rule explained --------------------------------

    def _check_residue(self) -> None:
        if self._sharing_checks:
            self.index.advance_to(self.old)
            for ref, owners, kind, en, vi in self._sharing_checks:
                users = self.index.sources(ref) - owners - {ref}
                if users:
                    self._add(
                        kind, en, vi, [ref, *sorted(users)[:5]], level=ModificationLevel.OTHER
                    )
        if self.redefined - self.explained:
            self._check_structure()
        if self.redefined - self.explained:
            self._check_changed_annotations()
        freed = self.freed - self.explained
        if freed:
            # freeing an object nothing refers to any more changes nothing
            self.index.advance_to(self.rev)
            freed_users = self.index.sources_of(freed)
            freed = {ref for ref in freed if freed_users.get(ref, set()) - {ref}}
        unexplained = sorted((self.redefined - self.explained) | freed)
        if unexplained:
            self._report_unexplained(unexplained)
        if self.added - self.explained:
            self.index.advance_to(self.rev)
            changed = self.added | self.redefined
            all_users = self.index.sources_of(self.added - self.explained, ignore=changed)
            for ref in sorted(self.added - self.explained):
                users = all_users.get(ref, set()) - changed
                if users:
                    self._add(
                        ChangeKind.OBJECT_REDEFINED,
                        f"New object {ref[0]} fills a reference that already existed when the "
                        "document was signed",
                        f"Đối tượng mới {ref[0]} lấp vào một tham chiếu đã có từ khi ký",
                        [ref, *sorted(users)[:5]],
                    )

    def _check_changed_annotations(self) -> None:
        """Existing comments edited in place (DocMDP P=3 allows it); widgets are not here."""
        for ref in sorted(self.redefined - self.explained):
            old = self.s.get(ref, self.old)
            new = self.s.get(ref, self.rev)
            if not (
                isinstance(old, generic.DictionaryObject)
                and isinstance(new, generic.DictionaryObject)
                and not isinstance(old, generic.StreamObject | generic.StreamObject)
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
            page = self.s.get(page_ref, self.rev)
            if not isinstance(page, generic.DictionaryObject) or "/Annots" not in page:
                continue
            annots = self.new_val(page.raw_get("/Annots"))
            if not isinstance(annots, generic.ArrayObject) or ref not in {
                ref_of(a) for a in annots
            }:
                continue
            self.explained.add(ref)
            self._explain_below(new, ChangeKind.ANNOTATION_CHANGED, ref)
            subtype = name_of(new.get("/Subtype")) or "/?"
            self._add(
                ChangeKind.ANNOTATION_CHANGED,
                f"Annotation {subtype[1:]} changed",
                f"Chú thích loại {subtype[1:]} bị sửa",
                [ref],
            )

    def _check_structure(self) -> None:
        """Tagged PDFs: signing tools hang the new widgets into the structure tree."""
        old_root, new_root = self._roots()
        old_s = old_root.raw_get("/StructTreeRoot") if "/StructTreeRoot" in old_root else None
        new_s = new_root.raw_get("/StructTreeRoot") if "/StructTreeRoot" in new_root else None
        struct_ref = ref_of(new_s)
        if struct_ref is None or ref_of(old_s) != struct_ref:
            return
        tree_nodes: set[ObjectId] | None = None
        updated: list[ObjectId] = []
        for ref in sorted(self.redefined - self.explained):
            old = self.s.get(ref, self.old)
            new = self.s.get(ref, self.rev)
            if (
                not isinstance(old, generic.DictionaryObject)
                or not isinstance(new, generic.DictionaryObject)
                or isinstance(old, generic.StreamObject)
                or isinstance(new, generic.StreamObject)
            ):
                continue
            diff = changed_keys(old, new)
            if ref == struct_ref:
                allowed = _STRUCT_ROOT_KEYS
            elif _is_struct_elem(old) and _is_struct_elem(new):
                allowed = {"/K"}
                if "/K" in diff and not self._keeps_kids(old, new):
                    continue
            else:
                if tree_nodes is None:
                    old_struct = self.old_val(old_s)
                    tree_nodes = (
                        self._number_tree_nodes(old_struct.raw_get("/ParentTree"))
                        if isinstance(old_struct, generic.DictionaryObject)
                        and "/ParentTree" in old_struct
                        else set()
                    )
                if ref not in tree_nodes:
                    continue
                allowed = _NUMBER_TREE_KEYS
            if diff <= allowed:
                # new objects below (element lists, parent tree) are not walked:
                # parsing them is the cost, and the reference index still
                # catches any of them that an old object would pick up
                self.explained.add(ref)
                updated.append(ref)
        if updated:
            self._add(
                ChangeKind.STRUCTURE_UPDATED,
                "Tagged structure updated for new fields",
                "Cập nhật cấu trúc thẻ (tagged PDF) cho các trường mới",
                updated,
            )

    def _keeps_kids(self, old: generic.DictionaryObject, new: generic.DictionaryObject) -> bool:
        old_k = self.old_val(old.raw_get("/K"))
        new_k = self.new_val(new.raw_get("/K"))
        old_items = list(old_k) if isinstance(old_k, generic.ArrayObject) else [old.raw_get("/K")]
        new_items = list(new_k) if isinstance(new_k, generic.ArrayObject) else [new.raw_get("/K")]
        remaining = iter(new_items)
        return all(any(same_value(o, n) for n in remaining) for o in old_items)

    def _number_tree_nodes(self, raw: object) -> set[ObjectId]:
        nodes: set[ObjectId] = set()
        stack = [(raw, 0)]
        while stack:
            value, depth = stack.pop()
            self._tick()
            r = ref_of(value)
            if r is None or r in nodes or depth > _MAX_TREE_DEPTH:
                continue
            nodes.add(r)
            node = self.s.get(r, self.old)
            if isinstance(node, generic.DictionaryObject) and "/Kids" in node:
                kids = self.old_val(node.raw_get("/Kids"))
                if isinstance(kids, generic.ArrayObject):
                    stack.extend((k, depth + 1) for k in kids)
        return nodes

    def _report_unexplained(self, refs: list[ObjectId]) -> None:
        roles = self._old_roles()
        by_page: dict[int, list[ObjectId]] = {}
        other: list[ObjectId] = []
        for ref in refs:
            page = roles.get(ref)
            if page is not None:
                by_page.setdefault(page, []).append(ref)
            else:
                other.append(ref)
        for page, page_refs in sorted(by_page.items()):
            self._add(
                ChangeKind.PAGE_CONTENT_CHANGED,
                f"Content of page {page} changed after signing",
                f"Nội dung trang {page} bị thay đổi sau khi ký",
                page_refs,
            )
        if other:
            listed = ", ".join(str(r[0]) for r in other[:10])
            more = "…" if len(other) > 10 else ""
            self._add(
                ChangeKind.OBJECT_REDEFINED,
                f"Objects redefined after signing: {listed}{more}",
                f"Các đối tượng bị định nghĩa lại sau khi ký: {listed}{more}",
                other,
            )

    def _old_roles(self) -> dict[ObjectId, int]:
        """Page number of objects the old pages draw with (contents, resources, XObjects)."""
        roles: dict[ObjectId, int] = {}
        old_root = self.old_val(self.s.trailer(self.old).raw_get("/Root"))
        if not isinstance(old_root, generic.DictionaryObject):
            return roles
        for number, page_ref in enumerate(self.pages_of(old_root, self.old).pages, start=1):
            page = self.s.get(page_ref, self.old)
            if not isinstance(page, generic.DictionaryObject):
                continue
            for key in ("/Contents", "/Resources"):
                if key not in page:
                    continue
                for r in self._shallow_refs(page.raw_get(key), depth=3):
                    roles.setdefault(r, number)
        return roles

    def _shallow_refs(self, raw: object, depth: int) -> set[ObjectId]:
        found: set[ObjectId] = set()
        stack = [(raw, 0)]
        while stack:
            value, d = stack.pop()
            self._tick()
            r = ref_of(value)
            if r is not None:
                if r in found:
                    continue
                found.add(r)
                value = self.s.get(r, self.old)
            if d >= depth or isinstance(value, generic.StreamObject):
                continue
            if isinstance(value, generic.DictionaryObject):
                stack.extend((value.raw_get(k), d + 1) for k in value)
            elif isinstance(value, generic.ArrayObject):
                stack.extend((v, d + 1) for v in value)
        return found
