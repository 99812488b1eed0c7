"""XCV (X.509 certificate validation, EN 319 102-1 5.2.6), revocation status included.

Trust comes only from the trust store snapshot (VCI).  Missing intermediates are taken from the
snapshot, the CMS, the DSS, timestamp tokens, the issuer cache and AIA.  No path to an anchor is
INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND), never FAILED: the G1 VGCA documents whose
intermediate is not published land here.  A failure at the validation time goes to past
signature validation (:mod:`verifier.process.psv`) when a signature timestamp gives a POE.
The sub-indications come from :mod:`kyso.pki.outcomes` through the constraints.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from asn1crypto import x509
from pyhanko_certvalidator.errors import (
    ExpiredError,
    NotYetValidError,
    PathValidationError,
    RevokedError,
)
from pyhanko_certvalidator.path import ValidationPath

from kyso.errors import DeadlineExceeded
from kyso.pki import issuers
from kyso.pki.algorithms import SIGNING_KEY_USAGES
from kyso.pki.outcomes import ChainFailure, classify
from kyso.pki.paths import PathInputs, validate_path
from trust_store.model import sha256_fingerprint
from verifier import constraints as C
from verifier import revocation
from verifier.limits import path_limits_reached
from verifier.messages import note
from verifier.model import (
    CheckResult,
    Message,
    Outcome,
    RevocationStatus,
    RevocationSummary,
)
from verifier.policy import Policy
from verifier.process.cryptographic import validation_data_algorithms
from verifier.process.psv import Decision, past_signature_validation
from verifier.process.vci import ChainInputs

log = logging.getLogger("kyso.verifier.chain")

# EKUs compatible with document signing; a certificate with none is unrestricted.
_DOCUMENT_EKUS = frozenset(
    {
        "any_extended_key_usage",
        "email_protection",
        "client_auth",
        "1.2.840.113583.1.1.5",  # Adobe Authentic Documents Trust
        "1.3.6.1.4.1.311.10.3.12",  # Microsoft document signing
        "1.3.6.1.5.5.7.3.36",  # id-kp-documentSigning (RFC 9336)
        "code_signing",
    }
)


@dataclass
class ChainResult:
    checks: list[CheckResult] = field(default_factory=list)
    anchor_subject: str = ""
    anchor_sha256: str = ""
    revocation: RevocationSummary = field(default_factory=RevocationSummary)
    notes: list[Message] = field(default_factory=list)
    path_found: bool = False


def key_usage(
    policy: Policy, cert: x509.Certificate, *, timestamp: bool = False
) -> list[CheckResult]:
    """KEY_USAGE and EXTENDED_KEY_USAGE (Circular 15/2025 App. II 1.4-1.5)."""
    ku = cert.key_usage_value
    usages = set(ku.native) if ku is not None else None
    ku_ok = usages is None or bool(usages & SIGNING_KEY_USAGES)
    results = [
        policy.judge(
            C.KEY_USAGE,
            Outcome.OK if ku_ok else Outcome.NOT_OK,
            usages=", ".join(sorted(usages or ())),
        )
    ]
    eku = cert.extended_key_usage_value
    ekus = set(eku.native) if eku is not None else None
    if timestamp:
        ok = ekus is not None and "time_stamping" in ekus
        results.append(policy.judge(C.TSA_EXTENDED_KEY_USAGE, Outcome.OK if ok else Outcome.NOT_OK))
        return results
    ok = ekus is None or bool(ekus & _DOCUMENT_EKUS)
    results.append(
        policy.judge(
            C.EXTENDED_KEY_USAGE,
            Outcome.OK if ok else Outcome.NOT_OK,
            usages=", ".join(sorted(map(str, ekus or ()))),
        )
    )
    return results


def _fmt(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S %Z") if t else "?"


def _deadline() -> DeadlineExceeded:
    return DeadlineExceeded("DEADLINE_EXCEEDED")


def validate_certificate(
    policy: Policy,
    cert: x509.Certificate,
    inputs: ChainInputs,
    *,
    poe: datetime | None,
    claimed: datetime | None,
) -> ChainResult:
    """CERTIFICATE_CHAIN, CERTIFICATE_VALIDITY and REVOCATION for ``cert``.

    Raises :class:`DeadlineExceeded` when the request's deadline passes while fetching.
    """
    remaining = None if inputs.deadline is None else inputs.deadline - time.monotonic()
    if remaining is not None and remaining <= 0:
        raise _deadline()
    try:
        return asyncio.run(
            asyncio.wait_for(_validate(policy, cert, inputs, poe=poe, claimed=claimed), remaining)
        )
    except TimeoutError as exc:
        raise _deadline() from exc
    except Exception as exc:  # a bug: certvalidator's own exceptions are handled in paths
        log.warning("certificate validation failed unexpectedly: %s", type(exc).__name__)
        res = ChainResult()
        res.checks.append(policy.judge(C.CHAIN_ERROR, Outcome.UNKNOWN))
        res.revocation = RevocationSummary(status=RevocationStatus.UNKNOWN)
        return res


async def _validate(
    policy: Policy,
    cert: x509.Certificate,
    inputs: ChainInputs,
    *,
    poe: datetime | None,
    claimed: datetime | None,
) -> ChainResult:
    learned = issuers.learned_issuers(cert)
    path_inputs = replace(inputs.path, extra=tuple(learned)) if learned else inputs.path
    moment = None if inputs.at_now else inputs.validation_time
    hit: set[str] = set()

    async def attempt(when: datetime | None, retroactive: bool) -> Decision:
        a = await validate_path(cert, path_inputs, when, retroactive=retroactive)
        hit.update(a.limits_hit)
        return Decision(a.path, a.context, a.error)

    first = await attempt(moment, False)

    async def at_poe(when: datetime) -> Decision:
        return await attempt(when, True)

    # the earliest proof of existence: a signature timestamp, or an archive (document) timestamp
    psv_poe = min((t for t in (poe, inputs.archive_poe) if t is not None), default=None)
    decision = await past_signature_validation(first, psv_poe, at_poe)
    if decision.path is not None:
        res = _passed(
            policy, cert, decision.path, decision, inputs, path_inputs, poe, claimed, psv_poe
        )
        if (
            psv_poe is not None
            and psv_poe != poe
            and (decision.at_poe or decision.revoked_after_poe)
        ):
            res.notes.append(note("ARCHIVE_TIMESTAMP_POE", poe=_fmt(psv_poe)))
    else:
        assert decision.error is not None
        res = _failed(policy, cert, decision, inputs, poe, poe or claimed)
    res.notes.extend(path_limits_reached(path_inputs.limits, hit))
    return res


def _failed(
    policy: Policy,
    cert: x509.Certificate,
    decision: Decision,
    inputs: ChainInputs,
    poe: datetime | None,
    best: datetime | None,
) -> ChainResult:
    """Judge a failed path validation through the outcome table."""
    res = ChainResult()
    err = decision.error
    assert err is not None
    failure = classify(err).failure
    if failure is ChainFailure.NO_PATH:
        res.checks.append(policy.judge(C.NO_CHAIN, Outcome.UNKNOWN))
        return res
    res.path_found = True
    if isinstance(err, PathValidationError):
        _set_anchor(res, err.original_path)
    res.checks.append(policy.judge(C.CHAIN_FOUND, Outcome.OK))
    if isinstance(err, RevokedError):
        ee = err.is_ee_cert
        vc = decision.context
        res.revocation = (
            revocation.summarise(cert, vc.ocsps, vc.crls, inputs.embedded)
            if ee
            else RevocationSummary(status=RevocationStatus.REVOKED)
        )
        res.revocation.status = RevocationStatus.REVOKED
        res.revocation.revocation_time = err.revocation_dt
        who = {
            "who_en": "the signer's certificate" if ee else "a CA certificate of the chain",
            "who_vi": "Chứng thư số của người ký" if ee else "Chứng thư số của CA trong chuỗi",
            "revoked": _fmt(err.revocation_dt),
            "best": _fmt(best),
        }
        if best is not None and err.revocation_dt <= best:
            res.checks.append(policy.judge(C.REVOKED, Outcome.NOT_OK, **who))
        else:
            c = C.REVOKED_NO_POE if ee else C.CA_REVOKED_NO_POE
            res.checks.append(policy.judge(c, Outcome.NOT_OK, **who))
        return res
    if isinstance(err, ExpiredError | NotYetValidError):
        expired = isinstance(err, ExpiredError)
        bound = err.expired_dt if isinstance(err, ExpiredError) else err.valid_from
        proven_outside = poe is not None and (poe > bound if expired else poe < bound)
        params = {
            "bound_en": "expired on" if expired else "is not valid before",
            "bound_vi": "hết hạn ngày" if expired else "chưa có hiệu lực trước ngày",
            "when": _fmt(bound),
        }
        if proven_outside:
            c = C.EXPIRED_PROVEN if expired else C.NOT_YET_VALID_PROVEN
        else:
            c = C.OUT_OF_BOUNDS_NO_POE
        res.checks.append(policy.judge(c, Outcome.NOT_OK, **params))
        return res
    if failure is ChainFailure.REVOCATION_UNKNOWN:
        cite_en, cite_vi = policy.citation("REVOCATION")
        res.revocation = RevocationSummary(status=RevocationStatus.UNKNOWN)
        res.checks.append(
            policy.judge(
                C.REVOCATION_UNKNOWN,
                Outcome.UNKNOWN,
                cite_en=f" ({cite_en})" if cite_en else "",
                cite_vi=f" ({cite_vi})" if cite_vi else "",
            )
        )
        res.notes.append(note("REVOCATION_STATUS_UNKNOWN"))
        return res
    if failure is ChainFailure.ALGORITHM:
        res.checks.append(policy.judge(C.CHAIN_ALGORITHM, Outcome.NOT_OK))
        return res
    res.checks[-1] = policy.judge(C.CHAIN_INVALID, Outcome.NOT_OK, error=type(err).__name__)
    return res


def _set_anchor(res: ChainResult, path: ValidationPath) -> None:
    try:
        anchor = path.trust_anchor.authority
        cert = getattr(anchor, "certificate", None)
        if cert is not None:
            res.anchor_subject = cert.subject.human_friendly
            res.anchor_sha256 = sha256_fingerprint(cert)
    except Exception:
        return


def _passed(
    policy: Policy,
    cert: x509.Certificate,
    path: ValidationPath,
    decision: Decision,
    inputs: ChainInputs,
    path_inputs: PathInputs,
    poe: datetime | None,
    claimed: datetime | None,
    psv_poe: datetime | None = None,
) -> ChainResult:
    """``poe``: the signature timestamp (proves the signing time); ``psv_poe``: the proof of
    existence past signature validation used (that, or an archive timestamp)."""
    psv_poe = psv_poe or poe
    res = ChainResult(path_found=True)
    _set_anchor(res, path)
    issuers.learn(path, path_inputs.supplied())
    res.checks.append(policy.judge(C.CHAIN_VALID, Outcome.OK, anchor=res.anchor_subject))
    res.checks.append(validity_at_signing_time(policy, cert, poe, claimed))
    vc = decision.context
    res.checks.extend(
        validation_data_algorithms(policy, path, vc.ocsps, vc.crls, psv_poe, inputs.validation_time)
    )
    summary = revocation.summarise(cert, vc.ocsps, vc.crls, inputs.embedded)
    is_stale = getattr(inputs.fetcher_backend, "is_stale", None)
    if is_stale is not None and any(is_stale(o) for o in [*vc.ocsps, *vc.crls]):
        res.notes.append(note("REVOCATION_DATA_STALE"))
    revoked = decision.revoked_after_poe
    if revoked is not None:
        summary.status = RevocationStatus.REVOKED
        summary.revocation_time = revoked.revocation_dt
        when = _fmt(revoked.revocation_dt)
        res.checks.append(
            policy.judge(C.REVOKED_AFTER_SIGNING, Outcome.OK, revoked=when, poe=_fmt(psv_poe))
        )
        res.notes.append(note("REVOKED_AFTER_SIGNING", revoked=when))
    else:
        at = decision.at_poe
        res.checks.append(
            policy.judge(
                C.NOT_REVOKED,
                Outcome.OK,
                source=summary.source.value.lower(),
                at_en=f" at {_fmt(psv_poe)}" if at else "",
                at_vi=f" tại thời điểm {_fmt(psv_poe)}" if at else "",
            )
        )
        if summary.status is RevocationStatus.UNKNOWN:
            summary.status = RevocationStatus.GOOD
    res.revocation = summary
    return res


def validity_at_signing_time(
    policy: Policy, cert: x509.Certificate, poe: datetime | None, claimed: datetime | None
) -> CheckResult:
    """CERTIFICATE_VALIDITY: the signing time lies in the validity (Circular 15/2025 App. II
    1.1); only a POE proves it lies outside (TOTAL_FAILED), a claim leaves it INDETERMINATE."""
    validity = cert["tbs_certificate"]["validity"]
    nb, na = validity["not_before"].native, validity["not_after"].native
    when = poe or claimed
    if when is None:
        return policy.judge(C.SIGNING_TIME_UNKNOWN, Outcome.UNKNOWN)
    if nb <= when <= na:
        return policy.judge(C.VALID_AT_SIGNING_TIME, Outcome.OK, when=_fmt(when))
    span = {"not_before": _fmt(nb), "not_after": _fmt(na), "poe": _fmt(poe), "when": _fmt(when)}
    if poe is not None:
        c = C.TIMESTAMP_AFTER_EXPIRY if when > na else C.TIMESTAMP_BEFORE_VALIDITY
        return policy.judge(c, Outcome.NOT_OK, **span)
    return policy.judge(C.CLAIMED_OUTSIDE_VALIDITY, Outcome.NOT_OK, **span)


__all__ = ["ChainResult", "key_usage", "validate_certificate", "validity_at_signing_time"]
