"""Who refers to whom, per revision, without parsing every object.

Two checks need to know every place an object is used: an object redefined
after signing must not be shared with content the new value would silently
change (pyHanko's "sneaky appearance stream" case), and a new object number
must not fill a reference that was dangling when the document was signed.
Parsing all objects to find that out is what makes a full graph diff slow, so
this index scans raw bytes with a pattern that finds a *superset* of the
indirect references: every real ``N G R`` matches (numbers are read without
leading zeros), and so may a few look-alikes inside strings or stream data. A
false match can only make the analysis stricter, never hide a reference.

The scan is coarse first: one set of referenced keys per top-level object and
one per object stream, built with a single C-level ``findall`` each and cached
by location, so revisions share it. Only an object stream that does contain a
queried key is split into its member objects.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.xref import ObjStreamRef, XRefSectionData

from kyso.pdf.revisions import ObjectId, RevisionStore
from kyso.pdf.values import PdfStructureError

# possessive: whitespace/comment runs never backtrack (hostile input stays linear)
_SEP = rb"(?:[\x00\t\n\x0c\r ]|%[^\r\n]*+[\r\n])++"
_REF = re.compile(
    rb"(?<![0-9])0*([0-9]{1,10})"
    + _SEP
    + rb"0*([0-9]{1,5})"
    + _SEP
    + rb"R(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])"
)
_MAX_LIVE_OBJECTS = 2_000_000
_PARSE_ABOVE = 1024  # bytes: from here parsing a stream's dictionary beats scanning its data
_MAX_DEPTH = 64

_Location = int | ObjStreamRef
_Key = tuple[bytes, bytes]


def _key(ref: ObjectId) -> _Key:
    return (str(ref[0]).encode(), str(ref[1]).encode())


def _section_entries(data: XRefSectionData) -> Iterable[tuple[int, int, _Location | None]]:
    if data.hybrid is not None:
        yield from _section_entries(data.hybrid.xref_data)
    for idnum, (gen, offset) in data.standard_xrefs.items():
        yield idnum, gen, offset
    for idnum, loc in data.xrefs_in_objstm.items():
        yield idnum, 0, loc
    for idnum, next_gen in data.freed.items():
        yield idnum, max(next_gen - 1, 0), None


class ReferenceIndex:
    """Which live objects of one revision may refer to a given object."""

    def __init__(self, store: RevisionStore) -> None:
        self._store = store
        self._file = self._read_file()
        self._offsets = self._all_offsets()
        self._direct_keys: dict[int, frozenset[_Key]] = {}
        self._stream_keys: dict[int, frozenset[_Key]] = {}
        self._stream_members: dict[int, dict[int, frozenset[_Key]]] = {}
        self.revision = -1
        self._live: dict[int, tuple[ObjectId, _Location | None]] = {}
        self._containers: set[ObjectId] = set()
        self._live_revision = -1
        self._live_direct: dict[ObjectId, int] = {}  # top-level objects: ref -> offset
        self._by_stream: dict[int, dict[int, ObjectId]] = {}  # object stream number -> members
        self._live_streams: dict[int, tuple[int, dict[int, ObjectId]]] = {}

    def advance_to(self, revision: int) -> None:
        """Describe ``revision`` from now on (the raw scans are cached across revisions).

        The live-object map is kept incrementally: moving forward applies only the
        entries of the sections in between, so walking the revisions of a document
        costs one pass over its xref entries, not one per revision.
        """
        if revision == self.revision:
            return
        if revision < self._live_revision:
            self._live, self._containers, self._live_revision = {}, set(), -1
            self._live_direct, self._by_stream = {}, {}
        live, containers = self._live, self._containers
        direct, by_stream = self._live_direct, self._by_stream
        for rev in range(self._live_revision + 1, revision + 1):
            for idnum, gen, loc in _section_entries(self._store.xrefs.get_xref_data(rev)):
                previous = live.get(idnum)
                if previous is not None:
                    old_ref, old_loc = previous
                    if isinstance(old_loc, int):
                        direct.pop(old_ref, None)
                    elif old_loc is not None:
                        by_stream.get(old_loc.obj_stream_id, {}).pop(idnum, None)
                ref = (idnum, gen)
                live[idnum] = (ref, loc)
                if isinstance(loc, int):
                    if ref not in containers:
                        direct[ref] = loc
                elif loc is not None:
                    by_stream.setdefault(loc.obj_stream_id, {})[idnum] = ref
            for ref in self._store.container_refs(rev):
                # storage, not content: never a user of anything
                containers.add(ref)
                direct.pop(ref, None)
            if len(live) > _MAX_LIVE_OBJECTS:
                raise PdfStructureError(
                    "CHANGE_ANALYSIS_FAILED", problem="too many objects to analyse"
                )
        self._live_revision = revision
        streams: dict[int, tuple[int, dict[int, ObjectId]]] = {}
        for stream_id, members in by_stream.items():
            stream_loc = live.get(stream_id, ((stream_id, 0), None))[1]
            if not members or not isinstance(stream_loc, int):
                continue
            entry = streams.get(stream_loc)
            if entry is None:
                streams[stream_loc] = (stream_id, members)
            else:
                # two stream numbers stored at one place (hostile): users of both
                streams[stream_loc] = (entry[0], {**entry[1], **members})
        self._live_streams = streams
        self.revision = revision

    def sources(self, target: ObjectId) -> set[ObjectId]:
        """Live objects of the current revision whose bytes may refer to ``target``."""
        return self.sources_of({target}).get(target, set())

    def sources_of(
        self, targets: set[ObjectId], ignore: set[ObjectId] | frozenset[ObjectId] = frozenset()
    ) -> dict[ObjectId, set[ObjectId]]:
        """``sources`` for many targets in one pass over the revision's objects.

        Objects in ``ignore`` are never reported (the caller would discard them), so
        an object stream whose live members are all ignored, typically the one the
        revision itself wrote, is neither scanned nor split into its members.
        """
        wanted = {_key(t): t for t in targets}
        keys = frozenset(wanted)
        found: dict[ObjectId, set[ObjectId]] = {}
        for ref, offset in self._live_direct.items():
            if ref in ignore:
                continue
            for key in self._direct(offset, ref) & keys:
                found.setdefault(wanted[key], set()).add(ref)
        for stream_loc, (stream_id, members) in self._live_streams.items():
            if ignore and ignore.issuperset(members.values()):
                continue
            hits = self._stream(stream_id, stream_loc) & keys
            if not hits:
                continue
            per_member = self._members(stream_id, stream_loc)
            for idnum, ref in members.items():
                if ref in ignore:
                    continue
                for key in per_member.get(idnum, frozenset()) & hits:
                    found.setdefault(wanted[key], set()).add(ref)
        return found

    # -- raw scans ----------------------------------------------------------

    def _read_file(self) -> bytes | memoryview:
        stream = self._store.reader.stream
        if isinstance(stream, BytesIO):
            return stream.getbuffer()  # no second copy of the document
        stream.seek(0)
        return bytes(stream.read())

    def _all_offsets(self) -> list[int]:
        offsets: set[int] = {len(self._file)}
        xrefs = self._store.xrefs
        for rev in range(self._store.revision_count):
            meta = xrefs.get_xref_container_info(rev)
            offsets.add(meta.start_location)
            for _, _, loc in _section_entries(xrefs.get_xref_data(rev)):
                if isinstance(loc, int):
                    offsets.add(loc)
        return sorted(offsets)

    def _direct(self, offset: int, ref: ObjectId) -> frozenset[_Key]:
        cached = self._direct_keys.get(offset)
        if cached is None:
            if 0 <= offset < len(self._file):
                pos = bisect.bisect_right(self._offsets, offset)
                end = self._offsets[pos] if pos < len(self._offsets) else len(self._file)
                parsed = (
                    self._stream_dict_refs(ref, offset) if end - offset > _PARSE_ABOVE else None
                )
                cached = (
                    parsed
                    if parsed is not None
                    else frozenset(_REF.findall(self._file, offset, end))
                )
            else:
                cached = frozenset()
            self._direct_keys[offset] = cached
        return cached

    def _stream_dict_refs(self, ref: ObjectId, offset: int) -> frozenset[_Key] | None:
        """References in a large stream's dictionary (its data holds none): exact, and far
        cheaper than scanning megabytes of image data. None: fall back to the byte scan."""
        try:
            body = self._store.raw_object(ref, offset)
        except PdfStructureError:
            return None
        if not isinstance(body, generic.StreamObject):
            return None
        found: set[_Key] = set()
        stack: list[tuple[object, int]] = [(body, 0)]
        while stack:
            value, depth = stack.pop()
            if depth > _MAX_DEPTH:
                return None
            if isinstance(value, generic.IndirectObject):
                found.add((str(value.idnum).encode(), str(value.generation).encode()))
            elif isinstance(value, generic.DictionaryObject):
                stack.extend((value.raw_get(k), depth + 1) for k in value)
            elif isinstance(value, generic.ArrayObject):
                stack.extend((v, depth + 1) for v in value)
        return frozenset(found)

    def _stream(self, stream_id: int, stream_loc: int) -> frozenset[_Key]:
        cached = self._stream_keys.get(stream_loc)
        if cached is None:
            data, _ = self._store.objstm_contents(stream_id, stream_loc)
            cached = frozenset(_REF.findall(data))
            self._stream_keys[stream_loc] = cached
        return cached

    def _members(self, stream_id: int, stream_loc: int) -> dict[int, frozenset[_Key]]:
        cached = self._stream_members.get(stream_loc)
        if cached is None:
            data, offsets = self._store.objstm_contents(stream_id, stream_loc)
            ordered = sorted((off, idnum) for idnum, off in offsets.items())
            cached = {}
            for i, (start, idnum) in enumerate(ordered):
                end = ordered[i + 1][0] if i + 1 < len(ordered) else len(data)
                found = _REF.findall(data, start, end)
                if found:
                    cached[idnum] = frozenset(found)
            self._stream_members[stream_loc] = cached
        return cached
