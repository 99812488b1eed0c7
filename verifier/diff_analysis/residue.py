"""The deny-by-default residue: whatever no rule explained.

After every rule has run, three kinds of object are left:

* redefined objects no rule explained: OTHER. Those an old page draws with (contents,
  resources, XObjects) are reported as that page's content changing, the rest by number;
* freed objects something still refers to: OTHER (freeing an unreferenced object changes
  nothing);
* new object numbers no rule explained: harmless unless an object of the signed revision
  already referred to that number (a dangling reference filled in after signing), then OTHER.
"""

from __future__ import annotations

from pyhanko.pdf_utils import generic

from kyso.pdf.revisions import ObjectId
from kyso.pdf.values import ref_of
from verifier.diff_analysis.context import RevisionContext
from verifier.diff_analysis.model import ChangeKind


def report_residue(ctx: RevisionContext) -> None:
    """Report what no rule explained in ``ctx`` (see the module docstring)."""
    freed = ctx.freed - ctx.explained
    if freed:
        # freeing an object nothing refers to any more changes nothing
        ctx.index.advance_to(ctx.rev)
        freed_users = ctx.index.sources_of(freed)
        freed = {ref for ref in freed if freed_users.get(ref, set()) - {ref}}
    unexplained = sorted(ctx.unexplained() | freed)
    if unexplained:
        _report_unexplained(ctx, unexplained)
    if ctx.added - ctx.explained:
        ctx.index.advance_to(ctx.rev)
        changed = ctx.added | ctx.redefined
        all_users = ctx.index.sources_of(ctx.added - ctx.explained, ignore=changed)
        for ref in sorted(ctx.added - ctx.explained):
            users = all_users.get(ref, set()) - changed
            if users:
                ctx.add(
                    ChangeKind.OBJECT_REDEFINED,
                    f"New object {ref[0]} fills a reference that already existed when the "
                    "document was signed",
                    f"Đối tượng mới {ref[0]} lấp vào một tham chiếu đã có từ khi ký",
                    [ref, *sorted(users)[:5]],
                )


def _report_unexplained(ctx: RevisionContext, refs: list[ObjectId]) -> None:
    roles = _old_roles(ctx)
    by_page: dict[int, list[ObjectId]] = {}
    other: list[ObjectId] = []
    for ref in refs:
        page = roles.get(ref)
        if page is not None:
            by_page.setdefault(page, []).append(ref)
        else:
            other.append(ref)
    for page, page_refs in sorted(by_page.items()):
        ctx.add(
            ChangeKind.PAGE_CONTENT_CHANGED,
            f"Content of page {page} changed after signing",
            f"Nội dung trang {page} bị thay đổi sau khi ký",
            page_refs,
            page=page,
        )
    if other:
        listed = ", ".join(str(r[0]) for r in other[:10])
        more = "…" if len(other) > 10 else ""
        ctx.add(
            ChangeKind.OBJECT_REDEFINED,
            f"Objects redefined after signing: {listed}{more}",
            f"Các đối tượng bị định nghĩa lại sau khi ký: {listed}{more}",
            other,
        )


def _old_roles(ctx: RevisionContext) -> dict[ObjectId, int]:
    """Page number of objects the old pages draw with (contents, resources, XObjects)."""
    roles: dict[ObjectId, int] = {}
    old_root = ctx.old_val(ctx.store.trailer(ctx.old).raw_get("/Root"))
    if not isinstance(old_root, generic.DictionaryObject):
        return roles
    for number, page_ref in enumerate(ctx.pages_of(old_root, ctx.old).pages, start=1):
        page = ctx.store.get(page_ref, ctx.old)
        if not isinstance(page, generic.DictionaryObject):
            continue
        for key in ("/Contents", "/Resources"):
            if key not in page:
                continue
            for r in _shallow_refs(ctx, page.raw_get(key), depth=3):
                roles.setdefault(r, number)
    return roles


def _shallow_refs(ctx: RevisionContext, raw: object, depth: int) -> set[ObjectId]:
    found: set[ObjectId] = set()
    stack = [(raw, 0)]
    while stack:
        value, d = stack.pop()
        ctx.tick()
        r = ref_of(value)
        if r is not None:
            if r in found:
                continue
            found.add(r)
            value = ctx.store.get(r, ctx.old)
        if d >= depth or isinstance(value, generic.StreamObject):
            continue
        if isinstance(value, generic.DictionaryObject):
            stack.extend((value.raw_get(k), d + 1) for k in value)
        elif isinstance(value, generic.ArrayObject):
            stack.extend((v, d + 1) for v in value)
    return found


__all__ = ["report_residue"]
