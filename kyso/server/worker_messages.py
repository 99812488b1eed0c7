"""The server's side of a worker's questions and reports (:mod:`kyso.server.worker_pool`):
what a worker may put in the shared revocation cache and in the server's log. A worker is
untrusted (docs/security.md, Workers): its words are bounded here before they touch shared
state."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from asn1crypto import crl, ocsp

from kyso.pki.revocation_cache import RevocationCache, _crl_next_update, _ocsp_next_update

log = logging.getLogger("kyso.worker_pool")

#: The longest text of one re-logged line (characters; a traceback may have four times this).
LOG_TEXT = 4096
#: The longest cache key a worker may name (characters).
_KEY_LIMIT = 512


def parser(key: str) -> Callable[[bytes], Any]:
    """The DER parser of a revocation cache entry by its key (``ocsp:…`` or ``crl:…``)."""
    return ocsp.OCSPResponse.load if key.startswith("ocsp:") else crl.CertificateList.load


def cache_put(cache: RevocationCache, limit: int, key: str, der: bytes) -> None:
    """Store a worker's fetched answer in the shared cache: at most ``limit`` bytes
    (``fetch.max_response_bytes``), its freshness read here from the answer itself (never
    the worker's word for it); a malformed answer is dropped."""
    if len(der) > limit or len(key) > _KEY_LIMIT:
        return
    try:
        obj = parser(key)(der)
        is_ocsp = key.startswith("ocsp:")
        next_update = _ocsp_next_update(obj) if is_ocsp else _crl_next_update(obj)
    except Exception:
        return
    with contextlib.suppress(ValueError):
        cache.store(key, der, obj, next_update)


def relog(pid: int, name: str, level: int, text: str, exc_text: str | None) -> None:
    """Log a worker's line through the server's handlers (format, privacy filter, the
    tests' log scan): under a logger the server already has (a new name would create
    loggers without bound), each text cut to :data:`LOG_TEXT`."""
    if name not in logging.Logger.manager.loggerDict:
        name = "kyso.worker"
    logger = logging.getLogger(name)
    if not logger.isEnabledFor(level):
        return
    record = logger.makeRecord(name, level, "(worker)", 0, text[:LOG_TEXT], (), None)
    record.worker = pid
    if exc_text:
        record.exc_text = exc_text[: LOG_TEXT * 4]
    logger.handle(record)


def note_confinement(purpose: str, mode: str, abi: int) -> None:
    """Log how a pool's workers are confined, from its first worker's ``ready`` report
    (docs/security.md, Workers): the Landlock ABI, or a warning in ``auto`` mode without it."""
    if abi:
        log.info("%s workers confined by Landlock (ABI %d)", purpose, abi)
    elif mode == "auto":
        log.warning(
            "%s workers run without Landlock (this kernel offers none): a document that took "
            "over a worker could read what kyso's user can read",
            purpose,
        )


__all__ = ["LOG_TEXT", "cache_put", "note_confinement", "parser", "relog"]
