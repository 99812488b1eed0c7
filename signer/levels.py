"""PAdES baseline levels as pyHanko settings.

B-B: the CMS alone. B-T: plus an RFC 3161 signature timestamp from the TSA.
B-LT: plus the certificates, CRLs and OCSP responses used, in the DSS.
B-LTA: plus a document timestamp over all of that.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from asn1crypto import tsp, x509
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator import ValidationContext

from kyso.errors import InvalidInput, Precondition
from kyso.pki import Revocation, validation_context
from kyso.pki.fetching import FetchFailed, HttpFetcher
from kyso.pki.fetching import Purpose as FetchPurpose
from signer.model import PadesLevel
from trust_store import Purpose, TrustSnapshot

_TIMESTAMPERS: dict[str, HTTPTimeStamper] = {}
_LOCK = threading.Lock()


def private_copies(certs: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    """Per-request copies of shared certificates (trust snapshot, key chain): pyHanko and
    certvalidator re-encode the asn1crypto objects they embed, which races between threads."""
    return [x509.Certificate.load(c.dump()) for c in certs]


def resolve(
    requested: PadesLevel | None, default_level: str | None, tsa_url: str | None
) -> PadesLevel:
    """The level to use: the request's, else the configured default, else B-T with a TSA."""
    if requested is None and default_level:
        try:
            requested = PadesLevel(default_level.upper())
        except ValueError:
            raise InvalidInput(
                "CONFIG_INVALID",
                problem=f"default level {default_level!r} is not B-B, B-T, B-LT or B-LTA",
            ) from None
    level = requested or (PadesLevel.B_T if tsa_url else PadesLevel.B_B)
    if level.rank >= PadesLevel.B_T.rank and not tsa_url:
        raise Precondition("TSA_NOT_CONFIGURED", level=level.value)
    return level


class BoundedTimeStamper(HTTPTimeStamper):
    """pyHanko's RFC 3161 client with its HTTP exchange made by :mod:`kyso.pki.fetching`: the
    request's budget and deadline, ``fetch.timeout_seconds`` in total, a bounded answer.

    A TSA that is down, slow or answers too much raises ``TimestampRequestError``, which the
    signer refuses as ``UNAVAILABLE`` ``TSA_UNAVAILABLE`` (never a silent downgrade to B-B)."""

    def __init__(self, url: str, http: HttpFetcher) -> None:
        super().__init__(url, timeout=http.settings.timeout_seconds)
        self._http = http

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        headers = await self.async_request_headers()
        content_type = headers.pop("Content-Type", "application/timestamp-query")
        try:
            answer = await self._http.post(
                self.url,
                FetchPurpose.TSA,
                req.dump(),
                content_type=content_type,
                accept="application/timestamp-reply",
                headers=headers,
            )
        except FetchFailed as exc:
            raise TimestampRequestError(f"timestamp server: {exc}") from exc
        got = {k.lower(): v for k, v in answer.headers.items()}.get("content-type", "")
        if got.split(";")[0].strip() != "application/timestamp-reply":
            raise TimestampRequestError("timestamp server answered with another content type")
        try:
            return tsp.TimeStampResp.load(answer.content)
        except ValueError as exc:
            raise TimestampRequestError("timestamp server answer is malformed") from exc


def timestamper(tsa_url: str, http: HttpFetcher) -> HTTPTimeStamper:
    """One client per TSA URL: it keeps the TSA's certificate between requests."""
    with _LOCK:
        ts = _TIMESTAMPERS.get(tsa_url)
        if ts is None or getattr(ts, "_http", None) is not http:
            ts = BoundedTimeStamper(tsa_url, http)
            _TIMESTAMPERS[tsa_url] = ts
        return ts


@dataclass(frozen=True)
class LevelSettings:
    """What pyHanko needs for a PAdES level: a timestamper from B-T, validation data embedded
    and a validation context from B-LT, a document timestamp at B-LTA."""

    timestamper: HTTPTimeStamper | None
    embed_validation_info: bool
    use_pades_lta: bool
    validation_context: ValidationContext | None


def settings(
    level: PadesLevel,
    tsa_url: str | None,
    snapshot: TrustSnapshot,
    chain: tuple[x509.Certificate, ...],
    fetcher_backend: Any,
) -> LevelSettings:
    """The :class:`LevelSettings` for ``level``. From B-LT the validation context trusts the
    snapshot's anchors of every purpose and fetches revocation data through ``fetcher_backend``
    in hard-fail mode: what B-LT embeds in the DSS must be complete."""
    http: HttpFetcher = fetcher_backend.http
    ts = timestamper(tsa_url, http) if tsa_url and level.rank >= PadesLevel.B_T.rank else None
    vc = None
    if level.rank >= PadesLevel.B_LT.rank:
        roots = {c.dump(): c for p in Purpose for c in snapshot.anchors(p)}
        vc = validation_context(
            private_copies(roots.values()),
            [*private_copies(snapshot.intermediates()), *chain],
            revocation=Revocation.HARD_FAIL,
            fetch=True,
            fetcher_backend=fetcher_backend,
        )
    return LevelSettings(ts, level.rank >= PadesLevel.B_LT.rank, level is PadesLevel.B_LTA, vc)


def bytes_reserved(
    cert: x509.Certificate,
    chain: tuple[x509.Certificate, ...],
    level: PadesLevel,
    der_size: int | None,
) -> int:
    """Bytes of the /Contents placeholder for a signature at ``level`` (hex, so twice the DER
    estimate) without a dry-run signature; ``der_size``: the DER bytes of certificate and chain
    when already known."""
    der = (
        der_size if der_size is not None else (len(cert.dump()) + sum(len(c.dump()) for c in chain))
    )
    der += cert.public_key.byte_size * 2 + 2048  # signature value, attributes, structure
    if level.rank >= PadesLevel.B_T.rank:
        der += 12 * 1024  # signature timestamp token with the TSA's chain
    return 2 * der
