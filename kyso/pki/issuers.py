"""The issuer cache: CA certificates learned through AIA, and likely issuers for OCSP prefetch.

CA certificates that completed a validated path without being supplied by the document or the
trust store (i.e. fetched through AIA) are remembered by key identifier, so the next document
by the same CA does not fetch them again.  They are candidates for path building, never
anchors: trust still comes only from the caller's anchors.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Iterable

from asn1crypto import x509
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.fetchers.api import Fetchers
from pyhanko_certvalidator.path import ValidationPath

from kyso.pki.parsed import materialise

_LEARNED: OrderedDict[bytes, x509.Certificate] = OrderedDict()
_LEARNED_MAX = 512
_lock = threading.Lock()


def learned_issuers(cert: x509.Certificate) -> list[x509.Certificate]:
    """The learned CA certificates above ``cert``, nearest first (at most four)."""
    out: list[x509.Certificate] = []
    aki = cert.authority_key_identifier
    with _lock:
        for _ in range(4):
            known = _LEARNED.get(aki) if aki is not None else None
            if known is None:
                break
            _LEARNED.move_to_end(aki)  # type: ignore[arg-type]
            out.append(known)
            aki = known.authority_key_identifier
    return out


def learn(path: ValidationPath, supplied: Iterable[x509.Certificate]) -> None:
    """Remember the CA certificates of a validated ``path`` that were not ``supplied``."""
    # sha256 is memoised on the (interned) certificate objects; dump() is not always: asn1crypto
    # re-encodes any value whose length header ends in 0x80 (e.g. a 1152-byte certificate)
    known = {c.sha256 for c in supplied}
    try:
        leaf = path.leaf
        certs = [c for c in path.iter_certs(include_root=False) if c is not leaf]
    except Exception:  # an unusual path is simply not learned from
        return
    with _lock:
        for c in certs:
            ski = c.key_identifier
            if ski is not None and c.sha256 not in known:
                _LEARNED[ski] = materialise(c)  # read by every request thread from now on
                _LEARNED.move_to_end(ski)
                while len(_LEARNED) > _LEARNED_MAX:
                    _LEARNED.popitem(last=False)


def likely_issuers(cert: x509.Certificate, pool: list[x509.Certificate]) -> list[x509.Certificate]:
    """Likely issuers of ``cert`` in ``pool``: by key identifier, else by name (a hint only)."""
    aki = cert.authority_key_identifier
    out = []
    for c in pool:
        if c is cert:
            continue
        ski = c.key_identifier
        if aki is not None and ski is not None:
            if ski == aki:
                out.append(c)
        elif c.subject == cert.issuer:
            out.append(c)
    return out


async def prefetch_ocsp(
    fetchers: Fetchers,
    cert: x509.Certificate,
    pool: Iterable[x509.Certificate],
    anchors: Iterable[x509.Certificate],
) -> None:
    """Ask the responders about the likely path at once instead of one certificate at a time.

    Path validation fetches OCSP sequentially (CA first, then the signer); on a cold cache that
    is two round trips in a row.  Answers land in the shared cache and in ``fetchers``, which the
    validation then uses; failures here are ignored (the validation retries and decides).

    Only a likely path that ends at one of ``anchors`` is asked about: a document cannot make
    kyso contact responders of a chain that reaches no trust anchor (issue 9, SSRF).
    """
    roots = {c.sha256 for c in anchors}
    unique = list({c.sha256: c for c in [*pool, *anchors]}.values())
    pairs: list[tuple[x509.Certificate, x509.Certificate]] = []
    current = [cert]
    anchored = False
    for _ in range(4):  # leaf, intermediate, sub-intermediate, then the anchor
        following = []
        for c in current:
            if c.sha256 in roots:
                anchored = True
                continue
            if c.self_signed != "no":  # asn1crypto answers "no", "maybe" or "yes"
                continue
            issuers = likely_issuers(c, unique)
            if len(issuers) == 1 and c.ocsp_urls:
                pairs.append((c, issuers[0]))
            following.extend(issuers)
        current = following
    if len(pairs) < 2 or not anchored:
        return
    await asyncio.gather(
        *(fetchers.ocsp_fetcher.fetch(c, AuthorityWithCert(i)) for c, i in pairs),
        return_exceptions=True,
    )


__all__ = ["learn", "learned_issuers", "likely_issuers", "prefetch_ocsp"]
