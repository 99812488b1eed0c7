"""Structure-aware mutations of PDF documents for the fuzzing harness (issue 9 §7).

Every mutator takes a :class:`random.Random` (hypothesis' ``st.randoms()`` in the suite, a
seeded one in ``bench/fuzz.py``), a :class:`Seed` and the other seeds, and returns a
:class:`Mutant` that says what the oracle may expect of it:

* ``signed_changed``: a byte under a signature's /ByteRange changed, moved or went away, so the
  verdict must never be TOTAL_PASSED;
* ``expect_passed``: the mutation only touched what no signature covers and cannot change a
  verdict (certificates added to the unsigned CMS set of a valid signature), so a seed that
  was TOTAL_PASSED must stay TOTAL_PASSED.

Kinds: byte level (the ones of ``../shared/cases/robustness/fuzz_verify.py``: bit flips, random
bytes, truncation, splices, deletions, duplications, number and keyword edits, junk updates),
and structural: object streams added after signing (huge /N, a huge header, deep nesting,
members pointing anywhere), deep nesting, /Prev loops and wild cross-reference offsets, and the
certificate-set mutations of :mod:`tests.fuzzing.cms_mutations`.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tests.fuzzing import cms_mutations
from tests.integration import hostile_documents as hostile

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
_STARTXREF = re.compile(rb"startxref\s+(\d+)")


@dataclass(frozen=True)
class Seed:
    """A document to mutate: its bytes, name, and whether kyso verifies it TOTAL_PASSED."""

    name: str
    data: bytes = field(repr=False)
    passed: bool = False
    ranges: tuple[tuple[int, int], ...] = field(default=(), repr=False)  # signed spans

    @classmethod
    def of(cls, name: str, data: bytes, passed: bool = False) -> Seed:
        return cls(name, data, passed, signed_ranges(data))

    @property
    def signed_end(self) -> int:
        return max((b for _a, b in self.ranges), default=0)


@dataclass(frozen=True)
class Mutant:
    data: bytes = field(repr=False)
    kind: str
    seed: str
    signed_changed: bool = False
    expect_passed: bool = False


def signed_ranges(pdf: bytes) -> tuple[tuple[int, int], ...]:
    """[start, end) of every /ByteRange span written in ``pdf`` (within the file)."""
    out = []
    for m in _BYTE_RANGE.finditer(pdf):
        a, b, c, d = map(int, m.groups())
        for start, length in ((a, b), (c, d)):
            if start + length <= len(pdf):
                out.append((start, start + length))
    return tuple(out)


def _in_signed(seed: Seed, offsets: Sequence[int]) -> bool:
    return any(a <= o < b for o in offsets for a, b in seed.ranges)


def _changed(old: bytes, new: bytes | bytearray, offsets: Sequence[int]) -> list[int]:
    return [o for o in offsets if o < len(new) and old[o] != new[o]]


# -- byte level ------------------------------------------------------------------------------
def bitflip(rnd: random.Random, seed: Seed, _others: Sequence[Seed]) -> Mutant:
    d = bytearray(seed.data)
    offs = [rnd.randrange(len(d)) for _ in range(rnd.randint(1, 16))]
    for o in offs:
        d[o] ^= 1 << rnd.randrange(8)
    changed = _changed(seed.data, d, offs)
    return Mutant(bytes(d), "bitflip", seed.name, _in_signed(seed, changed))


def random_bytes(rnd: random.Random, seed: Seed, _others: Sequence[Seed]) -> Mutant:
    d = bytearray(seed.data)
    o = rnd.randrange(len(d))
    offs = list(range(o, min(len(d), o + rnd.randint(1, 64))))
    for i in offs:
        d[i] = rnd.randrange(256)
    changed = _changed(seed.data, d, offs)
    return Mutant(bytes(d), "random-bytes", seed.name, _in_signed(seed, changed))


def truncate(rnd: random.Random, seed: Seed, _others: Sequence[Seed]) -> Mutant:
    cut = rnd.randrange(len(seed.data))
    return Mutant(seed.data[:cut], "truncate", seed.name, cut < seed.signed_end)


def splice(rnd: random.Random, seed: Seed, others: Sequence[Seed]) -> Mutant:
    other = rnd.choice(others).data if others else seed.data
    a, b = rnd.randrange(len(seed.data)), rnd.randrange(len(other))
    data = seed.data[:a] + other[b : b + rnd.randint(1, 4096)] + seed.data[a:]
    return Mutant(data, "splice", seed.name, a < seed.signed_end)


def delete(rnd: random.Random, seed: Seed, _others: Sequence[Seed]) -> Mutant:
    a = rnd.randrange(len(seed.data))
    data = seed.data[:a] + seed.data[a + rnd.randint(1, 512) :]
    return Mutant(data, "delete", seed.name, a < seed.signed_end)


def duplicate(rnd: random.Random, seed: Seed, _others: Sequence[Seed]) -> Mutant:
    a = rnd.randrange(len(seed.data))
    data = seed.data[:a] + seed.data[a : a + rnd.randint(1, 2048)] + seed.data[a:]
    return Mutant(data, "duplicate", seed.name, a < seed.signed_end)


def number(rnd: random.Random, seed: Seed, _others: Sequence[Seed]) -> Mutant:
    """A number (ByteRange, offsets, lengths, /N, /Size...) edited in place, same width."""
    nums = list(re.finditer(rb"\d+", seed.data[: 1 << 20]))
    if not nums:
        return bitflip(rnd, seed, _others)
    m = rnd.choice(nums)
    width = len(m.group())
    value = int(m.group())
    new = rnd.choice([0, 1, value + rnd.randint(-3, 3), 10**width - 1, rnd.randrange(10**width)])
    text = str(max(new, 0)).encode()[:width].rjust(width, b"0")
    d = bytearray(seed.data)
    d[m.start() : m.end()] = text
    changed = _changed(seed.data, d, range(m.start(), m.end()))
    return Mutant(bytes(d), "number", seed.name, _in_signed(seed, changed))


_KEYWORDS = [
    (b"/Sig", b"/Xig"),
    (b"obj", b"obk"),
    (b"/Prev", b"/Xrev"),
    (b"/Annots", b"/Bnnots"),
    (b"/Contents", b"/Dontents"),
    (b" R", b"  "),
    (b"<<", b"[["),
    (b"endstream", b"endstreax"),
    (b"/ObjStm", b"/ObjSt "),
    (b"/FlateDecode", b"/LZWDecode  "),
    (b"/Type", b"/Typf"),
]


def keyword(rnd: random.Random, seed: Seed, others: Sequence[Seed]) -> Mutant:
    a, b = rnd.choice(_KEYWORDS)
    idxs = [m.start() for m in re.finditer(re.escape(a), seed.data)]
    if not idxs:
        return bitflip(rnd, seed, others)
    i = rnd.choice(idxs)
    d = bytearray(seed.data)
    d[i : i + len(a)] = b
    changed = _changed(seed.data, d, range(i, i + len(a)))
    return Mutant(bytes(d), "keyword", seed.name, _in_signed(seed, changed))


def junk_update(rnd: random.Random, seed: Seed, others: Sequence[Seed]) -> Mutant:
    """Bytes of another seed appended as if an incremental update, a wild startxref after."""
    other = rnd.choice(others).data if others else seed.data
    a = rnd.randrange(len(other))
    tail = other[a : a + rnd.randint(100, 8000)]
    at = rnd.choice([rnd.randrange(len(seed.data)), len(seed.data) + 1, 10**12])
    data = seed.data + b"\n" + tail + b"\nstartxref\n%d\n%%%%EOF\n" % at
    return Mutant(data, "junk-update", seed.name)


# -- structure -------------------------------------------------------------------------------
def _nested(rnd: random.Random, depth: int) -> bytes:
    opener, closer = rnd.choice([(b"[", b"]"), (b"<< /A ", b" >>"), (b"[<< /K ", b" >>]")])
    return opener * depth + b"0" + closer * depth


def _classic_update(base: bytes, objs: dict[int, bytes], *, prev: int | None = None) -> bytes:
    """``base`` plus ``objs`` in a classic xref-table update (trailer copied from the last)."""
    root_num, size, _ids = hostile._info(base)
    buf = bytearray(base if base.endswith(b"\n") else base + b"\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = len(buf)
        buf += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    xref_at = len(buf)
    buf += b"xref\n"
    for num in sorted(offsets):
        buf += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
    last = hostile._startxref(base) if prev is None else prev
    buf += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        max(size, max(objs) + 1),
        root_num,
        last,
        xref_at,
    )
    return bytes(buf)


def deep_nesting(rnd: random.Random, seed: Seed, others: Sequence[Seed]) -> Mutant:
    """An update after signing holding one object nested ``depth`` deep (up to 100,000)."""
    try:
        _root, size, _ids = hostile._info(seed.data)
    except Exception:
        return junk_update(rnd, seed, others)
    depth = rnd.choice([10, 1000, 20_000, 100_000])
    data = _classic_update(seed.data, {size: _nested(rnd, depth)})
    return Mutant(data, f"deep-nesting-{depth}", seed.name)


def prev_loop(rnd: random.Random, seed: Seed, others: Sequence[Seed]) -> Mutant:
    """An update whose /Prev points at itself, into the middle of the file, or past its end."""
    try:
        _root, size, _ids = hostile._info(seed.data)
    except Exception:
        return junk_update(rnd, seed, others)
    base = seed.data if seed.data.endswith(b"\n") else seed.data + b"\n"
    objs = {size: b"<< /Kyso (loop) >>"}
    own_xref = len(base) + len(b"%d 0 obj\n" % size) + len(objs[size]) + len(b"\nendobj\n")
    prev = rnd.choice([own_xref, rnd.randrange(len(base)), 10**15, 0])
    return Mutant(_classic_update(base, objs, prev=prev), "prev-loop", seed.name)


def _objstm(members: bytes, n: int, first: int, *, compress: bool = True) -> bytes:
    body = zlib.compress(members, 6) if compress else members
    flt = b"/Filter /FlateDecode " if compress else b""
    return (
        b"<< /Type /ObjStm /N %d /First %d %s/Length %d >>\nstream\n" % (n, first, flt, len(body))
        + body
        + b"\nendstream"
    )


def object_stream(rnd: random.Random, seed: Seed, others: Sequence[Seed]) -> Mutant:
    """An object stream added after signing, one of: a huge declared /N (up to 2^31), a large
    header region of tokens (up to 8 MiB decoded), deeply nested members, a header whose
    offsets point anywhere, a stream listing itself, or members overriding signed objects."""
    try:
        _root, size, _ids = hostile._info(seed.data)
    except Exception:
        return junk_update(rnd, seed, others)
    sn = max(size, 30)
    variant = rnd.choice(["huge-n", "huge-header", "nesting", "wild-offsets", "self", "override"])
    members: dict[int, tuple[int, int]] = {}
    if variant == "huge-n":
        n = rnd.choice([1000, 10**6, 2**31 - 1, 10**12])
        header = b"%d 0 " % (sn + 1)
        stm = _objstm(header + b"<< /Kyso 1 >>", n, len(header))
        members = {sn + 1 + i: (sn, i) for i in range(rnd.choice([1, 50]))}
    elif variant == "huge-header":
        decoded = rnd.choice([64 * 1024, 1024 * 1024, 8 * 1024 * 1024])
        data = hostile.objstm_token_bomb(seed.data, decoded)
        return Mutant(data, f"objstm-huge-header-{decoded}", seed.name)
    elif variant == "nesting":
        body = _nested(rnd, rnd.choice([100, 5000, 50_000]))
        header = b"%d 0 " % (sn + 1)
        stm = _objstm(header + body, 1, len(header))
        members = {sn + 1: (sn, 0)}
    elif variant == "wild-offsets":
        count = rnd.randint(1, 20)
        header = b" ".join(
            b"%d %d" % (sn + 1 + i, rnd.choice([0, -1, 10**9, rnd.randrange(100)]))
            for i in range(count)
        )
        stm = _objstm(header + b" " + b"<< >> " * count, count, rnd.choice([0, len(header), 10**9]))
        members = {sn + 1 + i: (sn, i) for i in range(count)}
    elif variant == "self":
        header = b"%d 0 " % sn
        stm = _objstm(header + b"<< /Kyso (self) >>", 1, len(header))
        members = {sn + 1: (sn, 0)}
    else:  # members replacing objects 1..k of the signed revision
        k = min(rnd.randint(1, 5), size - 1) or 1
        header = b" ".join(b"%d 0" % (1 + i) for i in range(k)) + b" "
        bodies = b" ".join(b"<< /Kyso %d >>" % i for i in range(k))
        stm = _objstm(header + bodies, k, len(header), compress=rnd.random() < 0.8)
        members = {1 + i: (sn, i) for i in range(k)}
    data = hostile.xref_stream_update(
        seed.data, {sn: stm}, members, xref_num=max([sn, *members]) + 1
    )
    return Mutant(data, f"objstm-{variant}", seed.name)


def certificate_set(rnd: random.Random, seed: Seed, others: Sequence[Seed]) -> Mutant:
    """Certificates added to the unsigned CMS set of the last signature (cms_mutations)."""
    try:
        data, kind = cms_mutations.add_certificates(rnd, seed.data)
    except cms_mutations.DoesNotFit:  # no CMS, or no room: the document as it was
        return Mutant(seed.data, "certificate-set-none", seed.name, expect_passed=seed.passed)
    return Mutant(data, kind, seed.name, expect_passed=seed.passed)


def cms_unsigned(rnd: random.Random, seed: Seed, others: Sequence[Seed]) -> Mutant:
    """A CMS change outside what the signer signed (cms_mutations.unsigned_change)."""
    try:
        data, kind = cms_mutations.unsigned_change(rnd, seed.data)
    except cms_mutations.DoesNotFit:
        return bitflip(rnd, seed, others)
    return Mutant(data, kind, seed.name)


Mutator = Callable[[random.Random, Seed, Sequence[Seed]], Mutant]

#: Name -> mutator; the suite and bench/fuzz.py draw from this table.
MUTATORS: dict[str, Mutator] = {
    "bitflip": bitflip,
    "random-bytes": random_bytes,
    "truncate": truncate,
    "splice": splice,
    "delete": delete,
    "duplicate": duplicate,
    "number": number,
    "keyword": keyword,
    "junk-update": junk_update,
    "deep-nesting": deep_nesting,
    "prev-loop": prev_loop,
    "object-stream": object_stream,
    "certificate-set": certificate_set,
    "cms-unsigned": cms_unsigned,
}

#: Mutators that need a signed seed to mean anything.
SIGNATURE_MUTATORS = ("certificate-set", "cms-unsigned")


def mutate(
    rnd: random.Random, seed: Seed, others: Sequence[Seed], kind: str | None = None
) -> Mutant:
    """One mutant of ``seed`` (``kind`` from :data:`MUTATORS`, else drawn)."""
    name = kind or rnd.choice(sorted(MUTATORS))
    if not seed.data:
        return Mutant(b"%PDF-1.7\n", "empty", seed.name)
    mutant = MUTATORS[name](rnd, seed, others)
    return mutant if mutant.data else Mutant(b"%PDF-1.7\n", "empty", seed.name)
