"""Redis storage shared by the replicas.

Keys (``<ns>`` is ``trust_store.redis_namespace``)::

    <ns>:trust:version        current version number
    <ns>:trust:state:<v>      the whole snapshot of version v (JSON, PEMs inline)
    <ns>:trust:changed        pub/sub channel; the new version is published
    <ns>:audit:stream / head  the audit chain (see trust_store.audit)

A change is one Lua script: compare the version (and the audit head), write
the new state, bump the version, append the audit entry, publish.  Replicas
listen on the channel and also poll the version, so a lost message costs at
most one poll interval.  When Redis is unreachable a replica keeps serving its
last good snapshot, reports itself degraded, counts the errors and reloads as
soon as Redis answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from kyso.errors import Unavailable
from trust_store.audit import AuditDraft, AuditEntry, RedisAuditLog, seal
from trust_store.model import TrustSnapshot
from trust_store.state_codec import decode_inline, encode_inline

log = logging.getLogger("kyso.trust.redis")

_OLD_STATE_SECONDS = 3600

_COMMIT_LUA = """
local v = redis.call('GET', KEYS[1]) or '0'
if v ~= ARGV[1] then return -1 end
local head = redis.call('GET', KEYS[3]) or ''
if head ~= ARGV[4] then return -2 end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[4], '*', 'entry', ARGV[5])
redis.call('SET', KEYS[3], ARGV[6])
if ARGV[1] ~= '0' then redis.call('EXPIRE', KEYS[6], tonumber(ARGV[7])) end
redis.call('PUBLISH', KEYS[5], ARGV[2])
return 1
"""

_SEED_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""


def _unavailable(exc: BaseException) -> Unavailable:
    err = Unavailable("TRUST_STORE_UNAVAILABLE", problem="Redis is unreachable")
    err.__cause__ = exc
    return err


class RedisBackend:
    def __init__(
        self,
        redis: Any,
        audit: RedisAuditLog[AuditDraft, AuditEntry],
        *,
        namespace: str = "kyso",
        poll_seconds: float = 0.5,
        seed: TrustSnapshot | None = None,
    ) -> None:
        self._redis = redis
        self.audit = audit
        self._ns = namespace
        self._poll = max(0.05, poll_seconds)
        self._version_key = f"{namespace}:trust:version"
        self._channel = f"{namespace}:trust:changed"
        self._commit = redis.register_script(_COMMIT_LUA)
        self._seed_script = redis.register_script(_SEED_LUA)
        self._seed = seed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last: TrustSnapshot | None = None
        self._on_change: Callable[[TrustSnapshot], None] | None = None
        self.degraded = False
        self.redis_errors = 0
        self.last_sync = 0.0

    def _state_key(self, version: int) -> str:
        return f"{self._ns}:trust:state:{version}"

    # -- reading ---------------------------------------------------------------

    def _seed_if_empty(self) -> None:
        """Fill an empty Redis: first start (from the local directory) or a Redis that came
        back without its data (from this replica's last good copy)."""
        with self._lock:
            candidates = [s for s in (self._seed, self._last) if s is not None]
        source = max(candidates, key=lambda s: s.version, default=None)
        if source is None or source.version < 1:
            return
        seeded = self._seed_script(
            keys=[self._version_key, self._state_key(source.version)],
            args=[str(source.version), encode_inline(source)],
        )
        if int(seeded) == 1 and self._seed is None:
            log.warning(
                "trust store: Redis had no trust state; restored version %d from this replica",
                source.version,
            )
        self._seed = None

    def load(self) -> TrustSnapshot:
        """The current snapshot from Redis; raises Unavailable when Redis is down."""
        try:
            for _ in range(5):
                raw_version = self._redis.get(self._version_key)
                if raw_version is None:
                    self._seed_if_empty()
                    raw_version = self._redis.get(self._version_key)
                version = int(raw_version) if raw_version else 0
                self._seed = None  # Redis holds the state now; the local files are history
                with self._lock:
                    last = self._last
                if last is not None and last.version == version:
                    return last
                if version == 0:
                    snap = TrustSnapshot(version=0)
                else:
                    raw = self._redis.get(self._state_key(version))
                    if raw is None:  # replaced and expired between the two reads: read again
                        continue
                    snap = decode_inline(raw)
                with self._lock:
                    self._last = snap
                return snap
        except (RedisError, OSError) as exc:
            self._failed(exc)
            raise _unavailable(exc) from exc
        raise _unavailable(RuntimeError("state kept changing"))

    # -- writing ---------------------------------------------------------------

    def commit(
        self, base: TrustSnapshot, new: TrustSnapshot, draft: AuditDraft
    ) -> AuditEntry | None:
        state = encode_inline(new)
        try:
            for _ in range(50):
                head_raw, seq, prev = self.audit.head()
                entry = seal(draft, seq=seq + 1, prev=prev)
                result = int(
                    self._commit(
                        keys=[
                            self._version_key,
                            self._state_key(new.version),
                            self.audit.head_key,
                            self.audit.stream_key,
                            self._channel,
                            self._state_key(base.version),
                        ],
                        args=[
                            str(base.version),
                            str(new.version),
                            state,
                            head_raw,
                            entry.to_json(),
                            RedisAuditLog.head_value(entry),
                            str(_OLD_STATE_SECONDS),
                        ],
                    )
                )
                if result == 1:
                    with self._lock:
                        self._last = new
                    self.audit.note_appended(entry)  # a signed checkpoint every N entries
                    return entry
                if result == -1:
                    return None
                # -2: a refused attempt was audited meanwhile; seal again on the new head
        except (RedisError, OSError) as exc:
            self._failed(exc)
            raise _unavailable(exc) from exc
        raise _unavailable(RuntimeError("audit head kept moving"))

    # -- following changes made elsewhere ---------------------------------------

    def start(self, on_change: Callable[[TrustSnapshot], None]) -> None:
        self._on_change = on_change
        self._thread = threading.Thread(target=self._follow, name="kyso-trust-sync", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        pubsub = None
        while not self._stop.is_set():
            try:
                if pubsub is None:
                    pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                    pubsub.subscribe(self._channel)
                self._sync_once()
                # Wait for a publication, at most one poll interval.
                pubsub.get_message(timeout=self._poll)
            except (RedisError, OSError, ValueError) as exc:
                self._failed(exc)
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except (RedisError, OSError):
                        pass
                    pubsub = None
                self._stop.wait(self._poll)
            except Exception:  # the follower must never die silently
                log.exception("trust store follower error")
                self._stop.wait(self._poll)
        if pubsub is not None:
            try:
                pubsub.close()
            except (RedisError, OSError):
                pass

    def _sync_once(self) -> None:
        with self._lock:
            before = self._last.version if self._last is not None else -1
        snap = self.load()
        self.last_sync = time.time()
        if self.degraded:
            log.warning("trust store: Redis reachable again; at version %d", snap.version)
            self.degraded = False
            if self._on_change is not None:
                self._on_change(snap)
            return
        if snap.version != before and self._on_change is not None:
            self._on_change(snap)

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self.redis_errors += 1
        if not self.degraded:
            log.warning(
                "trust store: Redis unreachable (%s); serving the last good copy",
                type(exc).__name__,
            )
        self.degraded = True

    def status(self) -> dict[str, Any]:
        warning = (
            "Redis unreachable: serving the last good copy of the trust store"
            if self.degraded
            else ""
        )
        return {
            "storage": "redis",
            "degraded": self.degraded,
            "warning": warning,
            "redis_errors": self.redis_errors,
            "last_sync": self.last_sync,
        }

    def recover(self) -> None:
        return None

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
