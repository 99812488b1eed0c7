"""What every rule shares while one revision is classified: the changed objects and the verdicts.

A revision is compared with the one before it. Its xref section names the objects it
(re)defines or frees; :meth:`RevisionContext.collect_changed_objects` sorts them into *added*
(a new object number), *redefined* (an old number with a different value) and *freed*. Rules
then mark objects *explained* (they hang where such an object may legitimately hang) and
:meth:`RevisionContext.add` the changes they find; whatever stays unexplained is the residue's
(deny by default).

Two checks need the whole file, not a local view, and are deferred to
:meth:`RevisionContext.settle_sharing`: an object overwritten in place must not be used by
anything else (pyHanko's "sneaky" appearance case), asked of the byte-level reference index
once per revision.

Every walk is bounded: ``MAX_NODES`` objects visited per revision and ``MAX_TREE_DEPTH``
levels of nesting, past which :class:`DiffAnalysisError` (hostile structure) is raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pyhanko.pdf_utils import generic

from kyso.pdf.references import ReferenceIndex
from kyso.pdf.revisions import ObjectId, RevisionStore
from kyso.pdf.values import changed_keys, ref_of, same_value
from verifier.diff_analysis.allowances import (
    ANNOTATION_FLAGS_NOT_SHOWN,
    EXPLAIN_SKIP_KEYS,
    FONT_IGNORED_KEYS,
    INHERITABLE,
)
from verifier.diff_analysis.allowances import KIND_LEVEL as _KIND_LEVEL
from verifier.diff_analysis.model import (
    Change,
    ChangeKind,
    DiffAnalysisError,
    ModificationLevel,
    Rect,
    Region,
)

MAX_NODES = 500_000
MAX_FIELD_DEPTH = 32
MAX_TREE_DEPTH = 64


@dataclass
class FieldChange:
    """A field whose value changed in a revision (for FieldMDP locks)."""

    name: str
    is_signature: bool


@dataclass
class RevisionChanges:
    """What one revision changed, relative to the one before it."""

    revision: int
    changes: list[Change] = field(default_factory=list)
    filled_fields: list[FieldChange] = field(default_factory=list)

    @property
    def level(self) -> ModificationLevel:
        return max((c.level for c in self.changes), default=ModificationLevel.NONE)


@dataclass
class FormField:
    """A terminal form field of one revision: its dictionary and its widget annotations."""

    ref: ObjectId | None
    name: str
    field_type: str | None
    value: generic.DictionaryObject
    widgets: list[ObjectId]


@dataclass
class PageTree:
    """The leaf pages of one revision in document order, and the intermediate nodes."""

    pages: list[ObjectId]
    nodes: dict[ObjectId, generic.DictionaryObject]
    # what each page inherits from its ancestors (raw values), for the keys
    # ISO 32000 makes inheritable: a new intermediate node can change them
    inherited: dict[ObjectId, dict[str, object]] = field(default_factory=dict)


def kind_level(kind: ChangeKind) -> ModificationLevel:
    """The level of a kind of change (``allowances.KIND_LEVEL``); unlisted kinds are OTHER."""
    return _KIND_LEVEL.get(kind, ModificationLevel.OTHER)


def shown_rect(annot: object) -> Rect | None:
    """The normalised /Rect of an annotation that shows (an area, not Hidden or NoView)."""
    if not isinstance(annot, generic.DictionaryObject) or "/Rect" not in annot:
        return None
    try:
        flags = int(annot.get("/F", 0))
        rect = annot.get("/Rect")
        if not isinstance(rect, generic.ArrayObject) or len(rect) != 4:
            return None
        a, b, c, d = (float(v) for v in rect)
    except (TypeError, ValueError):
        return None
    if flags & ANNOTATION_FLAGS_NOT_SHOWN or a == c or b == d:
        return None
    return (min(a, c), min(b, d), max(a, c), max(b, d))


def _equivalent_font(old: object, new: object) -> bool:
    """Font dictionaries differing only in the obsolete /Name entry (rewritten by iText)."""
    if not isinstance(old, generic.DictionaryObject) or not isinstance(
        new, generic.DictionaryObject
    ):
        return False
    if isinstance(old, generic.StreamObject) or old.get("/Type") != "/Font":
        return False
    return changed_keys(old, new) <= FONT_IGNORED_KEYS


class RevisionContext:
    """The objects one revision touched, what the rules explained, and what they reported."""

    def __init__(
        self,
        store: RevisionStore,
        index: ReferenceIndex,
        revision: int,
        pages_cache: dict[int, PageTree],
    ) -> None:
        self.store = store
        self.index = index
        self.rev = revision
        self.old = revision - 1
        self.result = RevisionChanges(revision)
        self.added: set[ObjectId] = set()
        self.redefined: set[ObjectId] = set()
        self.freed: set[ObjectId] = set()
        self.explained: set[ObjectId] = set()
        #: the new revision's widgets by reference, left by the form rule for the page rule
        self.new_widgets: dict[ObjectId, FormField] = {}
        self._pages_cache = pages_cache
        self._sharing_checks: list[tuple[ObjectId, set[ObjectId], ChangeKind, str, str]] = []
        self._budget = MAX_NODES
        self._roots: tuple[generic.DictionaryObject, generic.DictionaryObject] | None = None
        self._annotation_pages: dict[ObjectId, int] | None = None

    # -- the changed objects ---------------------------------------------------------------

    def collect_changed_objects(self) -> None:
        """Sort what the xref section names into added, redefined and freed objects.

        Objects rewritten with an unchanged value are no change; an old object overwritten by
        an object or xref stream, or a body that cannot be read, is OBJECT_REDEFINED at once.
        """
        containers = self.store.container_refs(self.rev)
        for ref in self.store.changed_refs(self.rev):
            existed = self.store.exists(ref, self.old)
            if ref in containers:
                if existed:
                    old = self.store.get(ref, self.old)
                    if not (isinstance(old, generic.StreamObject) and old.get("/Type") == "/XRef"):
                        self.add(
                            ChangeKind.OBJECT_REDEFINED,
                            f"Object {ref[0]} was overwritten by an object or xref stream",
                            f"Đối tượng {ref[0]} bị ghi đè bởi luồng đối tượng sau khi ký",
                            [ref],
                        )
                continue
            exists_now = self.store.exists(ref, self.rev)
            if exists_now and not self.store.readable(ref, self.rev):
                self.add(
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
            if self.store.same_body(ref, self.old, self.rev):
                continue
            old_value, new_value = self.store.get(ref, self.old), self.store.get(ref, self.rev)
            if same_value(old_value, new_value) or _equivalent_font(old_value, new_value):
                continue
            self.redefined.add(ref)

    def touched(self, ref: ObjectId | None) -> bool:
        """Whether this revision added or redefined ``ref``."""
        return ref is not None and (ref in self.added or ref in self.redefined)

    def is_new(self, ref: ObjectId | None) -> bool:
        """Whether ``ref`` is a new object number of this revision."""
        return ref is not None and ref in self.added

    def unexplained(self) -> set[ObjectId]:
        """Redefined objects no rule has explained yet."""
        return self.redefined - self.explained

    # -- reporting -------------------------------------------------------------------------

    def add(
        self,
        kind: ChangeKind,
        en: str,
        vi: str,
        objects: Iterable[ObjectId] = (),
        level: ModificationLevel | None = None,
        page: int | None = None,
        regions: Iterable[Region] = (),
    ) -> None:
        """Report a change; the objects it names are accounted for (no second report).

        ``page``: the 1-based page it is on (default: the page whose /Annots lists one of
        ``objects`` in this revision); ``regions``: signature widgets it puts on pages.
        """
        objects = tuple(objects)
        self.explained.update(objects)
        if page is None:
            pages = self.annotation_pages()
            page = next((pages[o] for o in objects if o in pages), None)
        self.result.changes.append(
            Change(
                revision=self.rev,
                kind=kind,
                level=level if level is not None else kind_level(kind),
                description_en=en,
                description_vi=vi,
                objects=tuple(sorted(objects)),
                page=page,
                regions=tuple(regions),
            )
        )

    def annotation_pages(self) -> dict[ObjectId, int]:
        """Page objects, and the annotations (and widgets) their /Annots list, in this
        revision -> the 1-based page number."""
        if self._annotation_pages is None:
            found: dict[ObjectId, int] = {}
            try:
                _old, root = self.roots()
                pages = self.pages_of(root, self.rev).pages
            except DiffAnalysisError:
                pages = []
            for number, page_ref in enumerate(pages, start=1):
                found.setdefault(page_ref, number)
                page = self.store.get(page_ref, self.rev)
                if not isinstance(page, generic.DictionaryObject) or "/Annots" not in page:
                    continue
                annots = self.new_val(page.raw_get("/Annots"))
                if isinstance(annots, generic.ArrayObject):
                    for raw in annots:
                        self.tick()
                        r = ref_of(raw)
                        if r is not None:
                            found.setdefault(r, number)
            self._annotation_pages = found
        return self._annotation_pages

    def tick(self) -> None:
        """Count one visited node against the revision's budget (hostile sizes raise)."""
        self._budget -= 1
        if self._budget < 0:
            raise DiffAnalysisError(
                "CHANGE_ANALYSIS_FAILED", problem="document structure too large to analyse"
            )

    # -- value access ----------------------------------------------------------------------

    def old_val(self, value: object) -> generic.PdfObject | None:
        """``value`` with references followed in the previous revision."""
        return self.store.resolve(value, self.old)  # type: ignore[arg-type]

    def new_val(self, value: object) -> generic.PdfObject | None:
        """``value`` with references followed in this revision."""
        return self.store.resolve(value, self.rev)  # type: ignore[arg-type]

    @property
    def root_ref(self) -> ObjectId | None:
        """The catalogue's reference in this revision."""
        return ref_of(self.store.trailer(self.rev).raw_get("/Root"))

    def roots(self) -> tuple[generic.DictionaryObject, generic.DictionaryObject]:
        """The previous and the new catalogue; raises when either cannot be read."""
        if self._roots is None:
            old_root = self.old_val(self.store.trailer(self.old).raw_get("/Root"))
            new_root = self.new_val(self.store.trailer(self.rev).raw_get("/Root"))
            if not isinstance(old_root, generic.DictionaryObject) or not isinstance(
                new_root, generic.DictionaryObject
            ):
                raise DiffAnalysisError(
                    "CHANGE_ANALYSIS_FAILED", problem="the document catalog cannot be read"
                )
            self._roots = (old_root, new_root)
        return self._roots

    def pages_of(self, root: generic.DictionaryObject, revision: int) -> PageTree:
        """The page tree of ``revision`` (cached per document; a cycle is hostile)."""
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
            self.tick()
            ref = ref_of(raw)
            if ref is None or depth > MAX_TREE_DEPTH:
                continue
            if ref in seen:
                raise DiffAnalysisError(
                    "CHANGE_ANALYSIS_FAILED", problem="the page tree contains a cycle"
                )
            seen.add(ref)
            node = self.store.get(ref, revision)
            if not isinstance(node, generic.DictionaryObject):
                continue
            if node.get("/Type") == "/Pages" or "/Kids" in node:
                nodes[ref] = node
                passed = dict(from_above)
                passed.update({k: node.raw_get(k) for k in INHERITABLE if k in node})
                kids = (
                    self.store.resolve(node.raw_get("/Kids"), revision) if "/Kids" in node else None
                )
                if isinstance(kids, generic.ArrayObject):
                    for kid in reversed(list(kids)):
                        stack.append((kid, depth + 1, passed))
            else:
                pages.append(ref)
                inherited[ref] = from_above
        result = PageTree(pages, nodes, inherited)
        self._pages_cache[revision] = result
        return result

    # -- explanation walks -----------------------------------------------------------------

    def explain_value(
        self,
        value: object,
        kind: ChangeKind,
        holder: ObjectId | None,
        allowed_redefined: set[ObjectId] | None = None,
    ) -> None:
        """Explain ``value`` (if it is a new object) and the new objects below it."""
        ref = ref_of(value)
        if ref is not None:
            if ref in self.added or (
                allowed_redefined and ref in allowed_redefined and ref in self.redefined
            ):
                self.explained.add(ref)
                if ref in self.redefined and allowed_redefined:
                    self.require_shared_data_check(ref, allowed_redefined, holder)
                self.explain_below(self.new_val(value), kind, ref, allowed_redefined)
            return
        self.explain_below(value, kind, holder, allowed_redefined)

    def explain_below(
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
            self.tick()
            if depth > MAX_TREE_DEPTH:
                raise DiffAnalysisError("CHANGE_ANALYSIS_FAILED", problem="object nesting too deep")
            if isinstance(current, generic.DictionaryObject):
                for key in current:
                    if key in EXPLAIN_SKIP_KEYS:
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
                        self.require_shared_data_check(r, allowed_redefined, holder)
                    stack.append((self.store.get(r, self.rev), depth + 1))

    # -- sharing checks --------------------------------------------------------------------

    def require_shared_data_check(
        self, ref: ObjectId, members: set[ObjectId], holder: ObjectId | None
    ) -> None:
        """Validation data changed in place must not be used outside the data itself."""
        self.require_exclusive(
            ref,
            members | ({holder} if holder else set()),
            ChangeKind.OBJECT_REDEFINED,
            f"Object {ref[0]} changed as validation data although it is also used elsewhere",
            f"Đối tượng {ref[0]} được sửa như dữ liệu kiểm tra nhưng còn được dùng ở nơi khác",
        )

    def require_exclusive(
        self, ref: ObjectId, owners: set[ObjectId], kind: ChangeKind, en: str, vi: str
    ) -> None:
        """Report ``kind`` as OTHER if anything but ``owners`` used ``ref`` when it was signed.

        Deferred to :meth:`settle_sharing`: one pass of the reference index per revision.
        """
        self._sharing_checks.append((ref, set(owners), kind, en, vi))

    def settle_sharing(self) -> None:
        """Run the deferred sharing checks against the previous revision's references."""
        if not self._sharing_checks:
            return
        self.index.advance_to(self.old)
        for ref, owners, kind, en, vi in self._sharing_checks:
            users = self.index.sources(ref) - owners - {ref}
            if users:
                self.add(kind, en, vi, [ref, *sorted(users)[:5]], level=ModificationLevel.OTHER)


__all__ = [
    "MAX_FIELD_DEPTH",
    "MAX_NODES",
    "MAX_TREE_DEPTH",
    "FieldChange",
    "FormField",
    "PageTree",
    "RevisionChanges",
    "RevisionContext",
    "kind_level",
    "shown_rect",
]
