"""Shared OCSP/CRL cache in front of pyhanko-certvalidator's fetchers.

Signer prechecks and verification ask the same responders about the same
certificates; a responder answer is valid until its ``nextUpdate``, so one
answer can serve every request (and, through Redis, every replica) until then.
When a responder is down, an expired answer is served for a configurable grace
period and remembered as *stale* so the verifier can say so in its report
(:meth:`CachingFetcherBackend.is_stale`).

Two levels: an in-process dictionary of parsed objects (a hit costs a few
microseconds) and, when ``redis_url`` is configured, Redis shared by the
replicas.  Redis trouble never fails a validation: the cache just falls back
to the responder and counts the error.
"""

from __future__ import annotations

import hashlib
import logging
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from asn1crypto import cms, crl, ocsp, pem, x509
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.authority import Authority
from pyhanko_certvalidator.fetchers.api import FetcherBackend, Fetchers, FetchLimits
from pyhanko_certvalidator.fetchers.common_utils import (
    FetchBudget,
    FetchKind,
    crl_job_results_as_completed,
    enumerate_delivery_point_urls,
)
from pyhanko_certvalidator.fetchers.requests_fetchers.cert_fetch_client import (
    RequestsCertificateFetcher,
)
from pyhanko_certvalidator.fetchers.requests_fetchers.crl_client import RequestsCRLFetcher
from pyhanko_certvalidator.fetchers.requests_fetchers.ocsp_client import RequestsOCSPFetcher
from pyhanko_certvalidator.util import get_ocsp_urls, get_relevant_crl_dps, issuer_serial
from redis.exceptions import RedisError

from kyso.pki.fetching import Fetched, HttpFetcher, Purpose, RequestBudget, current_budget
from kyso.pki.parsed import materialise
from kyso.pki.settings import FetchSettings

log = logging.getLogger("kyso.revocation")

_HEADER = struct.Struct(">d")  # expires_at (epoch seconds) before the DER bytes
_STALE_MEMORY = 4096


#: Above this size an entry (a large CRL) is parsed but not converted to ``native``: the dicts
#: would stay in memory as long as the entry, and certvalidator reads a CRL entry by entry.
_NATIVE_MAX_BYTES = 256 * 1024


def _shareable(obj: Any, der: bytes) -> Any:
    return materialise(obj, with_native=len(der) <= _NATIVE_MAX_BYTES)


@dataclass(frozen=True)
class _Entry:
    der: bytes
    obj: Any  # parsed asn1crypto object, fully parsed before it is shared (kyso.pki.parsed)
    expires_at: float  # nextUpdate, or stored_at + fallback TTL

    def fresh(self, now: float) -> bool:
        return now < self.expires_at

    def shared(self) -> Any:
        """The entry's object, shared by every request that hits it: it was fully parsed
        (:func:`kyso.pki.parsed.materialise`) before it was stored, so concurrent readers
        only read, and what one request memoises on it (name hashes, the responder's
        certificate registration: ~2 ms per OCSP response) the next one reuses."""
        return self.obj


@dataclass
class CacheStats:
    """Counters reported by the TrustStore Status RPC and health."""

    hits: int = 0
    misses: int = 0
    stale_served: int = 0
    fetch_errors: int = 0
    redis_errors: int = 0


class RevocationCache:
    """nextUpdate-aware store of OCSP responses and CRLs, keyed by kind and key."""

    def __init__(
        self,
        redis: Any | None = None,
        *,
        fallback_ttl: float = 600,
        stale_grace: float = 86400,
        max_local_entries: int = 20000,
        namespace: str = "kyso",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._prefix = f"{namespace}:revocation:"
        self.fallback_ttl = fallback_ttl
        self.stale_grace = stale_grace
        self._max = max_local_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._local: OrderedDict[str, _Entry] = OrderedDict()
        self._stale: OrderedDict[bytes, float] = OrderedDict()
        self.stats = CacheStats()

    def now(self) -> float:
        return self._clock()

    # -- lookups ---------------------------------------------------------------

    def lookup(self, key: str, parse: Callable[[bytes], Any]) -> _Entry | None:
        """The best entry known for ``key`` (fresh or not), local first, then Redis."""
        now = self._clock()
        with self._lock:
            entry = self._local.get(key)
        if entry is not None and entry.fresh(now):
            return entry
        shared = self._redis_get(key, parse)
        if shared is not None and (entry is None or shared.expires_at > entry.expires_at):
            self._remember(key, shared)
            return shared
        return entry

    def store(self, key: str, der: bytes, obj: Any, next_update: datetime | None) -> _Entry:
        now = self._clock()
        expires = next_update.timestamp() if next_update is not None else now + self.fallback_ttl
        if expires <= now:  # already past nextUpdate: usable once, never "fresh" later
            expires = now
        entry = _Entry(der=der, obj=_shareable(obj, der), expires_at=expires)
        self._remember(key, entry)
        self._redis_put(key, entry, now)
        return entry

    def usable_stale(self, entry: _Entry | None) -> bool:
        return entry is not None and self._clock() < entry.expires_at + self.stale_grace

    def mark_stale(self, entry: _Entry) -> None:
        digest = hashlib.sha256(entry.der).digest()
        with self._lock:
            self.stats.stale_served += 1
            self._stale[digest] = self._clock()
            self._stale.move_to_end(digest)
            while len(self._stale) > _STALE_MEMORY:
                self._stale.popitem(last=False)

    def is_stale(self, obj: ocsp.OCSPResponse | crl.CertificateList) -> bool:
        """True if ``obj`` was served after its nextUpdate because its responder was down."""
        digest = hashlib.sha256(obj.dump()).digest()
        with self._lock:
            return digest in self._stale

    def count(self, *, hit: bool) -> None:
        with self._lock:
            if hit:
                self.stats.hits += 1
            else:
                self.stats.misses += 1

    def count_fetch_error(self) -> None:
        with self._lock:
            self.stats.fetch_errors += 1

    def snapshot_stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(**vars(self.stats))

    # -- levels ----------------------------------------------------------------

    def _remember(self, key: str, entry: _Entry) -> None:
        with self._lock:
            self._local[key] = entry
            self._local.move_to_end(key)
            while len(self._local) > self._max:
                self._local.popitem(last=False)

    def _redis_get(self, key: str, parse: Callable[[bytes], Any]) -> _Entry | None:
        if self._redis is None:
            return None
        try:
            raw = self._redis.get(self._prefix + key)
        except (RedisError, OSError):  # Redis down: fall back to the responder
            self._redis_failed()
            return None
        if not raw or len(raw) <= _HEADER.size:
            return None
        (expires_at,) = _HEADER.unpack_from(raw)
        der = bytes(raw[_HEADER.size :])
        try:
            obj = parse(der)
        except ValueError:
            return None
        return _Entry(der=der, obj=_shareable(obj, der), expires_at=expires_at)

    def _redis_put(self, key: str, entry: _Entry, now: float) -> None:
        if self._redis is None:
            return
        keep_ms = int((entry.expires_at + self.stale_grace - now) * 1000)
        if keep_ms <= 0:
            return
        try:
            value = _HEADER.pack(entry.expires_at) + entry.der
            self._redis.set(self._prefix + key, value, px=keep_ms)
        except (RedisError, OSError):  # the local level still holds it
            self._redis_failed()

    def _redis_failed(self) -> None:
        with self._lock:
            self.stats.redis_errors += 1
        log.warning("revocation cache: Redis unreachable, using the responder directly")


# -- key derivation and expiry -------------------------------------------------


def _ocsp_key(cert: x509.Certificate | cms.AttributeCertificateV2, authority: Authority) -> str:
    h = hashlib.sha256(b"ocsp\0")
    h.update(issuer_serial(cert))
    h.update(b"\0")
    h.update(authority.public_key.dump())
    for url in get_ocsp_urls(cert):
        h.update(b"\0" + url.encode())
    return "ocsp:" + h.hexdigest()


def _issuer_tag(cert: x509.Certificate | cms.AttributeCertificateV2) -> bytes:
    """Issuer name and key identifier: a regenerated CA at the same URL is a different key."""
    if isinstance(cert, x509.Certificate):
        aki = cert.authority_key_identifier or b""
        return cert.issuer.dump() + b"\0" + aki
    return issuer_serial(cert)


def _crl_key(url: str, issuer: bytes) -> str:
    h = hashlib.sha256(b"crl\0" + issuer + b"\0" + url.encode())
    return "crl:" + h.hexdigest()


def _ocsp_next_update(resp: ocsp.OCSPResponse) -> datetime | None:
    try:
        basic = resp["response_bytes"]["response"].parsed
        singles = basic["tbs_response_data"]["responses"]
        updates = [s["next_update"].native for s in singles if s["next_update"].native is not None]
    except (KeyError, ValueError, TypeError):
        return None
    return min(updates) if updates else None


def _crl_next_update(cl: crl.CertificateList) -> datetime | None:
    try:
        value = cl["tbs_cert_list"]["next_update"].native
    except (KeyError, ValueError):
        return None
    return value if isinstance(value, datetime) else None


# -- fetchers --------------------------------------------------------------------------------


class _BoundedHttp:
    """certvalidator's requests-based fetchers, their HTTP routed through :mod:`kyso.pki.fetching`
    (total time, body size, the request's budget, the address and AIA rules) instead of
    ``requests`` in a helper thread."""

    purpose: Purpose
    _http: HttpFetcher
    _request_budget: RequestBudget

    async def _get(self, url: str, *, acceptable_content_types: Any) -> Fetched:
        return await self._http.get(
            url,
            self.purpose,
            accept=",".join(acceptable_content_types),
            budget=self._request_budget,
        )

    async def _post(
        self, url: str, data: bytes, *, content_type: str, acceptable_content_types: Any
    ) -> Fetched:
        return await self._http.post(
            url,
            self.purpose,
            data,
            content_type=content_type,
            accept=",".join(acceptable_content_types),
            budget=self._request_budget,
        )


class _CertificateFetcher(_BoundedHttp, RequestsCertificateFetcher):  # type: ignore[misc]
    """caIssuers (AIA) fetches, to the allowed hosts only."""

    purpose = Purpose.AIA

    def __init__(
        self, http: HttpFetcher, request_budget: RequestBudget, budget: FetchBudget
    ) -> None:
        super().__init__(per_request_timeout=http.settings.timeout_seconds, budget=budget)
        self._http = http
        self._request_budget = request_budget


class _CachingOCSPFetcher(_BoundedHttp, RequestsOCSPFetcher):  # type: ignore[misc]
    """Asks the shared cache before the responder; serves stale within the grace."""

    purpose = Purpose.OCSP

    def __init__(
        self,
        cache: RevocationCache,
        http: HttpFetcher,
        request_budget: RequestBudget,
        budget: FetchBudget,
    ) -> None:
        super().__init__(per_request_timeout=http.settings.timeout_seconds, budget=budget)
        self._cache = cache
        self._http = http
        self._request_budget = request_budget

    async def _fetch(
        self, cert: x509.Certificate | cms.AttributeCertificateV2, authority: Authority
    ) -> ocsp.OCSPResponse:
        key = _ocsp_key(cert, authority)
        known = self._cache.lookup(key, ocsp.OCSPResponse.load)
        if known is not None and known.fresh(self._cache.now()):
            self._cache.count(hit=True)
            return known.shared()  # type: ignore[no-any-return]
        self._cache.count(hit=False)
        try:
            resp: ocsp.OCSPResponse = await super()._fetch(cert, authority)
        except cv_errors.OCSPValidationError:
            self._cache.count_fetch_error()
            if known is not None and self._cache.usable_stale(known):
                self._cache.mark_stale(known)
                log.warning("OCSP responder unavailable; serving a cached response past nextUpdate")
                return known.shared()  # type: ignore[no-any-return]
            raise
        self._cache.store(key, resp.dump(), resp, _ocsp_next_update(resp))
        return resp


class _CachingCRLFetcher(_BoundedHttp, RequestsCRLFetcher):  # type: ignore[misc]
    """Caches each distribution point's CRL by issuer and URL until its nextUpdate."""

    purpose = Purpose.CRL

    def __init__(
        self,
        cache: RevocationCache,
        http: HttpFetcher,
        request_budget: RequestBudget,
        budget: FetchBudget,
    ) -> None:
        super().__init__(per_request_timeout=http.settings.timeout_seconds, budget=budget)
        self._cache = cache
        self._http = http
        self._request_budget = request_budget

    async def _fetch(  # type: ignore[override]
        self, cert: x509.Certificate, *, use_deltas: bool
    ) -> AsyncIterator[crl.CertificateList]:
        issuer = _issuer_tag(cert)
        jobs = (
            self._fetch_for_issuer(url, issuer)
            for dp in get_relevant_crl_dps(cert, use_deltas=use_deltas)
            for url in enumerate_delivery_point_urls(dp)
        )
        async for result in crl_job_results_as_completed(jobs):
            yield result

    async def _fetch_for_issuer(self, url: str, issuer: bytes) -> crl.CertificateList:
        key = _crl_key(url, issuer)

        async def task() -> crl.CertificateList:
            known = self._cache.lookup(key, crl.CertificateList.load)
            if known is not None and known.fresh(self._cache.now()):
                self._cache.count(hit=True)
                return known.shared()  # type: ignore[no-any-return]
            self._cache.count(hit=False)
            try:
                fetched = await self._download(url)
            except cv_errors.CRLFetchError:
                self._cache.count_fetch_error()
                if known is not None and self._cache.usable_stale(known):
                    self._cache.mark_stale(known)
                    log.warning("CRL distribution point unavailable; serving a cached CRL")
                    return known.shared()  # type: ignore[no-any-return]
                raise
            self._cache.store(key, fetched.dump(), fetched, _crl_next_update(fetched))
            return fetched

        result: crl.CertificateList = await self._perform_fetch(key, task)
        return result

    async def _download(self, url: str) -> crl.CertificateList:
        self._charge(FetchKind.CRL)
        try:
            response = await self._get(url, acceptable_content_types=("application/pkix-crl",))
            data = response.content
            if pem.detect(data):
                _, _, data = pem.unarmor(data)
            return crl.CertificateList.load(data)
        except (ValueError, requests.RequestException) as exc:
            raise cv_errors.CRLFetchError(f"Failure to fetch CRL from URL {url}") from exc


class CachingFetcherBackend(FetcherBackend):
    """The process's shared backend (``AppContext.revocation``): fresh fetchers, one cache."""

    def __init__(
        self,
        cache: RevocationCache,
        http: HttpFetcher,
        *,
        limits: FetchLimits | None = None,
    ) -> None:
        self.cache = cache
        self.http = http
        self.limits = limits or FetchLimits()

    def get_fetchers(self) -> Fetchers:
        """Fetchers charging the current request's budget (:func:`kyso.pki.fetching.
        request_scope`), or a fresh default one outside a request."""
        budget = FetchBudget(self.limits)
        request_budget = current_budget() or self.http.budget()
        http = self.http
        return Fetchers(
            ocsp_fetcher=_CachingOCSPFetcher(self.cache, http, request_budget, budget),
            crl_fetcher=_CachingCRLFetcher(self.cache, http, request_budget, budget),
            cert_fetcher=_CertificateFetcher(http, request_budget, budget),
        )

    async def close(self) -> None:
        return None

    def is_stale(self, obj: ocsp.OCSPResponse | crl.CertificateList) -> bool:
        """Whether this OCSP response or CRL was served stale (responder down)."""
        return self.cache.is_stale(obj)

    def stats(self) -> CacheStats:
        return self.cache.snapshot_stats()


def fetcher_backend(
    redis: Any | None = None,
    *,
    fallback_ttl: int = 600,
    stale_grace: int = 86400,
    namespace: str = "kyso",
    fetch: FetchSettings | None = None,
) -> CachingFetcherBackend:
    """Build the process-wide backend; Redis-backed when a client is given.

    ``fallback_ttl``: seconds an answer without nextUpdate is reused; ``stale_grace``: seconds
    an expired answer is served while its responder is down; ``fetch``: the ``[fetch]`` limits
    and rules of :mod:`kyso.pki.fetching` (None: the defaults).
    """
    cache = RevocationCache(
        redis, fallback_ttl=fallback_ttl, stale_grace=stale_grace, namespace=namespace
    )
    return CachingFetcherBackend(cache, HttpFetcher(fetch or FetchSettings()))
