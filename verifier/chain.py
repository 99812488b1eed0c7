"""XCV (X.509 certificate validation) and RAC decisions, on pyhanko-certvalidator.

Trust comes only from the trust store snapshot.  Missing intermediates are
taken from the snapshot, the CMS, the DSS, timestamp tokens and AIA (through
the shared, cached fetchers).  No path to an anchor is INDETERMINATE
(NO_CERTIFICATE_CHAIN_FOUND), never FAILED: the G1 VGCA documents whose
intermediate is not published land here.

Validation first runs at the validation time; when the certificate has
expired since, or was revoked after a signature timestamp, it is repeated at
the timestamp's time (the proof of existence), accepting revocation data
issued later (retroactive), which is how ETSI past signature validation
treats a timestamped signature.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from asn1crypto import x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.errors import (
    DisallowedAlgorithmError,
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)
from pyhanko_certvalidator.fetchers.api import Fetchers
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    DisallowWeakAlgorithmsPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from kyso.errors import DeadlineError
from trust_store.model import sha256_fingerprint
from verifier import revocation
from verifier.model import (
    CheckResult,
    Indication,
    Outcome,
    RevocationStatus,
    RevocationSummary,
    SubIndication,
)
from verifier.policy import Policy

log = logging.getLogger("kyso.verifier.chain")

_REVINFO_POLICY = RevocationCheckingPolicy(
    ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
    intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
)
# SHA-1 inside chains and OCSP responses is judged by kyso's own policy, not here.
_ALGORITHMS = DisallowWeakAlgorithmsPolicy(frozenset({"md2", "md5"}))


@dataclass
class ChainInputs:
    anchors: list[x509.Certificate]
    other_certs: list[x509.Certificate]
    embedded: revocation.EmbeddedValidationData
    fetch: bool
    fetcher_backend: Any | None
    validation_time: datetime
    at_now: bool  # validation time is "now": fetching live data is meaningful
    deadline: float | None = None  # time.monotonic() by which the request must be answered


@dataclass
class ChainResult:
    checks: list[CheckResult] = field(default_factory=list)
    anchor_subject: str = ""
    anchor_sha256: str = ""
    revocation: RevocationSummary = field(default_factory=RevocationSummary)
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # code, en, vi
    path_found: bool = False


# CA certificates that completed a validated path without being supplied by the document or the
# trust store (i.e. fetched through AIA): remembered by key identifier so the next document by
# the same CA does not fetch them again.  They are candidates for path building, never anchors.
_LEARNED: OrderedDict[bytes, x509.Certificate] = OrderedDict()
_LEARNED_MAX = 512
_learned_lock = threading.Lock()


def _learned_issuers(cert: x509.Certificate) -> list[x509.Certificate]:
    out: list[x509.Certificate] = []
    aki = cert.authority_key_identifier
    with _learned_lock:
        for _ in range(4):
            known = _LEARNED.get(aki) if aki is not None else None
            if known is None:
                break
            _LEARNED.move_to_end(aki)  # type: ignore[arg-type]
            out.append(known)
            aki = known.authority_key_identifier
    return out


def _learn(path: ValidationPath, inputs: ChainInputs) -> None:
    # sha256 is memoised on the (interned) certificate objects; dump() is not always: asn1crypto
    # re-encodes any value whose length header ends in 0x80 (e.g. a 1152-byte certificate)
    supplied = {c.sha256 for c in (*inputs.other_certs, *inputs.embedded.certs, *inputs.anchors)}
    try:
        leaf = path.leaf
        certs = [c for c in path.iter_certs(include_root=False) if c is not leaf]
    except Exception:  # an unusual path is simply not learned from
        return
    with _learned_lock:
        for c in certs:
            ski = c.key_identifier
            if ski is not None and c.sha256 not in supplied:
                _LEARNED[ski] = c
                _LEARNED.move_to_end(ski)
                while len(_LEARNED) > _LEARNED_MAX:
                    _LEARNED.popitem(last=False)


def _issuers(cert: x509.Certificate, pool: list[x509.Certificate]) -> list[x509.Certificate]:
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


async def _prefetch_ocsp(fetchers: Fetchers, cert: x509.Certificate, inputs: ChainInputs) -> None:
    """Ask the responders about the likely path at once instead of one certificate at a time.

    Path validation fetches OCSP sequentially (CA first, then the signer); on a cold cache that
    is two round trips in a row.  Answers land in the shared cache and in ``fetchers``, which the
    validation then uses; failures here are ignored (the validation retries and decides).
    """
    unique = {c.sha256: c for c in (*inputs.anchors, *inputs.other_certs, *inputs.embedded.certs)}
    pool = list(unique.values())
    pairs: list[tuple[x509.Certificate, x509.Certificate]] = []
    current = [cert]
    for _ in range(3):  # leaf, intermediate, sub-intermediate
        following = []
        for c in current:
            if c.self_signed != "no":  # asn1crypto answers "no", "maybe" or "yes"
                continue
            issuers = _issuers(c, pool)
            if len(issuers) == 1 and c.ocsp_urls:
                pairs.append((c, issuers[0]))
            following.extend(issuers)
        current = following
    if len(pairs) < 2:
        return
    res = await asyncio.gather(
        *(fetchers.ocsp_fetcher.fetch(c, AuthorityWithCert(i)) for c, i in pairs),
        return_exceptions=True,
    )
    del res


def _context(
    inputs: ChainInputs,
    moment: datetime | None,
    fetch: bool,
    retroactive: bool,
    fetchers: Fetchers | None = None,
) -> ValidationContext:
    if fetch and fetchers is None and inputs.fetcher_backend is not None:
        fetchers = inputs.fetcher_backend.get_fetchers()
    return ValidationContext(
        trust_roots=inputs.anchors,
        other_certs=[*inputs.other_certs, *inputs.embedded.certs],
        moment=moment,
        allow_fetching=fetch,
        fetchers=fetchers,
        crls=list(inputs.embedded.crls),
        ocsps=list(inputs.embedded.ocsps),
        revinfo_policy=CertRevTrustPolicy(_REVINFO_POLICY, retroactive_revinfo=retroactive),
        algorithm_usage_policy=_ALGORITHMS,
        time_tolerance=timedelta(seconds=1),
    )


async def _attempt(
    cert: x509.Certificate, inputs: ChainInputs, moment: datetime | None, retroactive: bool
) -> tuple[ValidationPath | None, ValidationContext, Exception | None]:
    """Embedded revocation data first; fetch only when that is not enough."""
    can_fetch = inputs.fetch and inputs.fetcher_backend is not None
    if can_fetch and not (inputs.embedded.ocsps or inputs.embedded.crls):
        # nothing embedded: go to the cache (and the responders) directly
        fetchers = inputs.fetcher_backend.get_fetchers()  # type: ignore[union-attr]
        if moment is None:
            await _prefetch_ocsp(fetchers, cert, inputs)
        vc = _context(inputs, moment, True, retroactive, fetchers)
        try:
            path = await CertificateValidator(cert, validation_context=vc).async_validate_path()
            return path, vc, None
        except (ValidationError, PathBuildingError) as exc:
            return None, vc, exc
    vc = _context(inputs, moment, False, retroactive)
    try:
        return (
            await CertificateValidator(cert, validation_context=vc).async_validate_path(),
            vc,
            None,
        )
    except (InsufficientRevinfoError, PathBuildingError) as exc:
        # Missing revocation data or a missing intermediate (AIA) may be fetched.
        if not inputs.fetch or inputs.fetcher_backend is None:
            return None, vc, exc
    except ValidationError as exc:
        return None, vc, exc
    vc = _context(inputs, moment, True, retroactive)
    try:
        return (
            await CertificateValidator(cert, validation_context=vc).async_validate_path(),
            vc,
            None,
        )
    except (ValidationError, PathBuildingError) as exc:
        return None, vc, exc


def _fmt(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S %Z") if t else "?"


def _deadline() -> DeadlineError:
    return DeadlineError(
        "verification took longer than the request deadline (revocation or AIA fetching)",
        "Kiểm tra chữ ký vượt quá thời gian cho phép (khi lấy thông tin thu hồi chứng thư)",
    )


def validate_chain(
    policy: Policy,
    cert: x509.Certificate,
    inputs: ChainInputs,
    *,
    poe: datetime | None,
    claimed: datetime | None,
) -> ChainResult:
    remaining = None if inputs.deadline is None else inputs.deadline - time.monotonic()
    if remaining is not None and remaining <= 0:
        raise _deadline()
    try:
        return asyncio.run(
            asyncio.wait_for(_validate(policy, cert, inputs, poe=poe, claimed=claimed), remaining)
        )
    except TimeoutError as exc:
        raise _deadline() from exc
    except Exception:
        log.warning("certificate validation failed unexpectedly", exc_info=True)
        res = ChainResult()
        res.checks.append(
            policy.judge(
                "CERTIFICATE_CHAIN",
                Outcome.UNKNOWN,
                "CERTIFICATE_CHAIN_ERROR",
                "the certificate chain could not be validated",
                "Không kiểm tra được chuỗi chứng thư số",
                sub=SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
            )
        )
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
    res = ChainResult()
    learned = _learned_issuers(cert)
    if learned:
        inputs = replace(inputs, other_certs=[*inputs.other_certs, *learned])
    moment = None if inputs.at_now else inputs.validation_time
    path, vc, err = await _attempt(cert, inputs, moment, retroactive=False)
    at_poe = False
    if err is not None and poe is not None:
        # Validity is checked before revocation, so a revoked end-entity means the rest of the
        # path passed; revoked after the timestamp is a pass with a note (ETSI past validation).
        if isinstance(err, RevokedError) and err.is_ee_cert and err.revocation_dt > poe:
            return _passed(
                policy, cert, res, err.original_path, vc, inputs, poe, claimed, False, err
            )
        if isinstance(err, ExpiredError | InsufficientRevinfoError):
            p2, vc2, err2 = await _attempt(cert, inputs, poe, retroactive=True)
            if err2 is None:
                path, vc, err, at_poe = p2, vc2, None, True
            elif isinstance(err2, RevokedError) and err2.is_ee_cert and err2.revocation_dt > poe:
                return _passed(
                    policy, cert, res, err2.original_path, vc2, inputs, poe, claimed, True, err2
                )
            elif isinstance(err2, RevokedError):
                err, vc = err2, vc2
    best = poe or claimed
    if path is not None:
        return _passed(policy, cert, res, path, vc, inputs, poe, claimed, at_poe, None)

    # --- failures
    assert err is not None
    if isinstance(err, PathBuildingError):
        res.checks.append(
            policy.judge(
                "CERTIFICATE_CHAIN",
                Outcome.UNKNOWN,
                "NO_CERTIFICATE_CHAIN_FOUND",
                "no chain from the signer's certificate to a trust anchor in the trust store",
                "Không xây dựng được đường dẫn tin cậy từ chứng thư số của người ký tới "
                "chứng thư gốc "
                "trong kho tin cậy",
                sub=SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            )
        )
        return res
    res.path_found = True
    if isinstance(err, PathValidationError):
        _set_anchor(res, err.original_path)
    res.checks.append(
        policy.judge(
            "CERTIFICATE_CHAIN",
            Outcome.OK,
            "CERTIFICATE_CHAIN_FOUND",
            "chain to a trust anchor found",
            "Có đường dẫn tin cậy tới chứng thư gốc",
        )
    )
    ee = getattr(err, "is_ee_cert", True)
    if isinstance(err, RevokedError):
        res.revocation = (
            revocation.summarise(cert, vc.ocsps, vc.crls, inputs.embedded)
            if ee
            else RevocationSummary(status=RevocationStatus.REVOKED)
        )
        res.revocation.status = RevocationStatus.REVOKED
        res.revocation.revocation_time = err.revocation_dt
        who_en = "the signer's certificate" if ee else "a CA certificate of the chain"
        who_vi = "Chứng thư số của người ký" if ee else "Chứng thư số của CA trong chuỗi"
        if best is not None and err.revocation_dt <= best:
            res.checks.append(
                policy.judge(
                    "REVOCATION",
                    Outcome.NOT_OK,
                    "CERTIFICATE_REVOKED",
                    f"{who_en} was revoked on {_fmt(err.revocation_dt)}, before the signing "
                    f"time {_fmt(best)}",
                    f"{who_vi} đã bị thu hồi ngày {_fmt(err.revocation_dt)}, trước thời "
                    f"điểm ký {_fmt(best)}",
                    sub=SubIndication.REVOKED,
                )
            )
        else:
            res.checks.append(
                policy.judge(
                    "REVOCATION",
                    Outcome.NOT_OK,
                    "CERTIFICATE_REVOKED_NO_POE",
                    f"{who_en} was revoked on {_fmt(err.revocation_dt)}; nothing proves the "
                    "signature existed before",
                    f"{who_vi} đã bị thu hồi ngày {_fmt(err.revocation_dt)}; không có dấu "
                    "thời gian chứng minh "
                    "chữ ký được tạo trước đó",
                    failure=Indication.INDETERMINATE,
                    sub=SubIndication.REVOKED_NO_POE if ee else SubIndication.REVOKED_CA_NO_POE,
                )
            )
        return res
    if isinstance(err, ExpiredError | NotYetValidError):
        expired = isinstance(err, ExpiredError)
        proven_outside = poe is not None and (
            (expired and poe > err.expired_dt) or (not expired and poe < err.valid_from)  # type: ignore[union-attr]
        )
        when = _fmt(err.expired_dt if expired else err.valid_from)  # type: ignore[union-attr]
        en = (
            "a certificate of the chain "
            f"{'expired on' if expired else 'is not valid before'} {when}"
        )
        vi = (
            "Chứng thư số trong chuỗi "
            f"{'hết hạn ngày' if expired else 'chưa có hiệu lực trước ngày'} {when}"
        )
        if proven_outside:
            res.checks.append(
                policy.judge(
                    "CERTIFICATE_VALIDITY",
                    Outcome.NOT_OK,
                    "CERTIFICATE_EXPIRED" if expired else "CERTIFICATE_NOT_YET_VALID",
                    en
                    + (
                        " and the timestamp proves the signature was made outside the "
                        "validity period"
                    ),
                    vi + "; dấu thời gian cho thấy chữ ký được tạo ngoài thời hạn hiệu lực",
                    sub=SubIndication.EXPIRED if expired else SubIndication.NOT_YET_VALID,
                )
            )
        else:
            res.checks.append(
                policy.judge(
                    "CERTIFICATE_VALIDITY",
                    Outcome.NOT_OK,
                    "CERTIFICATE_OUT_OF_BOUNDS_NO_POE",
                    en + "; no timestamp proves the signature was made while it was valid",
                    vi
                    + (
                        "; không có dấu thời gian chứng minh chữ ký được tạo khi chứng thư "
                        "còn hiệu lực"
                    ),
                    failure=Indication.INDETERMINATE,
                    sub=SubIndication.OUT_OF_BOUNDS_NO_POE,
                )
            )
        return res
    if isinstance(err, InsufficientRevinfoError):
        cite_en, cite_vi = policy.citation("REVOCATION")
        res.revocation = RevocationSummary(status=RevocationStatus.UNKNOWN)
        res.checks.append(
            policy.judge(
                "REVOCATION",
                Outcome.UNKNOWN,
                "REVOCATION_STATUS_UNKNOWN",
                "the revocation status of the certificates could not be established"
                + (f" ({cite_en})" if cite_en else ""),
                "Không xác định được trạng thái thu hồi của chứng thư số"
                + (f" ({cite_vi})" if cite_vi else ""),
                sub=SubIndication.TRY_LATER,
            )
        )
        res.notes.append(
            (
                "REVOCATION_STATUS_UNKNOWN",
                "revocation status unknown: the signature cannot be confirmed as valid",
                "Không kiểm tra được trạng thái thu hồi chứng thư số, chưa thể "
                "xác nhận chữ ký hợp lệ",
            )
        )
        return res
    if isinstance(err, DisallowedAlgorithmError):
        res.checks.append(
            policy.judge(
                "CERTIFICATE_CHAIN",
                Outcome.NOT_OK,
                "CHAIN_ALGORITHM_NOT_ALLOWED",
                "a certificate of the chain uses a forbidden algorithm",
                "Chứng thư số trong chuỗi dùng thuật toán không được phép",
                failure=Indication.INDETERMINATE,
                sub=SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
            )
        )
        return res
    res.checks[-1] = policy.judge(
        "CERTIFICATE_CHAIN",
        Outcome.NOT_OK,
        "CERTIFICATE_CHAIN_INVALID",
        f"the certificate chain is not valid: {type(err).__name__}",
        "Chuỗi chứng thư số không hợp lệ",
        failure=Indication.INDETERMINATE,
        sub=SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    )
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
    res: ChainResult,
    path: ValidationPath,
    vc: ValidationContext,
    inputs: ChainInputs,
    poe: datetime | None,
    claimed: datetime | None,
    at_poe: bool,
    revoked_after_poe: RevokedError | None,
) -> ChainResult:
    res.path_found = True
    _set_anchor(res, path)
    _learn(path, inputs)
    res.checks.append(
        policy.judge(
            "CERTIFICATE_CHAIN",
            Outcome.OK,
            "CERTIFICATE_CHAIN_VALID",
            f"chain to the trust anchor {res.anchor_subject} is valid",
            f"Đường dẫn tin cậy tới chứng thư gốc {res.anchor_subject} hợp lệ",
        )
    )
    # Validity at signing time (Circular 15/2025 App. II 1.1).
    validity = cert["tbs_certificate"]["validity"]
    nb, na = validity["not_before"].native, validity["not_after"].native
    when = poe or claimed
    if when is None:
        res.checks.append(
            policy.judge(
                "CERTIFICATE_VALIDITY",
                Outcome.UNKNOWN,
                "SIGNING_TIME_UNKNOWN",
                "no signing time: validity at signing time cannot be established",
                "Không có thời điểm ký: không xác định được hiệu lực tại thời điểm ký",
                sub=SubIndication.NO_POE,
            )
        )
    elif nb <= when <= na:
        res.checks.append(
            policy.judge(
                "CERTIFICATE_VALIDITY",
                Outcome.OK,
                "CERTIFICATE_VALID_AT_SIGNING_TIME",
                f"the certificate was valid at the signing time {_fmt(when)}",
                f"Chứng thư số còn hiệu lực tại thời điểm ký {_fmt(when)}",
            )
        )
    elif poe is not None:
        expired = when > na
        res.checks.append(
            policy.judge(
                "CERTIFICATE_VALIDITY",
                Outcome.NOT_OK,
                "CERTIFICATE_EXPIRED" if expired else "CERTIFICATE_NOT_YET_VALID",
                f"the signature timestamp {_fmt(poe)} is outside the certificate validity "
                f"{_fmt(nb)} – {_fmt(na)}",
                f"Dấu thời gian {_fmt(poe)} nằm ngoài thời hạn hiệu lực của chứng thư "
                f"{_fmt(nb)} – {_fmt(na)}",
                sub=SubIndication.EXPIRED if expired else SubIndication.NOT_YET_VALID,
            )
        )
    else:
        res.checks.append(
            policy.judge(
                "CERTIFICATE_VALIDITY",
                Outcome.NOT_OK,
                "CERTIFICATE_OUT_OF_BOUNDS_NO_POE",
                f"the claimed signing time {_fmt(when)} is outside the certificate validity "
                f"{_fmt(nb)} – {_fmt(na)}",
                f"Thời điểm ký khai báo {_fmt(when)} nằm ngoài thời hạn hiệu lực của chứng thư "
                f"{_fmt(nb)} – {_fmt(na)}",
                failure=Indication.INDETERMINATE,
                sub=SubIndication.OUT_OF_BOUNDS_NO_POE,
            )
        )
    summary = revocation.summarise(cert, vc.ocsps, vc.crls, inputs.embedded)
    is_stale = getattr(inputs.fetcher_backend, "is_stale", None)
    if is_stale is not None and any(is_stale(o) for o in [*vc.ocsps, *vc.crls]):
        res.notes.append(
            (
                "REVOCATION_DATA_STALE",
                "a responder was unreachable: a cached revocation answer past its nextUpdate "
                "was used",
                "Máy chủ trạng thái chứng thư không phản hồi, đã dùng thông tin thu hồi "
                "lưu tạm đã quá hạn cập nhật",
            )
        )
    if revoked_after_poe is not None:
        summary.status = RevocationStatus.REVOKED
        summary.revocation_time = revoked_after_poe.revocation_dt
        res.checks.append(
            policy.judge(
                "REVOCATION",
                Outcome.OK,
                "REVOKED_AFTER_SIGNING",
                f"the certificate was revoked on {_fmt(revoked_after_poe.revocation_dt)}, "
                "after the signature "
                f"timestamp {_fmt(poe)}",
                f"Chứng thư số bị thu hồi ngày {_fmt(revoked_after_poe.revocation_dt)}, sau "
                "thời điểm ký "
                f"được chứng minh bằng dấu thời gian {_fmt(poe)}",
            )
        )
        res.notes.append(
            (
                "REVOKED_AFTER_SIGNING",
                "the signer's certificate was revoked on "
                f"{_fmt(revoked_after_poe.revocation_dt)}, after signing",
                "Lưu ý: chứng thư số của người ký đã bị thu hồi ngày "
                f"{_fmt(revoked_after_poe.revocation_dt)}, "
                "sau thời điểm ký",
            )
        )
    else:
        src = summary.source.value.lower()
        res.checks.append(
            policy.judge(
                "REVOCATION",
                Outcome.OK,
                "NOT_REVOKED",
                f"the certificate was not revoked ({src})" + (f" at {_fmt(poe)}" if at_poe else ""),
                "Chứng thư số không bị thu hồi" + (f" tại thời điểm {_fmt(poe)}" if at_poe else ""),
            )
        )
        if summary.status is RevocationStatus.UNKNOWN:
            summary.status = RevocationStatus.GOOD
    res.revocation = summary
    return res
