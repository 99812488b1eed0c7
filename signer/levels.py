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

from asn1crypto import x509
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator import ValidationContext

from kyso.errors import InvalidInput, Precondition
from kyso.pki import Revocation, validation_context
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


def timestamper(tsa_url: str) -> HTTPTimeStamper:
    """One client per TSA URL: it keeps the TSA's certificate between requests."""
    with _LOCK:
        ts = _TIMESTAMPERS.get(tsa_url)
        if ts is None:
            ts = HTTPTimeStamper(tsa_url, timeout=10)
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
    ts = timestamper(tsa_url) if tsa_url and level.rank >= PadesLevel.B_T.rank else None
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
