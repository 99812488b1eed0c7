"""The shared OCSP/CRL cache against certomancer's real responders over HTTP (and real Redis)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from asn1crypto import ocsp
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.authority import AuthorityWithCert

from kyso.pki.fetching import HttpFetcher
from kyso.pki.parsed import is_materialised
from kyso.pki.revocation_cache import CachingFetcherBackend, RevocationCache
from kyso.pki.settings import FetchSettings
from kyso.server.log_privacy import apply_personal_name_policy
from tests.pki import TestPki

#: The test responders listen on 127.0.0.1, which fetches may reach only when configured.
LOCAL = HttpFetcher(FetchSettings(timeout_seconds=3, allowed_networks=("127.0.0.1/32",)))


@pytest.fixture(autouse=True)
def _no_personal_names_in_logs() -> None:
    """As ``kyso serve`` sets it (log_personal_names = false): this file uses the cache
    without a server, and the session's log scan must not see certvalidator's subjects."""
    apply_personal_name_policy(False)


class _Clock:
    """Real time plus an offset, so a test can step past nextUpdate without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def _backend(
    redis_client: Any = None, clock: Callable[[], float] = time.time, **kw: Any
) -> CachingFetcherBackend:
    cache = RevocationCache(
        redis_client, clock=clock, namespace=f"kyso-test-{uuid.uuid4().hex[:8]}", **kw
    )
    return CachingFetcherBackend(cache, LOCAL)


def _ocsp(
    backend: CachingFetcherBackend, pki: TestPki, label: str = "personal"
) -> ocsp.OCSPResponse:
    async def run() -> ocsp.OCSPResponse:
        fetchers = backend.get_fetchers()  # fresh per call, like one validation each
        return await fetchers.ocsp_fetcher.fetch(pki.cert(label), AuthorityWithCert(pki.cert("ca")))

    return asyncio.run(run())


def _crls(backend: CachingFetcherBackend, pki: TestPki, label: str = "personal") -> list[Any]:
    async def run() -> list[Any]:
        return list(await backend.get_fetchers().crl_fetcher.fetch(pki.cert(label)))

    return asyncio.run(run())


def _next_update(resp: ocsp.OCSPResponse) -> float:
    single = resp["response_bytes"]["response"].parsed["tbs_response_data"]["responses"][0]
    return float(single["next_update"].native.timestamp())


def test_ocsp_answer_is_reused_until_next_update(pki: TestPki) -> None:
    clock = _Clock()
    backend = _backend(clock=clock)
    first = _ocsp(backend, pki)
    assert first["response_status"].native == "successful"
    second = _ocsp(backend, pki)
    assert second.dump() == first.dump()
    stats = backend.stats()
    assert (stats.misses, stats.hits) == (1, 1)
    # Past nextUpdate the cache asks the responder again.
    clock.offset = _next_update(first) - time.time() + 1
    third = _ocsp(backend, pki)
    assert backend.stats().misses == 2
    assert third["response_status"].native == "successful"
    assert not backend.is_stale(third)


def test_hits_share_one_fully_parsed_object(pki: TestPki) -> None:
    """asn1crypto parses lazily and certvalidator walks (and registers the certificates of)
    what it is given: one cached object still being parsed when two request threads read it
    raced (a signer's precheck answered INTERNAL, KeyError in NameTypeAndValue, under
    concurrent first Signs). The cache parses every entry fully before anyone sees it, then
    hands the same object to every hit (what one request memoises, the next reuses); and
    concurrent hits all succeed."""
    backend = _backend()
    first, second, third = _ocsp(backend, pki), _ocsp(backend, pki), _ocsp(backend, pki)
    assert first is second is third
    assert is_materialised(first) and first._native is not None  # native: filled once, read after
    crl_a, crl_b = _crls(backend, pki)[0], _crls(backend, pki)[0]
    assert crl_a is crl_b and is_materialised(crl_a)

    def walk(_: int) -> str:
        resp = _ocsp(backend, pki)
        basic = resp["response_bytes"]["response"].parsed
        names = [c.subject.human_friendly for c in basic["certs"] or ()]
        status = basic["tbs_response_data"]["responses"][0]["cert_status"].name
        return f"{status}:{len(names)}"

    with ThreadPoolExecutor(8) as pool:
        results = set(pool.map(walk, range(64)))
    assert len(results) == 1


def test_crl_cached_per_issuer_and_url(pki: TestPki) -> None:
    backend = _backend()
    first = _crls(backend, pki)
    assert len(first) == 1
    again = _crls(backend, pki, "organisation")  # same CA, same distribution point
    assert [c.dump() for c in again] == [c.dump() for c in first]
    stats = backend.stats()
    assert (stats.misses, stats.hits) == (1, 1)
    # A certificate of another CA uses another key even if it were the same URL.
    _crls(backend, pki, "stranger")
    assert backend.stats().misses == 2


def test_stale_answer_served_within_grace_when_responder_is_down(tmp_path: Path) -> None:
    own = TestPki(tmp_path / "pki").start()  # its responders are ours to stop
    clock = _Clock()
    backend = _backend(clock=clock, stale_grace=3600)
    try:
        fresh = _ocsp(backend, own)
        crl_fresh = _crls(backend, own)
    finally:
        own.close()
    assert not backend.is_stale(fresh)
    # Responder down, but still fresh: served from the cache, not stale.
    assert _ocsp(backend, own).dump() == fresh.dump()
    # Past nextUpdate, inside the grace: the old answer, marked stale.
    clock.offset = _next_update(fresh) - time.time() + 60
    stale = _ocsp(backend, own)
    assert stale.dump() == fresh.dump()
    assert backend.is_stale(stale)
    crl_next = crl_fresh[0]["tbs_cert_list"]["next_update"].native.timestamp()
    clock.offset = max(clock.offset, crl_next - time.time() + 60)
    stale_crls = _crls(backend, own)
    assert backend.is_stale(stale_crls[0])
    assert backend.stats().stale_served >= 2
    assert backend.stats().fetch_errors >= 2
    # Beyond the grace there is no answer at all.
    clock.offset += 7200
    with pytest.raises(cv_errors.OCSPValidationError):
        _ocsp(backend, own)


def test_replicas_share_answers_through_redis(pki: TestPki, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    namespace = f"kyso-test-{uuid.uuid4().hex[:8]}"
    a = CachingFetcherBackend(RevocationCache(client, namespace=namespace), LOCAL)
    b = CachingFetcherBackend(RevocationCache(client, namespace=namespace), LOCAL)
    resp = _ocsp(a, pki)
    assert a.stats().misses == 1
    assert _ocsp(b, pki).dump() == resp.dump()
    assert (b.stats().hits, b.stats().misses) == (1, 0)
    assert any(
        k.startswith(f"{namespace}:revocation:".encode()) for k in client.keys(f"{namespace}:*")
    )
    client.close()


def test_unreachable_redis_falls_back_to_the_responder(pki: TestPki) -> None:
    from kyso.demo.pki import free_port

    dead = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2)
    backend = CachingFetcherBackend(RevocationCache(dead), LOCAL)
    assert _ocsp(backend, pki)["response_status"].native == "successful"
    assert backend.stats().redis_errors >= 1
    _ocsp(backend, pki)  # the in-process level still serves
    assert backend.stats().hits == 1


def test_hits_are_answered_without_asking_the_responder(pki: TestPki) -> None:
    """What a hit costs is measured by bench/bench_verify.py (one-page Verify, cached), not
    here: a timed assertion fails on a busy machine, not on a slow cache."""
    backend = _backend()
    cert, authority = pki.cert("personal"), AuthorityWithCert(pki.cert("ca"))

    async def run(n: int) -> None:
        await backend.get_fetchers().ocsp_fetcher.fetch(cert, authority)  # the one miss
        for _ in range(n):
            await backend.get_fetchers().ocsp_fetcher.fetch(cert, authority)

    asyncio.run(run(500))
    assert (backend.stats().hits, backend.stats().misses) == (500, 1)
