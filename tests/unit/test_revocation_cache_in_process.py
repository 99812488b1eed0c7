"""kyso.pki.revocation_cache.RevocationCache in-process: nextUpdate, stale grace, bounds, Redis
trouble. A hand-stepped clock; the responders themselves are exercised in
tests/integration/test_revocation_cache.py.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import redis
from asn1crypto import ocsp
from redis.backoff import NoBackoff
from redis.retry import Retry

from kyso.pki.revocation_cache import CacheStats, RevocationCache

T0 = 1_750_000_000.0  # epoch seconds


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def _response(status: str = "try_later") -> ocsp.OCSPResponse:
    """A real (tiny) OCSP response: what the cache keys stale marks on is its DER."""
    return ocsp.OCSPResponse({"response_status": status})


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


def _cache(clock: _Clock, redis_client: Any = None, **kw: Any) -> RevocationCache:
    return RevocationCache(redis_client, clock=clock, **kw)


def test_an_answer_is_fresh_until_its_next_update() -> None:
    clock = _Clock()
    cache = _cache(clock)
    resp = _response()
    cache.store("ocsp:a", resp.dump(), resp, _at(3600))
    entry = cache.lookup("ocsp:a", ocsp.OCSPResponse.load)
    assert entry is not None and entry.obj is resp
    assert entry.fresh(cache.now())
    clock.now = T0 + 3599
    assert entry.fresh(cache.now())
    clock.now = T0 + 3600
    assert not entry.fresh(cache.now())
    # past nextUpdate the entry is still returned, so the fetcher can fall back to it
    assert cache.lookup("ocsp:a", ocsp.OCSPResponse.load) is entry


def test_without_next_update_the_fallback_ttl_applies() -> None:
    clock = _Clock()
    cache = _cache(clock, fallback_ttl=600)
    resp = _response()
    entry = cache.store("crl:x", resp.dump(), resp, None)
    assert entry.expires_at == T0 + 600


def test_an_answer_already_past_next_update_is_never_fresh() -> None:
    clock = _Clock()
    cache = _cache(clock)
    resp = _response()
    entry = cache.store("ocsp:old", resp.dump(), resp, _at(-60))
    assert entry.expires_at == T0
    assert not entry.fresh(cache.now())


def test_stale_answers_are_usable_within_the_grace_and_remembered() -> None:
    clock = _Clock()
    cache = _cache(clock, stale_grace=100)
    resp = _response()
    entry = cache.store("ocsp:a", resp.dump(), resp, _at(10))
    assert not cache.is_stale(resp)
    clock.now = T0 + 109
    assert cache.usable_stale(entry)
    cache.mark_stale(entry)
    assert cache.is_stale(resp)
    assert cache.is_stale(ocsp.OCSPResponse.load(resp.dump()))  # by content, not identity
    assert not cache.is_stale(_response("internal_error"))
    assert cache.snapshot_stats().stale_served == 1
    clock.now = T0 + 110
    assert not cache.usable_stale(entry)
    assert not cache.usable_stale(None)


def test_unknown_keys() -> None:
    assert _cache(_Clock()).lookup("ocsp:none", ocsp.OCSPResponse.load) is None


def test_the_local_level_is_bounded_oldest_stored_first() -> None:
    """Eviction follows storing (a read does not reorder): a refreshed answer moves to the end."""
    cache = _cache(_Clock(), max_local_entries=2)
    resp = _response()
    for key in ("a", "b"):
        cache.store(key, resp.dump(), resp, _at(60))
    cache.store("a", resp.dump(), resp, _at(120))  # "a" refreshed: "b" is now the oldest
    cache.store("c", resp.dump(), resp, _at(60))
    assert cache.lookup("b", ocsp.OCSPResponse.load) is None
    assert cache.lookup("a", ocsp.OCSPResponse.load) is not None
    assert cache.lookup("c", ocsp.OCSPResponse.load) is not None


def test_counters_are_a_snapshot() -> None:
    cache = _cache(_Clock())
    cache.count(hit=True)
    cache.count(hit=False)
    cache.count(hit=False)
    cache.count_fetch_error()
    stats = cache.snapshot_stats()
    assert stats == CacheStats(hits=1, misses=2, fetch_errors=1)
    cache.count(hit=True)
    assert stats.hits == 1  # the snapshot does not move


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


def test_redis_down_never_fails_and_the_local_level_serves() -> None:
    """A real Redis client with nothing listening: errors are counted, answers still served."""
    client = redis.Redis(
        host="127.0.0.1",
        port=_closed_port(),
        socket_connect_timeout=0.5,
        retry=Retry(NoBackoff(), 0),  # fail at once: the cache's fallback is what is tested
    )
    try:
        cache = _cache(_Clock(), client)
        resp = _response()
        cache.store("ocsp:a", resp.dump(), resp, _at(60))  # the put fails
        entry = cache.lookup("ocsp:a", ocsp.OCSPResponse.load)  # fresh locally: no Redis read
        assert entry is not None and entry.obj is resp
        assert cache.lookup("ocsp:other", ocsp.OCSPResponse.load) is None  # the get fails
        assert cache.snapshot_stats().redis_errors == 2
    finally:
        client.close()
