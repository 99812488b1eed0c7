"""Audit trails as hash chains: the trust store's changes, and (through the same storage)
the signer's signing attempts (:mod:`signer.audit`).

Each entry's hash covers its content and the previous entry's hash, so an
altered, removed or reordered entry breaks the chain at a place
:func:`verify_chain` can name.  A separate *head* record (sequence number and
hash of the newest entry) lets verification notice entries cut from the end.

Storage: an append-only JSON-lines file (fsync after each entry) by default, a
Redis stream when Redis is configured.  The chain shows tampering; it does not
prevent someone with write access to both the log and its head from rewriting
history wholesale: signed checkpoints of the head (:mod:`trust_store.checkpoints`), attached
with :meth:`AuditLog.attach`, detect that and truncation.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from kyso.errors import InvalidInput, Unavailable

if TYPE_CHECKING:
    from trust_store.checkpoints import Checkpointer, CheckpointStore

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditDraft:
    """What happened, before it gets its place (seq, time, prev) in the chain."""

    actor: str
    action: (
        str  # add | remove | import | install_bundle | adopt | recovery | <rpc name> when denied
    )
    outcome: str  # applied | refused | not_applied
    reason: str = ""
    version: int = 0  # store version after the change (current version when refused)
    before: tuple[str, ...] = ()  # fingerprints in the store before
    after: tuple[str, ...] = ()  # fingerprints in the store after
    subjects: tuple[str, ...] = ()  # fingerprints the request named
    code: str = ""  # refusal code


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: str
    actor: str
    action: str
    outcome: str
    reason: str
    version: int
    before: tuple[str, ...]
    after: tuple[str, ...]
    subjects: tuple[str, ...]
    code: str
    prev: str
    hash: str

    def to_json(self) -> str:
        return _canonical({**_content(self), "hash": self.hash})

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AuditEntry:
        return cls(
            seq=int(raw["seq"]),
            time=str(raw["time"]),
            actor=str(raw["actor"]),
            action=str(raw["action"]),
            outcome=str(raw["outcome"]),
            reason=str(raw.get("reason", "")),
            version=int(raw.get("version", 0)),
            before=tuple(raw.get("before", ())),
            after=tuple(raw.get("after", ())),
            subjects=tuple(raw.get("subjects", ())),
            code=str(raw.get("code", "")),
            prev=str(raw["prev"]),
            hash=str(raw["hash"]),
        )


class ChainEntry(Protocol):
    """What the storage needs of an entry of any chain: its place and its JSON line."""

    @property
    def seq(self) -> int: ...

    @property
    def hash(self) -> str: ...

    def to_json(self) -> str: ...


D = TypeVar("D", contravariant=True)
E = TypeVar("E", bound=ChainEntry)
Sealer = Callable[..., E]  # (draft, *, seq, prev) -> entry


def seal_content(
    content: dict[str, Any], *, seq: int, prev: str, now: datetime | None = None
) -> dict[str, Any]:
    """``content`` with its place in a chain: ``seq``, ``time`` (UTC), ``prev`` and ``hash``
    (SHA-256 of the canonical JSON of every other field) — the format of every kyso chain."""
    when = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    placed = {**content, "seq": seq, "time": when, "prev": prev}
    return {**placed, "hash": _hash_of(placed)}


def parse_since(text: str) -> datetime | None:
    """``--since``: an ISO 8601 date (midnight UTC) or date-time (UTC when it has no offset);
    None for "". :class:`InvalidInput` (``OPTION_INVALID``) for anything else."""
    text = text.strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "OPTION_INVALID", option="since", problem="not an ISO 8601 date or date-time"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def canonical_json(obj: dict[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the bytes an entry's hash covers."""
    return _canonical(obj)


def _canonical(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _content(entry: AuditEntry) -> dict[str, Any]:
    d = asdict(entry)
    d.pop("hash")
    d["before"], d["after"], d["subjects"] = (
        list(entry.before),
        list(entry.after),
        list(entry.subjects),
    )
    return d


def _hash_of(content: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(content).encode()).hexdigest()


def seal(draft: AuditDraft, *, seq: int, prev: str, now: datetime | None = None) -> AuditEntry:
    """Give ``draft`` its place in the chain."""
    when = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    content: dict[str, Any] = {
        "seq": seq,
        "time": when,
        "actor": draft.actor,
        "action": draft.action,
        "outcome": draft.outcome,
        "reason": draft.reason,
        "version": draft.version,
        "before": list(draft.before),
        "after": list(draft.after),
        "subjects": list(draft.subjects),
        "code": draft.code,
        "prev": prev,
    }
    return AuditEntry.from_dict({**content, "hash": _hash_of(content)})


# -- verification ---------------------------------------------------------------


@dataclass(frozen=True)
class AuditProblem:
    position: int  # 1-based line (file) or index (stream); a checkpoint's, for checkpoint_*
    seq: int | None  # as stored, when readable
    # altered | missing | reordered | unreadable | truncated | rewritten |
    # checkpoint_forged | checkpoint_unreadable | checkpoint_missing
    kind: str
    message: str


@dataclass
class AuditReport:
    entries: int = 0
    problems: list[AuditProblem] = field(default_factory=list)
    head_seq: int = 0
    checkpoints_checked: bool = False  # False: no checkpoint key pinned, nothing checked
    checkpoints: int = 0  # signed checkpoints stored
    covered_seq: int = 0  # the newest valid checkpoint covers entries 1..covered_seq
    hashes: dict[int, str] = field(default_factory=dict, repr=False)  # seq -> entry hash

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def uncovered(self) -> int:
        """Entries after the newest valid checkpoint: not yet covered by a signature."""
        return max(self.head_seq - self.covered_seq, 0)

    def add_checkpoints(self, checkpointer: Checkpointer) -> AuditReport:
        """Check the signed checkpoints against this chain; their problems join the report."""
        result = checkpointer.check(self.hashes, self.head_seq)
        self.checkpoints_checked = result.checked
        self.checkpoints = result.count
        self.covered_seq = result.covered_seq
        self.problems.extend(
            AuditProblem(f.position, f.seq, f.kind, f.message) for f in result.findings or ()
        )
        return self


def verify_chain(records: Sequence[str], head: tuple[int, str] | None = None) -> AuditReport:
    """Walk the chain in stored order and name every entry that breaks it."""
    report = AuditReport(entries=len(records))
    parsed: list[dict[str, Any] | None] = []
    for raw in records:
        try:
            obj = json.loads(raw)
            if not isinstance(obj, dict):
                raise ValueError("not an object")
            int(obj["seq"])
            parsed.append(obj)
        except (ValueError, KeyError, TypeError):
            parsed.append(None)
    later_seqs: list[set[int]] = []
    seen: set[int] = set()
    for obj in reversed(parsed):
        later_seqs.append(set(seen))
        if obj is not None:
            seen.add(int(obj["seq"]))
    later_seqs.reverse()

    expected_prev: str | None = GENESIS
    expected_seq = 1
    last_hash, last_seq = GENESIS, 0
    hashes: dict[int, str] = {}
    for pos, obj in enumerate(parsed, start=1):
        if obj is None:
            report.problems.append(
                AuditProblem(pos, None, "unreadable", f"entry at position {pos} is not readable")
            )
            expected_prev = None
            expected_seq += 1
            continue
        seq = int(obj["seq"])
        stored_hash = str(obj.get("hash", ""))
        content = {k: v for k, v in obj.items() if k != "hash"}
        if _hash_of(content) != stored_hash:
            report.problems.append(
                AuditProblem(pos, seq, "altered", f"entry seq {seq} (position {pos}) was altered")
            )
        elif seq != expected_seq or (
            expected_prev is not None and obj.get("prev") != expected_prev
        ):
            if seq > expected_seq and expected_seq in later_seqs[pos - 1]:
                kind, msg = "reordered", f"entry seq {seq} (position {pos}) is out of order"
            elif seq > expected_seq:
                kind = "missing"
                msg = f"entries seq {expected_seq}..{seq - 1} are missing before position {pos}"
            elif seq < expected_seq:
                kind, msg = "reordered", f"entry seq {seq} (position {pos}) is out of order"
            else:
                kind, msg = (
                    "altered",
                    f"entry seq {seq} (position {pos}) does not chain to its predecessor",
                )
            report.problems.append(AuditProblem(pos, seq, kind, msg))
        expected_prev = stored_hash
        expected_seq = seq + 1
        last_hash, last_seq = stored_hash, seq
        hashes[seq] = stored_hash
    report.head_seq = last_seq
    report.hashes = hashes
    if head is not None and head[0] > 0 and (head[0], head[1]) != (last_seq, last_hash):
        # The head may lag behind the log (crash between the entry and the head write), but
        # the entry it names must be in the chain, and it must never be ahead of the log.
        if head[0] > last_seq:
            report.problems.append(
                AuditProblem(
                    len(parsed) + 1,
                    head[0],
                    "truncated",
                    f"entries after seq {last_seq} up to seq {head[0]} were removed from the end",
                )
            )
        elif hashes.get(head[0]) != head[1]:
            report.problems.append(
                AuditProblem(
                    len(parsed),
                    head[0],
                    "altered",
                    f"entry seq {head[0]} does not match the recorded head",
                )
            )
    return report


# -- storage ----------------------------------------------------------------------


class AuditLog(Generic[D, E]):
    """Interface shared by the file and Redis logs of any chain (``D`` drafts become ``E``
    entries through ``sealer``; stored lines are read back with ``parse``)."""

    def __init__(self, sealer: Callable[..., E], parse: Callable[[dict[str, Any]], E]) -> None:
        self._seal = sealer
        self._parse = parse
        self.checkpointer: Checkpointer | None = None
        self.appended, self._count = 0, threading.Lock()  # entries this process appended

    def attach(self, checkpointer: Checkpointer) -> None:
        """Sign this chain's head through ``checkpointer`` (every N entries, and at
        :meth:`Checkpointer.close`); :meth:`verify` then checks the checkpoints too."""
        self.checkpointer = checkpointer

    def note_appended(self, entry: ChainEntry) -> None:
        """Called with every entry this process appended (also by a backend that appends
        through its own script, as the trust store's Redis backend does)."""
        with self._count:  # the server's metrics read it
            self.appended += 1
        if self.checkpointer is not None:
            self.checkpointer.after_append(entry.seq, entry.hash)

    def checkpoint_store(self) -> CheckpointStore:
        """Where this chain's checkpoints live: beside the log."""
        raise NotImplementedError

    def current_head(self) -> tuple[int, str]:
        """(seq, hash) of the newest entry in storage; (0, GENESIS) when empty."""
        raise NotImplementedError

    def append(self, draft: D) -> E:
        raise NotImplementedError

    def entries(self, newest: int | None = None) -> list[E]:
        """Entries that parse, oldest first (the ``newest`` N only, if given); verification
        uses :meth:`verify`."""
        raise NotImplementedError

    def verify(self) -> AuditReport:
        raise NotImplementedError


class FileAuditLog(AuditLog[D, E]):
    """Append-only JSON lines, fsync'ed, plus an atomically replaced head file.

    ``FileAuditLog.trust(path)`` is the trust store's log; other chains pass their own
    sealer and parser.
    """

    def __init__(
        self, path: Path, sealer: Callable[..., E], parse: Callable[[dict[str, Any]], E]
    ) -> None:
        super().__init__(sealer, parse)
        self.path = path
        self.head_path = path.with_name(path.name + ".head")
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            fd = os.open(
                self.path.with_name(self.path.name + ".lock"), os.O_CREAT | os.O_RDWR, 0o600
            )
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def _records(self) -> list[str]:
        try:
            data = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        return [line for line in data.split("\n") if line.strip()]

    def _head(self) -> tuple[int, str] | None:
        try:
            raw = json.loads(self.head_path.read_text(encoding="utf-8"))
            return int(raw["seq"]), str(raw["hash"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def _last(self) -> tuple[int, str]:
        """Seq and hash of the newest complete entry, read from the log itself (the head file
        may lag one entry behind after a crash between the two writes)."""
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return 0, GENESIS
        try:
            size = os.fstat(fd).st_size
            tail = b""
            pos = size
            while pos > 0 and tail.count(b"\n") < 2:
                step = min(65536, pos)
                pos -= step
                tail = os.pread(fd, step, pos) + tail
            if tail and not tail.endswith(b"\n"):
                # A write cut short by a crash: that entry never completed; drop the fragment.
                cut = tail.rfind(b"\n")
                os.ftruncate(fd, pos + cut + 1 if cut >= 0 else pos)
                os.fsync(fd)
                tail = tail[: cut + 1] if cut >= 0 else b""
        finally:
            os.close(fd)
        for raw in reversed(tail.split(b"\n")):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                obj = json.loads(raw)
                return int(obj["seq"]), str(obj["hash"])
        for line in reversed(self._records()):  # newest line unreadable: chain on the last good
            with contextlib.suppress(ValueError, KeyError, TypeError):
                obj = json.loads(line)
                return int(obj["seq"]), str(obj["hash"])
        return 0, GENESIS

    @staticmethod
    def trust(path: Path) -> FileAuditLog[AuditDraft, AuditEntry]:
        """The trust store's log at ``path``."""
        return FileAuditLog(path, seal, AuditEntry.from_dict)

    def append(self, draft: D) -> E:
        """Write and fsync the entry; OSError when the file cannot be written."""
        with self._locked():
            seq, prev = self._last()
            entry = self._seal(draft, seq=seq + 1, prev=prev)
            line = (entry.to_json() + "\n").encode()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            _replace_head(
                self.head_path, _canonical({"seq": entry.seq, "hash": entry.hash}).encode()
            )
            self.note_appended(entry)  # under the lock: a verify never sees it half-done
            return entry

    def checkpoint_store(self) -> CheckpointStore:
        from trust_store.checkpoints import FileCheckpoints

        return FileCheckpoints(self.path.with_name(self.path.name + ".checkpoints"))

    def current_head(self) -> tuple[int, str]:
        with self._locked():
            return self._last()

    def entries(self, newest: int | None = None) -> list[E]:
        out = []
        for raw in self._records():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                out.append(self._parse(json.loads(raw)))
        return out[-newest:] if newest else out

    def verify(self) -> AuditReport:
        with self._locked():
            report = verify_chain(self._records(), self._head())
            if self.checkpointer is not None:
                report.add_checkpoints(self.checkpointer)
            return report


def _replace_head(path: Path, data: bytes) -> None:
    """Replace the head file atomically, without fsync.

    Durability belongs to the entry (fsync'ed before this); the head only has to be *some*
    complete earlier-or-current head, which ``os.replace`` guarantees. After a crash it may lag
    behind the log, which :func:`verify_chain` accepts; a lost or unreadable head file only
    means the end-truncation check has nothing to compare against until the next entry. Two
    more fsyncs per entry (the file and its directory) cost a signature ~3 ms under the lock
    that orders the chain (docs/benchmarks.md).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


# The chain's head and the stream change together, only if nobody appended meanwhile.
_APPEND_LUA = """
local head = redis.call('GET', KEYS[1])
if (head or '') ~= ARGV[1] then return 0 end
redis.call('XADD', KEYS[2], '*', 'entry', ARGV[2])
redis.call('SET', KEYS[1], ARGV[3])
return 1
"""


class RedisAuditLog(AuditLog[D, E]):
    """A Redis stream shared by the replicas, with the head in its own key.

    The trust store's chain (``RedisAuditLog.trust``) is ``<ns>:audit:stream`` and
    ``<ns>:audit:head``; a chain named ``name`` is ``<ns>:audit:<name>`` and
    ``<ns>:audit:<name>:head``.
    """

    def __init__(
        self,
        redis: Any,
        namespace: str,
        sealer: Callable[..., E],
        parse: Callable[[dict[str, Any]], E],
        name: str | None = None,
    ) -> None:
        super().__init__(sealer, parse)
        self._redis = redis
        stream = f"{namespace}:audit:{name}" if name else f"{namespace}:audit:stream"
        self.head_key = f"{stream}:head" if name else f"{namespace}:audit:head"
        self.stream_key = stream
        self._append = redis.register_script(_APPEND_LUA)

    def head(self) -> tuple[str, int, str]:
        """(raw head value, seq, hash) for compare-and-set."""
        raw = self._redis.get(self.head_key)
        if not raw:
            return "", 0, GENESIS
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        obj = json.loads(text)
        return text, int(obj["seq"]), str(obj["hash"])

    @staticmethod
    def trust(redis: Any, namespace: str = "kyso") -> RedisAuditLog[AuditDraft, AuditEntry]:
        """The trust store's chain in ``namespace``."""
        return RedisAuditLog(redis, namespace, seal, AuditEntry.from_dict)

    @staticmethod
    def head_value(entry: ChainEntry) -> str:
        return _canonical({"seq": entry.seq, "hash": entry.hash})

    def append(self, draft: D) -> E:
        """Append once Redis acknowledged it; :class:`Unavailable` (``AUDIT_UNAVAILABLE``)
        when Redis cannot be reached."""
        from redis.exceptions import RedisError

        try:
            for _ in range(50):
                raw, seq, prev = self.head()
                entry = self._seal(draft, seq=seq + 1, prev=prev)
                done = self._append(
                    keys=[self.head_key, self.stream_key],
                    args=[raw, entry.to_json(), self.head_value(entry)],
                )
                if int(done) == 1:
                    self.note_appended(entry)
                    return entry
        except (RedisError, OSError) as exc:
            raise Unavailable("AUDIT_UNAVAILABLE", problem="Redis is unreachable") from exc
        raise Unavailable("AUDIT_UNAVAILABLE", problem="too busy")

    def _records(self, newest: int | None = None) -> list[str]:
        if newest:
            rows = list(reversed(self._redis.xrevrange(self.stream_key, "+", "-", count=newest)))
        else:
            rows = self._redis.xrange(self.stream_key, "-", "+")
        out = []
        for _id, fields in rows:
            value = fields.get(b"entry") or fields.get("entry") or b""
            out.append(value.decode() if isinstance(value, bytes) else str(value))
        return out

    def entries(self, newest: int | None = None) -> list[E]:
        out = []
        for raw in self._records(newest):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                out.append(self._parse(json.loads(raw)))
        return out

    def checkpoint_store(self) -> CheckpointStore:
        from trust_store.checkpoints import RedisCheckpoints

        base = self.head_key.removesuffix(":head")  # <ns>:audit (trust), <ns>:audit:<name>
        return RedisCheckpoints(self._redis, f"{base}:checkpoints")

    def current_head(self) -> tuple[int, str]:
        _, seq, digest = self.head()
        return seq, digest

    def verify(self) -> AuditReport:
        _, seq, digest = self.head()
        report = verify_chain(self._records(), (seq, digest) if seq else None)
        if self.checkpointer is not None:
            report.add_checkpoints(self.checkpointer)
        return report
