"""Structure tree rule: tagged PDFs (ISO 32000-2 14.7) updated for new widgets.

Signing tools that keep a document tagged hang each new signature widget into the structure
tree: the StructTreeRoot's parent tree and next key change, a structure element gains a kid,
parent-tree number-tree nodes gain entries. Nothing drawn changes, so this is FORM_FILLING.
The rule runs on what the other rules left over, and only on objects that were already part of
the signed tree; an element that loses or reorders kids is not explained here.
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic

from kyso.pdf.revisions import ObjectId
from kyso.pdf.values import changed_keys, ref_of, same_value
from verifier.diff_analysis.allowances import NUMBER_TREE_KEYS, STRUCT_ELEM_KEYS, STRUCT_ROOT_KEYS
from verifier.diff_analysis.context import MAX_TREE_DEPTH, RevisionContext
from verifier.diff_analysis.model import ChangeKind


def _is_struct_elem(value: generic.DictionaryObject) -> bool:
    return value.get("/Type") == "/StructElem" or ("/S" in value and "/P" in value)


class StructureTreeRule:
    """StructTreeRoot, structure elements and parent-tree nodes changed in place."""

    def apply(self, ctx: RevisionContext) -> None:
        if not ctx.unexplained():
            return
        old_root, new_root = ctx.roots()
        old_s = old_root.raw_get("/StructTreeRoot") if "/StructTreeRoot" in old_root else None
        new_s = new_root.raw_get("/StructTreeRoot") if "/StructTreeRoot" in new_root else None
        struct_ref = ref_of(new_s)
        if struct_ref is None or ref_of(old_s) != struct_ref:
            return
        tree_nodes: set[ObjectId] | None = None
        updated: list[ObjectId] = []
        for ref in sorted(ctx.unexplained()):
            old = ctx.store.get(ref, ctx.old)
            new = ctx.store.get(ref, ctx.rev)
            if (
                not isinstance(old, generic.DictionaryObject)
                or not isinstance(new, generic.DictionaryObject)
                or isinstance(old, generic.StreamObject)
                or isinstance(new, generic.StreamObject)
            ):
                continue
            diff = changed_keys(old, new)
            if ref == struct_ref:
                allowed = STRUCT_ROOT_KEYS
            elif _is_struct_elem(old) and _is_struct_elem(new):
                allowed = STRUCT_ELEM_KEYS
                if "/K" in diff and not _keeps_kids(ctx, old, new):
                    continue
            else:
                if tree_nodes is None:
                    old_struct = ctx.old_val(old_s)
                    tree_nodes = (
                        _number_tree_nodes(ctx, old_struct.raw_get("/ParentTree"))
                        if isinstance(old_struct, generic.DictionaryObject)
                        and "/ParentTree" in old_struct
                        else set()
                    )
                if ref not in tree_nodes:
                    continue
                allowed = NUMBER_TREE_KEYS
            if diff <= allowed:
                # new objects below (element lists, parent tree) are not walked:
                # parsing them is the cost, and the reference index still
                # catches any of them that an old object would pick up
                ctx.explained.add(ref)
                updated.append(ref)
        if updated:
            ctx.add(
                ChangeKind.STRUCTURE_UPDATED,
                "Tagged structure updated for new fields",
                "Cập nhật cấu trúc thẻ (tagged PDF) cho các trường mới",
                updated,
            )


def _keeps_kids(
    ctx: RevisionContext, old: generic.DictionaryObject, new: generic.DictionaryObject
) -> bool:
    """Whether every old kid of a structure element is still there, in order (others added)."""
    old_k = ctx.old_val(old.raw_get("/K"))
    new_k = ctx.new_val(new.raw_get("/K"))
    old_items = list(old_k) if isinstance(old_k, generic.ArrayObject) else [old.raw_get("/K")]
    new_items = list(new_k) if isinstance(new_k, generic.ArrayObject) else [new.raw_get("/K")]
    remaining = iter(new_items)
    return all(any(same_value(o, n) for n in remaining) for o in old_items)


def _number_tree_nodes(ctx: RevisionContext, raw: object) -> set[ObjectId]:
    """The node objects of the signed revision's parent tree (bounded walk)."""
    nodes: set[ObjectId] = set()
    stack = [(raw, 0)]
    while stack:
        value, depth = stack.pop()
        ctx.tick()
        r = ref_of(value)
        if r is None or r in nodes or depth > MAX_TREE_DEPTH:
            continue
        nodes.add(r)
        node = ctx.store.get(r, ctx.old)
        if isinstance(node, generic.DictionaryObject) and "/Kids" in node:
            kids = ctx.old_val(node.raw_get("/Kids"))
            if isinstance(kids, generic.ArrayObject):
                stack.extend((k, depth + 1) for k in kids)
    return nodes


__all__ = ["StructureTreeRule"]
