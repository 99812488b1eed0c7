"""DocMDP (certification) and FieldMDP (field lock) permissions of a signed revision."""

from __future__ import annotations

from dataclasses import dataclass

from pyhanko.pdf_utils import generic

from kyso.pdf.revisions import RevisionStore
from kyso.pdf.values import name_of, text_of
from verifier.diff_analysis.model import ModificationLevel

# What each DocMDP /P value still allows (ISO 32000-2 12.8.2.2; DSS and document
# timestamps stay allowed at P=1, as PAdES/ISO 32000-2 require for LTV).
DOCMDP_ALLOWS = {
    1: ModificationLevel.LTA_UPDATES,
    2: ModificationLevel.FORM_FILLING,
    3: ModificationLevel.ANNOTATIONS,
}


@dataclass(frozen=True)
class FieldLock:
    """FieldMDP: which fields a signature locks (/Action /All, /Include or /Exclude)."""

    action: str
    fields: tuple[str, ...] = ()

    def locks(self, name: str) -> bool:
        listed = any(name == f or name.startswith(f + ".") for f in self.fields)
        if self.action == "/All":
            return True
        if self.action == "/Include":
            return listed
        if self.action == "/Exclude":
            return not listed
        return True  # unknown action: deny by default


def _transform_params(
    sig: generic.DictionaryObject, method: str, store: RevisionStore, revision: int
) -> list[generic.DictionaryObject]:
    refs = store.resolve(sig.raw_get("/Reference"), revision) if "/Reference" in sig else None
    result = []
    if isinstance(refs, generic.ArrayObject):
        for i in range(min(len(refs), 16)):
            ref_dict = store.resolve(refs.raw_get(i), revision)
            if not isinstance(ref_dict, generic.DictionaryObject):
                continue
            if ref_dict.get("/TransformMethod") != method:
                continue
            params = (
                store.resolve(ref_dict.raw_get("/TransformParams"), revision)
                if "/TransformParams" in ref_dict
                else None
            )
            result.append(
                params
                if isinstance(params, generic.DictionaryObject)
                else generic.DictionaryObject()
            )
    return result


def docmdp_permission(store: RevisionStore, revision: int) -> int | None:
    """The certification level in force at ``revision`` (None: not certified)."""
    trailer = store.trailer(revision)
    root = store.resolve(trailer.raw_get("/Root"), revision) if "/Root" in trailer else None
    if not isinstance(root, generic.DictionaryObject) or "/Perms" not in root:
        return None
    perms = store.resolve(root.raw_get("/Perms"), revision)
    if not isinstance(perms, generic.DictionaryObject) or "/DocMDP" not in perms:
        return None
    sig = store.resolve(perms.raw_get("/DocMDP"), revision)
    if not isinstance(sig, generic.DictionaryObject):
        return None
    for params in _transform_params(sig, "/DocMDP", store, revision):
        p = params.get("/P", 2)
        try:
            value = int(p)
        except (TypeError, ValueError):
            return 1
        return value if value in DOCMDP_ALLOWS else 1
    return 2  # /Perms /DocMDP without transform parameters: the default P=2


def field_locks(store: RevisionStore, revision: int) -> list[FieldLock]:
    """Locks of every signature already present in ``revision``."""
    trailer = store.trailer(revision)
    root = store.resolve(trailer.raw_get("/Root"), revision) if "/Root" in trailer else None
    if not isinstance(root, generic.DictionaryObject) or "/AcroForm" not in root:
        return []
    form = store.resolve(root.raw_get("/AcroForm"), revision)
    if not isinstance(form, generic.DictionaryObject) or "/Fields" not in form:
        return []
    locks: list[FieldLock] = []
    stack = [(form.raw_get("/Fields"), 0)]
    seen: set[tuple[int, int]] = set()
    while stack:
        raw, depth = stack.pop()
        if depth > 32 or len(seen) > 100_000:
            break
        if isinstance(raw, generic.IndirectObject):
            key = (raw.idnum, raw.generation)
            if key in seen:
                continue
            seen.add(key)
        value = store.resolve(raw, revision)
        if isinstance(value, generic.ArrayObject):
            stack.extend((v, depth + 1) for v in value)
            continue
        if not isinstance(value, generic.DictionaryObject):
            continue
        if "/Kids" in value:
            stack.append((value.raw_get("/Kids"), depth + 1))
        sig = store.resolve(value.raw_get("/V"), revision) if "/V" in value else None
        if name_of(value.get("/FT")) != "/Sig" or not isinstance(sig, generic.DictionaryObject):
            continue
        for params in _transform_params(sig, "/FieldMDP", store, revision):
            locks.append(_lock_from(params, store, revision))
        if "/Lock" in value:
            lock = store.resolve(value.raw_get("/Lock"), revision)
            if isinstance(lock, generic.DictionaryObject):
                locks.append(_lock_from(lock, store, revision))
    return locks


def _lock_from(params: generic.DictionaryObject, store: RevisionStore, revision: int) -> FieldLock:
    action = name_of(params.get("/Action")) or "/All"
    names = store.resolve(params.raw_get("/Fields"), revision) if "/Fields" in params else None
    fields: list[str] = []
    if isinstance(names, generic.ArrayObject):
        for i in range(min(len(names), 10_000)):
            text = text_of(store.resolve(names.raw_get(i), revision))
            if text is not None:
                fields.append(text)
    return FieldLock(action, tuple(fields))
