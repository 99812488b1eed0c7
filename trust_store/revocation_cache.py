"""Shared OCSP/CRL/certificate fetchers for signer prechecks and verification.

Initial version: pyhanko-certvalidator's requests fetchers without a shared
cache; the trust-store issue replaces this with a nextUpdate-aware cache
(Redis when configured, in-process otherwise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

if TYPE_CHECKING:
    from service.config import Config


def fetcher_backend(config: Config, redis: Any | None = None) -> RequestsFetcherBackend:
    del config, redis
    return RequestsFetcherBackend(per_request_timeout=5)
