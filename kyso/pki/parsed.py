"""asn1crypto values made safe to share between request threads.

asn1crypto parses lazily: a child is decoded the first time it is read, and
``_parse_children`` fills a value's ``children`` list in place. Two threads reading the same
fresh value can meet a half-filled list (``KeyError: No field numbered 1`` in NameTypeAndValue,
seen under concurrent first signatures). Once every lazy parse has been done, readers only
read; what asn1crypto still memoises later (names' hashable forms) is a single assignment of
a value every thread computes alike. So a value parsed once, walked through
here before anyone else can see it, can be shared, and what each request memoises on it
(name hashes, ~2 ms per OCSP response) serves the next request too.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import core

_CONTAINERS = (core.Sequence, core.SequenceOf)
_WRAPPERS = (core.ParsableOctetString, core.ParsableOctetBitString, core.Any)


def materialise(value: Any, *, with_native: bool = True) -> Any:
    """Do every lazy parse inside ``value`` now (iteratively: no recursion limit); return it.

    ``with_native``: also fill ``native`` (a dict per structure, kept for the value's life);
    leave it False for large values read entry by entry (a CRL), whose readers do not ask for
    the whole value's ``native``.

    Parts that are not valid DER for their declared type stay unparsed; reading them later
    raises as before, in the reader's thread. Octet strings whose content type only the
    reader knows (no spec from the parent) are not parsed here. Cost: one pass over the
    structure, linear in its size.
    """
    stack = [value]
    while stack:
        node = stack.pop()
        try:
            if isinstance(node, _CONTAINERS):
                stack.extend(node[i] for i in range(len(node)))
            elif isinstance(node, core.Choice):
                stack.append(node.chosen)
            elif isinstance(node, _WRAPPERS) and node._parsed is not None:
                # parsed with the spec its parent named (asn1crypto does it at build time);
                # one never parsed is left alone: a generic parse here would race a reader's
                # later parse(spec)
                stack.append(node._parsed[0])
        except (ValueError, TypeError, KeyError):
            continue
    # ``native`` fills a dict in place (``_native = {}``, then one key per child): a second
    # reader meanwhile sees it half-filled. Filled once here, it is only read afterwards.
    if with_native:
        try:
            value.native  # noqa: B018
        except (ValueError, TypeError, KeyError):
            pass
    return value


def is_materialised(value: Any) -> bool:
    """Whether no lazy parse is left inside ``value`` (the property :func:`materialise` gives)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, _CONTAINERS):
            if node.children is None or any(type(c) is tuple for c in node.children):
                return False
            stack.extend(node.children)
        elif isinstance(node, core.Choice):
            if node._parsed is None:
                return False
            stack.append(node._parsed)
        elif isinstance(node, _WRAPPERS) and node._parsed is not None:
            stack.append(node._parsed[0])
    return True


__all__ = ["is_materialised", "materialise"]
