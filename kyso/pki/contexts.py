"""The one builder of pyhanko-certvalidator ``ValidationContext``s.

Signing (precheck, LTV embedding, the personal signature a seal depends on) and validation all
build their contexts here, so the revocation rules, the forbidden chain algorithms and the
fetching switch are spelled once.  Callers pass what differs: the trust anchors and other
certificates, the moment, the revocation rule and where fetched answers come from.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from asn1crypto import crl, ocsp, x509
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.api import Fetchers
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    DisallowWeakAlgorithmsPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from kyso.pki.candidates import GuardedSignatureValidator


class Revocation(enum.Enum):
    """How much revocation information path validation demands."""

    SOFT_FAIL = "soft-fail"  # use what can be had; an unreachable responder is no failure
    HARD_FAIL = "hard-fail"  # every certificate needs an answer (the signer's own chain)
    #: Validation (Circular 15/2025 App. II 1.2): the signer's certificate must have an answer,
    #: CA certificates are checked when they declare a distribution point or responder.
    END_ENTITY_REQUIRED = "end-entity-required"


_END_ENTITY_REQUIRED = RevocationCheckingPolicy(
    ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
    intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
)


#: Any failure of a signature check inside certvalidator means "does not verify".
_SIGNATURE_VALIDATOR = GuardedSignatureValidator()


def validation_context(
    trust_roots: Iterable[x509.Certificate],
    other_certs: Iterable[x509.Certificate] = (),
    *,
    moment: datetime | None = None,
    revocation: Revocation = Revocation.SOFT_FAIL,
    retroactive: bool = False,
    fetch: bool = False,
    fetchers: Fetchers | None = None,
    fetcher_backend: Any | None = None,
    crls: Iterable[crl.CertificateList] = (),
    ocsps: Iterable[ocsp.OCSPResponse] = (),
    forbidden_digests: frozenset[str] | None = None,
) -> ValidationContext:
    """A context validating at ``moment`` (None: now) against ``trust_roots`` only.

    ``fetch`` allows OCSP/CRL/AIA requests through ``fetchers`` (a ready set, e.g. the shared
    cache's) or ``fetcher_backend``.  ``retroactive`` accepts revocation data issued after
    ``moment`` (past signature validation).  ``forbidden_digests`` replaces the library's weak
    algorithm list (None keeps it: MD2, MD5, SHA-1).

    Fetching only ever goes through kyso's fetch layer (:mod:`kyso.pki.fetching`, reached via
    ``fetchers`` or ``fetcher_backend``): ``fetch`` without either raises ``ValueError``
    rather than let certvalidator fall back to its own unbounded fetchers.
    """
    if fetch and fetchers is None and fetcher_backend is None:
        raise ValueError("fetch=True needs fetchers or a fetcher_backend (kyso.pki.fetching)")
    if revocation is Revocation.END_ENTITY_REQUIRED:
        rev: dict[str, Any] = {
            "revinfo_policy": CertRevTrustPolicy(
                _END_ENTITY_REQUIRED, retroactive_revinfo=retroactive
            )
        }
    else:
        rev = {"revocation_mode": revocation.value, "retroactive_revinfo": retroactive}
    if fetchers is not None:
        rev["fetchers"] = fetchers
    elif fetcher_backend is not None:
        rev["fetcher_backend"] = fetcher_backend
    if forbidden_digests is not None:
        rev["algorithm_usage_policy"] = DisallowWeakAlgorithmsPolicy(forbidden_digests)
    return ValidationContext(
        trust_roots=list(trust_roots),
        other_certs=list(other_certs),
        moment=moment,
        allow_fetching=fetch,
        crls=list(crls),
        ocsps=list(ocsps),
        time_tolerance=timedelta(seconds=1),
        signature_validator=_SIGNATURE_VALIDATOR,
        **rev,
    )


__all__ = ["Revocation", "validation_context"]
