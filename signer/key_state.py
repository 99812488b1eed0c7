"""Per-key state shared by every request and replica: owner-consent steps and usage counters.

Two stores with the same rules: :class:`FileKeyState` (one JSON file under the data
directory, rewritten atomically and fsync'ed under an ``flock``, so several processes on one
machine share it) and :class:`RedisKeyState` (Lua scripts, so two replicas cannot both take
the same one-time code or both pass a limit). The rules themselves are the pure functions
:func:`take_step`, :func:`count_failure` and :func:`reserve_use`, which the Lua scripts
mirror line by line.

Consent state of a key: the last accepted TOTP time step (RFC 6238 §5.2: a code is accepted
once), the SHA-256 of the document it was taken for, whether that use is ``reserved``
(signing), ``used`` (signed) or ``released`` (the signature failed: the same code may then be
retried for the same document only), the count of consecutive failures and the end of a
lock. Usage of a key: signatures made in total and per day (days in Asia/Ho_Chi_Minh), and
the time of the last one. Nothing secret is kept here.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import quote

from kyso.errors import Unavailable

log = logging.getLogger("kyso.signer.key_state")

Outcome = Literal["ok", "replayed", "invalid", "locked"]
LimitHit = Literal["ok", "max_signatures_per_day", "max_signatures_total"]

#: Redis day counters outlive their day by this much (the day in +07:00 is then over).
_DAY_TTL_SECONDS = 3 * 86400


@dataclass(frozen=True)
class ConsentPolicy:
    """When failures lock a key, and for how long (``[signer]`` settings)."""

    max_failures: int
    lock_seconds: int


@dataclass(frozen=True)
class ConsentState:
    """What ``kyso keys`` shows: consecutive failures and the end of a lock (0: none)."""

    failures: int = 0
    locked_until: int = 0  # POSIX seconds


@dataclass(frozen=True)
class KeyUsage:
    """Signatures made with a key: in total, on ``day`` and the last one (None: never)."""

    total: int = 0
    today: int = 0
    last_use: datetime | None = None


# ------------------------------------------------------------------------------------ rules
def take_step(
    state: dict[str, Any], step: int, document: str, now: int, policy: ConsentPolicy
) -> tuple[Outcome, int]:
    """Accept TOTP ``step`` for ``document`` once; ``state`` (a key's consent record) changes.

    Returns ``("ok", 0)``, ``("locked", until)`` or ``("replayed", until or 0)``: a step not
    newer than the last accepted one is a replay (and a failure), unless it is the same step
    for the same document after that use was released (a failed signature may be retried).
    """
    locked = int(state.get("locked_until", 0))
    if locked > now:
        return "locked", locked
    if locked:
        state.update(locked_until=0, failures=0)
    last = int(state.get("step", -1))
    retry = step == last and state.get("doc") == document and state.get("state") == "released"
    if step < last or (step == last and not retry):
        _, until = count_failure(state, now, policy)
        return "replayed", until
    state.update(step=step, doc=document, state="reserved", failures=0)
    return "ok", 0


def count_failure(state: dict[str, Any], now: int, policy: ConsentPolicy) -> tuple[Outcome, int]:
    """One more consecutive failure; the ``max_failures``-th locks the key for
    ``lock_seconds`` (returns ``("invalid", until)``); a locked key stays as it is."""
    locked = int(state.get("locked_until", 0))
    if locked > now:
        return "locked", locked
    failures = (0 if locked else int(state.get("failures", 0))) + 1
    if failures >= policy.max_failures:
        until = now + policy.lock_seconds
        state.update(failures=0, locked_until=until)
        return "invalid", until
    state.update(failures=failures, locked_until=0)
    return "invalid", 0


def finish_step(state: dict[str, Any], step: int, signed: bool) -> None:
    """A reserved step becomes ``used`` (signed) or ``released`` (the signature failed)."""
    if int(state.get("step", -1)) == step and state.get("state") == "reserved":
        state["state"] = "used" if signed else "released"


def reserve_use(
    usage: dict[str, Any], day: str, per_day: int | None, total: int | None
) -> LimitHit:
    """Count one signature on ``day`` unless a limit is reached (then name that limit)."""
    days = usage.setdefault("days", {})
    if total is not None and int(usage.get("total", 0)) >= total:
        return "max_signatures_total"
    if per_day is not None and int(days.get(day, 0)) >= per_day:
        return "max_signatures_per_day"
    usage["total"] = int(usage.get("total", 0)) + 1
    days[day] = int(days.get(day, 0)) + 1
    for old in sorted(days)[:-2]:  # today and yesterday are enough
        del days[old]
    return "ok"


def release_use(usage: dict[str, Any], day: str) -> None:
    """Give back a reservation of :func:`reserve_use` (the signature was not returned)."""
    usage["total"] = max(0, int(usage.get("total", 0)) - 1)
    days = usage.setdefault("days", {})
    if int(days.get(day, 0)) > 0:
        days[day] = int(days[day]) - 1


def _merge_use(usage: dict[str, Any], when: datetime | None, day: date | None, n: int) -> None:
    """Add ``n`` signatures on ``day`` (if any) and keep the latest last use."""
    if day is not None and n:
        days = usage.setdefault("days", {})
        days[day.isoformat()] = int(days.get(day.isoformat(), 0)) + n
        usage["total"] = int(usage.get("total", 0)) + n
        for old in sorted(days)[:-2]:
            del days[old]
    if when is not None:
        last = usage.get("last_use")
        if last is None or datetime.fromisoformat(last) < when:
            usage["last_use"] = when.isoformat()


def _apply_use(usage: dict[str, Any], extra: dict[str, Any]) -> None:
    """Add the counts and last use gathered in ``extra`` (as :func:`_merge_use` made it)."""
    for day, n in extra.get("days", {}).items():
        _merge_use(usage, None, date.fromisoformat(day), int(n))
    if "last_use" in extra:
        _merge_use(usage, datetime.fromisoformat(extra["last_use"]), None, 0)


# ------------------------------------------------------------------------------------ stores
class KeyStateStore(Protocol):
    """Where consent state and usage counters live; every method is atomic."""

    def take_step(
        self, key: str, step: int, document: str, now: int, policy: ConsentPolicy
    ) -> tuple[Outcome, int]: ...

    def count_failure(self, key: str, now: int, policy: ConsentPolicy) -> tuple[Outcome, int]: ...

    def finish_step(self, key: str, step: int, signed: bool) -> None: ...

    def reset_failures(self, key: str) -> None: ...

    def consent_state(self, key: str) -> ConsentState: ...

    def reserve_use(
        self, key: str, day: date, per_day: int | None, total: int | None
    ) -> LimitHit: ...

    def release_use(self, key: str, day: date) -> None: ...

    def record_use(self, key: str, when: datetime, day: date | None = None) -> None: ...

    def usage(self, key: str, day: date) -> KeyUsage: ...

    def close(self) -> None: ...

    def clear_consent(self, key: str) -> None: ...


def _unavailable(exc: BaseException) -> Unavailable:
    problem = getattr(exc, "strerror", None) or type(exc).__name__
    return Unavailable("KEY_STATE_UNAVAILABLE", problem=str(problem))


class FileKeyState:
    """One JSON document ``{"keys": {name: {"consent": {...}, "usage": {...}}}}``.

    Each change that decides something (a consent step, a failure, a reservation under a
    limit) reads the file, applies the rule and writes a new file (fsync, rename, fsync of the
    directory) while holding an ``flock`` on ``<file>.lock``: processes sharing the data
    directory (``reuse_port``) see each other's changes. What only informs — the count of a
    key without limits and the time of last use — is gathered in memory and written the same
    way at most :data:`FLUSH_SECONDS` later and at :meth:`close` (a crash loses at most that
    second of counts; the signing audit has every signature). Two fsync'ed renames per
    signature would cost more than the signature itself. Raises :class:`Unavailable`
    (``KEY_STATE_UNAVAILABLE``) when the file cannot be read or written.
    """

    #: Longest time a count or last use waits in memory before it is written.
    FLUSH_SECONDS = 1.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._pending: dict[str, dict[str, Any]] = {}  # key -> usage not yet written
        self._pending_lock = threading.Lock()
        self._timer: threading.Timer | None = None

    @contextlib.contextmanager
    def _locked(self, write: bool) -> Iterator[dict[str, Any]]:
        try:
            with self._lock:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(
                    self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600
                )
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
                    doc = self._read()
                    yield doc
                    if write:
                        self._write(doc)
                finally:
                    os.close(fd)
        except (OSError, ValueError) as exc:
            raise _unavailable(exc) from exc

    def _read(self) -> dict[str, Any]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"keys": {}}
        doc = json.loads(raw)
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), dict):
            raise ValueError(f"{self.path} is not a key-state document")
        return doc

    def _write(self, doc: dict[str, Any]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _change(self, key: str, part: str, rule: Callable[[dict[str, Any]], Any]) -> Any:
        with self._locked(write=True) as doc:
            record = doc["keys"].setdefault(key, {})
            return rule(record.setdefault(part, {}))

    def _look(self, key: str, part: str) -> dict[str, Any]:
        with self._locked(write=False) as doc:
            return dict(doc["keys"].get(key, {}).get(part, {}))

    def take_step(
        self, key: str, step: int, document: str, now: int, policy: ConsentPolicy
    ) -> tuple[Outcome, int]:
        result: tuple[Outcome, int] = self._change(
            key, "consent", lambda s: take_step(s, step, document, now, policy)
        )
        return result

    def count_failure(self, key: str, now: int, policy: ConsentPolicy) -> tuple[Outcome, int]:
        result: tuple[Outcome, int] = self._change(
            key, "consent", lambda s: count_failure(s, now, policy)
        )
        return result

    def finish_step(self, key: str, step: int, signed: bool) -> None:
        self._change(key, "consent", lambda s: finish_step(s, step, signed))

    def reset_failures(self, key: str) -> None:
        self._change(key, "consent", lambda s: s.update(failures=0))

    def consent_state(self, key: str) -> ConsentState:
        s = self._look(key, "consent")
        return ConsentState(int(s.get("failures", 0)), int(s.get("locked_until", 0)))

    def clear_consent(self, key: str) -> None:
        self._change(key, "consent", lambda s: s.clear())

    def reserve_use(self, key: str, day: date, per_day: int | None, total: int | None) -> LimitHit:
        hit: LimitHit = self._change(
            key, "usage", lambda u: reserve_use(u, day.isoformat(), per_day, total)
        )
        return hit

    def release_use(self, key: str, day: date) -> None:
        self._change(key, "usage", lambda u: release_use(u, day.isoformat()))

    def record_use(self, key: str, when: datetime, day: date | None = None) -> None:
        """Count a signature not reserved before (``day``) and set the last use: in memory,
        written within :data:`FLUSH_SECONDS`."""
        with self._pending_lock:
            _merge_use(self._pending.setdefault(key, {}), when, day, 1 if day else 0)
            if self._timer is None:
                self._timer = threading.Timer(self.FLUSH_SECONDS, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Write the counts and last uses gathered in memory (logged, not raised, on error)."""
        with self._pending_lock:
            pending, self._pending = self._pending, {}
            self._timer = None
        if not pending:
            return
        try:
            with self._locked(write=True) as doc:
                for key, extra in pending.items():
                    _apply_use(doc["keys"].setdefault(key, {}).setdefault("usage", {}), extra)
        except Unavailable as exc:
            with self._pending_lock:  # kept for the next attempt
                for key, extra in pending.items():
                    _apply_use(self._pending.setdefault(key, {}), extra)
            log.error("key usage counts not written: %s", exc.params.get("problem", ""))

    def close(self) -> None:
        """Write what is still in memory (at shutdown)."""
        with self._pending_lock:
            if self._timer is not None:
                self._timer.cancel()
        self.flush()

    def usage(self, key: str, day: date) -> KeyUsage:
        u = self._look(key, "usage")
        with self._pending_lock:
            extra = self._pending.get(key)
            if extra:
                u = json.loads(json.dumps(u))
                _apply_use(u, extra)
        last = u.get("last_use")
        return KeyUsage(
            int(u.get("total", 0)),
            int(u.get("days", {}).get(day.isoformat(), 0)),
            datetime.fromisoformat(last) if last else None,
        )


# Lua twins of take_step / count_failure / finish_step / reserve_use / release_use.
_FAILURE_LUA = """
local function failure(h, now, max_failures, lock_seconds)
  local locked = tonumber(redis.call('HGET', h, 'locked_until') or '0')
  if locked > now then return {'locked', locked} end
  local failures = 0
  if locked == 0 then failures = tonumber(redis.call('HGET', h, 'failures') or '0') end
  failures = failures + 1
  if failures >= max_failures then
    local lock_end = now + lock_seconds
    redis.call('HSET', h, 'failures', 0, 'locked_until', lock_end)
    return {'invalid', lock_end}
  end
  redis.call('HSET', h, 'failures', failures, 'locked_until', 0)
  return {'invalid', 0}
end
"""
_TAKE_LUA = (
    _FAILURE_LUA
    + """
local h = KEYS[1]
local step, doc, now = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local locked = tonumber(redis.call('HGET', h, 'locked_until') or '0')
if locked > now then return {'locked', locked} end
if locked > 0 then redis.call('HSET', h, 'locked_until', 0, 'failures', 0) end
local last = tonumber(redis.call('HGET', h, 'step') or '-1')
local retry = step == last and redis.call('HGET', h, 'doc') == doc
  and redis.call('HGET', h, 'state') == 'released'
if step < last or (step == last and not retry) then
  local r = failure(h, now, tonumber(ARGV[4]), tonumber(ARGV[5]))
  return {'replayed', r[2]}
end
redis.call('HSET', h, 'step', step, 'doc', doc, 'state', 'reserved', 'failures', 0)
return {'ok', 0}
"""
)
_FAIL_LUA = (
    _FAILURE_LUA
    + """
return failure(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
"""
)
_FINISH_LUA = """
if redis.call('HGET', KEYS[1], 'step') == ARGV[1]
   and redis.call('HGET', KEYS[1], 'state') == 'reserved' then
  redis.call('HSET', KEYS[1], 'state', ARGV[2])
end
return 0
"""
_RESERVE_LUA = """
local total = tonumber(redis.call('HGET', KEYS[1], 'total') or '0')
local today = tonumber(redis.call('GET', KEYS[2]) or '0')
local per_day, max_total = tonumber(ARGV[1]), tonumber(ARGV[2])
if max_total > 0 and total >= max_total then return 'max_signatures_total' end
if per_day > 0 and today >= per_day then return 'max_signatures_per_day' end
redis.call('HINCRBY', KEYS[1], 'total', 1)
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return 'ok'
"""
_RELEASE_LUA = """
if tonumber(redis.call('HGET', KEYS[1], 'total') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'total', -1)
end
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 0
"""
_LAST_USE_LUA = """
if ARGV[2] == '1' then
  redis.call('HINCRBY', KEYS[1], 'total', 1)
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
end
local last = tonumber(redis.call('HGET', KEYS[1], 'last_use') or '0')
if tonumber(ARGV[1]) > last then redis.call('HSET', KEYS[1], 'last_use', ARGV[1]) end
return 0
"""


def redis_key_prefix(namespace: str, key: str) -> str:
    """``<namespace>:key:<name>`` (the name percent-encoded: it may hold a colon)."""
    return f"{namespace}:key:{quote(key, safe='')}"


class RedisKeyState:
    """The same rules in Redis: ``<ns>:key:<name>:consent`` (hash), ``:usage`` (hash: total,
    last_use) and ``:day:<YYYY-MM-DD>`` (a counter that expires after three days).

    Raises :class:`Unavailable` (``KEY_STATE_UNAVAILABLE``) when Redis cannot be reached.
    """

    def __init__(self, client: Any, namespace: str) -> None:
        self._redis = client
        self._namespace = namespace
        self._take = client.register_script(_TAKE_LUA)
        self._fail = client.register_script(_FAIL_LUA)
        self._finish = client.register_script(_FINISH_LUA)
        self._reserve = client.register_script(_RESERVE_LUA)
        self._release = client.register_script(_RELEASE_LUA)
        self._last_use = client.register_script(_LAST_USE_LUA)

    def _k(self, key: str, part: str) -> str:
        return f"{redis_key_prefix(self._namespace, key)}:{part}"

    def _call(self, fn: Callable[[], Any]) -> Any:
        from redis.exceptions import RedisError

        try:
            return fn()
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc

    @staticmethod
    def _outcome(raw: Any) -> tuple[Outcome, int]:
        word, number = raw
        text = word.decode() if isinstance(word, bytes) else str(word)
        return text, int(number)  # type: ignore[return-value]

    def take_step(
        self, key: str, step: int, document: str, now: int, policy: ConsentPolicy
    ) -> tuple[Outcome, int]:
        args = [step, document, now, policy.max_failures, policy.lock_seconds]
        return self._outcome(self._call(lambda: self._take([self._k(key, "consent")], args)))

    def count_failure(self, key: str, now: int, policy: ConsentPolicy) -> tuple[Outcome, int]:
        args = [now, policy.max_failures, policy.lock_seconds]
        return self._outcome(self._call(lambda: self._fail([self._k(key, "consent")], args)))

    def finish_step(self, key: str, step: int, signed: bool) -> None:
        state = "used" if signed else "released"
        self._call(lambda: self._finish([self._k(key, "consent")], [step, state]))

    def reset_failures(self, key: str) -> None:
        self._call(lambda: self._redis.hset(self._k(key, "consent"), "failures", 0))

    def consent_state(self, key: str) -> ConsentState:
        raw = self._call(
            lambda: self._redis.hmget(self._k(key, "consent"), "failures", "locked_until")
        )
        return ConsentState(int(raw[0] or 0), int(raw[1] or 0))

    def clear_consent(self, key: str) -> None:
        self._call(lambda: self._redis.delete(self._k(key, "consent")))

    def reserve_use(self, key: str, day: date, per_day: int | None, total: int | None) -> LimitHit:
        keys = [self._k(key, "usage"), self._k(key, f"day:{day.isoformat()}")]
        raw = self._call(lambda: self._reserve(keys, [per_day or 0, total or 0, _DAY_TTL_SECONDS]))
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        hits: dict[str, LimitHit] = {
            "ok": "ok",
            "max_signatures_per_day": "max_signatures_per_day",
            "max_signatures_total": "max_signatures_total",
        }
        return hits[text]

    def release_use(self, key: str, day: date) -> None:
        keys = [self._k(key, "usage"), self._k(key, f"day:{day.isoformat()}")]
        self._call(lambda: self._release(keys, []))

    def record_use(self, key: str, when: datetime, day: date | None = None) -> None:
        keys = [self._k(key, "usage"), self._k(key, f"day:{(day or when.date()).isoformat()}")]
        args = [f"{when.timestamp():.6f}", 1 if day is not None else 0, _DAY_TTL_SECONDS]
        self._call(lambda: self._last_use(keys, args))

    def close(self) -> None:
        """Nothing waits in memory: every change is in Redis."""

    def usage(self, key: str, day: date) -> KeyUsage:
        def _read() -> tuple[Any, Any, Any]:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hget(self._k(key, "usage"), "total")
            pipe.hget(self._k(key, "usage"), "last_use")
            pipe.get(self._k(key, f"day:{day.isoformat()}"))
            total, last, today = pipe.execute()
            return total, last, today

        total, last, today = self._call(_read)
        from datetime import UTC

        when = datetime.fromtimestamp(float(last), UTC) if last else None
        return KeyUsage(int(total or 0), int(today or 0), when)


__all__ = [
    "ConsentPolicy",
    "ConsentState",
    "FileKeyState",
    "KeyStateStore",
    "KeyUsage",
    "LimitHit",
    "Outcome",
    "RedisKeyState",
    "count_failure",
    "finish_step",
    "redis_key_prefix",
    "release_use",
    "reserve_use",
    "take_step",
]
