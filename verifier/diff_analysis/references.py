"""Who refers to whom, per revision, without parsing every object.

Two checks need to know every place an object is used: an object redefined
after signing must not be shared with content the new value would silently
change (pyHanko's "sneaky appearance stream" case), and a new object number
must not fill a reference that was dangling when the document was signed.
Parsing all objects to find that out is what makes a full graph diff slow, so
this index scans the raw bytes of each live object with a pattern that finds
a *superset* of its indirect references: every real ``N G R`` matches, and so
may a few look-alikes inside strings or stream data. A false match can only
make the analysis stricter, never hide a reference.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from pyhanko.pdf_utils.xref import ObjStreamRef, XRefSectionData

from verifier.diff_analysis.model import DiffAnalysisError
from verifier.diff_analysis.revisions import ObjectId, RevisionStore

_WS = rb"[\x00\t\n\x0c\r ]"
_SEP = rb"(?:[\x00\t\n\x0c\r ]|%[^\r\n]*[\r\n])+"
_REF = re.compile(
    rb"(?<![0-9])([0-9]{1,10})"
    + _SEP
    + rb"([0-9]{1,5})"
    + _SEP
    + rb"R(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])"
)
_MAX_LIVE_OBJECTS = 2_000_000

_Location = int | ObjStreamRef


def _refs_in(data: bytes) -> frozenset[ObjectId]:
    return frozenset((int(a), int(b)) for a, b in _REF.findall(data))


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
    """Reference graph of one revision at a time, moved forward revision by revision."""

    def __init__(self, store: RevisionStore) -> None:
        self._store = store
        self._file = self._read_file()
        self._offsets = self._all_offsets()
        self._objstm_data: dict[int, dict[int, set[ObjectId]]] = {}
        self.revision = -1
        self._targets: dict[ObjectId, frozenset[ObjectId]] = {}
        self._sources: dict[ObjectId, set[ObjectId]] = {}

    # -- public -----------------------------------------------------------

    def advance_to(self, revision: int) -> None:
        """Make the index describe ``revision`` (only forward moves are incremental)."""
        if revision < self.revision or self.revision < 0:
            self._build(revision)
            return
        for rev in range(self.revision + 1, revision + 1):
            containers = self._store.container_refs(rev)
            for ref in self._store.changed_refs(rev) | containers:
                targets = frozenset() if ref in containers else self._body_refs(ref, rev)
                self._set_source(ref, targets)
            self.revision = rev

    def sources(self, target: ObjectId) -> set[ObjectId]:
        """Live objects of the current revision whose bytes may refer to ``target``."""
        return self._sources.get(target, set())

    # -- building ---------------------------------------------------------

    def _read_file(self) -> bytes:
        stream = self._store.reader.stream
        stream.seek(0)
        return stream.read()

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

    def _build(self, revision: int) -> None:
        live: dict[int, tuple[int, _Location | None]] = {}
        for rev in range(revision + 1):
            for idnum, gen, loc in _section_entries(self._store.xrefs.get_xref_data(rev)):
                live[idnum] = (gen, loc)
        if len(live) > _MAX_LIVE_OBJECTS:
            raise DiffAnalysisError(
                "Too many objects to analyse", "Tài liệu có quá nhiều đối tượng để phân tích"
            )
        containers = self._containers(revision)
        direct: dict[int, ObjectId] = {}
        in_streams: dict[int, list[tuple[int, int]]] = {}
        for idnum, (gen, loc) in live.items():
            if loc is None or (idnum, gen) in containers:
                continue
            if isinstance(loc, int):
                direct[loc] = (idnum, gen)
            else:
                in_streams.setdefault(loc.obj_stream_id, []).append((idnum, loc.ix_in_stream))
        found: dict[ObjectId, set[ObjectId]] = {}
        # one pass over the file for every top-level object ...
        offsets = self._offsets
        for m in _REF.finditer(self._file):
            pos = bisect.bisect_right(offsets, m.start()) - 1
            if pos < 0:
                continue
            source = direct.get(offsets[pos])
            if source is not None:
                found.setdefault(source, set()).add((int(m.group(1)), int(m.group(2))))
        # ... and one per object stream for the objects stored in them
        for stream_id, members in in_streams.items():
            stream_loc = live.get(stream_id, (0, None))[1]
            if not isinstance(stream_loc, int):
                continue
            member_ids = {m[0] for m in members}
            for idnum, targets in self._objstm_refs(stream_id, stream_loc).items():
                if idnum in member_ids:
                    gen = live[idnum][0]
                    found.setdefault((idnum, gen), set()).update(targets)
        self._targets = {}
        self._sources = {}
        for source, targets in found.items():
            self._set_source(source, frozenset(targets))
        self.revision = revision

    def _containers(self, revision: int) -> set[ObjectId]:
        result: set[ObjectId] = set()
        for rev in range(revision + 1):
            result |= self._store.container_refs(rev)
        return result

    def _objstm_refs(self, stream_id: int, stream_loc: int) -> dict[int, set[ObjectId]]:
        cached = self._objstm_data.get(stream_loc)
        if cached is not None:
            return cached
        data, offsets = self._store.objstm_contents(stream_id, stream_loc)
        ordered = sorted((off, idnum) for idnum, off in offsets.items())
        result: dict[int, set[ObjectId]] = {}
        for i, (start, idnum) in enumerate(ordered):
            end = ordered[i + 1][0] if i + 1 < len(ordered) else len(data)
            found = _REF.findall(data, start, end)
            if found:
                result[idnum] = {(int(a), int(b)) for a, b in found}
        self._objstm_data[stream_loc] = result
        return result

    def _set_source(self, source: ObjectId, targets: frozenset[ObjectId]) -> None:
        for target in self._targets.get(source, frozenset()):
            holders = self._sources.get(target)
            if holders is not None:
                holders.discard(source)
        if targets:
            self._targets[source] = targets
            for target in targets:
                self._sources.setdefault(target, set()).add(source)
        else:
            self._targets.pop(source, None)

    def _body_refs(self, ref: ObjectId, revision: int) -> frozenset[ObjectId]:
        loc = self._store.location(ref, revision)
        if loc is None:
            return frozenset()
        if isinstance(loc, int):
            if not 0 <= loc < len(self._file):
                return frozenset()
            pos = bisect.bisect_right(self._offsets, loc)
            end = self._offsets[pos] if pos < len(self._offsets) else len(self._file)
            return _refs_in(self._file[loc:end])
        stream_loc = self._store.location((loc.obj_stream_id, 0), revision)
        if not isinstance(stream_loc, int):
            return frozenset()
        return frozenset(self._objstm_refs(loc.obj_stream_id, stream_loc).get(ref[0], set()))
