"""XCV: key usage, validity at signing time and the judging of path validation failures."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    PathBuildingError,
    RevokedError,
)

from tests.unit.process_inputs import T0, make_cert, vn_gov
from trust_store.model import TrustSnapshot
from verifier.model import Indication, Status, SubIndication
from verifier.policy import Policy
from verifier.process import psv, vci, xcv
from verifier.revocation import EmbeddedValidationData


def _state(ee: bool = True) -> Any:
    path = SimpleNamespace(trust_anchor=None)
    return SimpleNamespace(
        is_ee_cert=ee,
        is_side_validation=False,
        cert_path_stack=SimpleNamespace(head=path, last=path),
    )


def _inputs() -> vci.ChainInputs:
    from tests.unit.process_inputs import context

    return vci.initialise(
        context(snapshot=TrustSnapshot(1)), vci.Purpose.SIGNATURE, [], EmbeddedValidationData()
    )


def _judge(
    policy: Policy, cert: Any, err: Exception, poe: Any = None, claimed: Any = None
) -> xcv.ChainResult:
    decision = psv.Decision(None, SimpleNamespace(ocsps=[], crls=[]), err)  # type: ignore[arg-type]
    return xcv._failed(policy, cert, decision, _inputs(), poe, poe or claimed)


def test_key_usage() -> None:
    ok = xcv.key_usage(vn_gov, make_cert(key_usage=("content_commitment",)))
    assert [c.status for c in ok] == [Status.PASSED, Status.PASSED]
    bad = xcv.key_usage(vn_gov, make_cert(key_usage=("key_encipherment",)))
    assert bad[0].code == "KEY_USAGE_NOT_SIGNING"
    assert bad[0].indication is Indication.INDETERMINATE
    assert bad[0].sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    server = xcv.key_usage(vn_gov, make_cert(eku=(ExtendedKeyUsageOID.SERVER_AUTH,)))
    assert server[1].status is Status.WARNING  # vn-gov: EXTENDED_KEY_USAGE is WARN
    tsa = xcv.key_usage(vn_gov, make_cert(), timestamp=True)
    assert tsa[1].code == "EXTENDED_KEY_USAGE_NOT_TIMESTAMPING"


def test_validity_at_signing_time() -> None:
    cert = make_cert(days=30)
    inside, after = T0 + timedelta(days=1), T0 + timedelta(days=60)
    assert xcv.validity_at_signing_time(vn_gov, cert, None, inside).status is Status.PASSED
    claimed = xcv.validity_at_signing_time(vn_gov, cert, None, after)
    assert (claimed.indication, claimed.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.OUT_OF_BOUNDS_NO_POE,
    )
    proven = xcv.validity_at_signing_time(vn_gov, cert, after, after)
    assert (proven.indication, proven.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.EXPIRED,
    )
    unknown = xcv.validity_at_signing_time(vn_gov, cert, None, None)
    assert unknown.sub_indication is SubIndication.NO_POE


def test_no_path_is_never_failed() -> None:
    res = _judge(vn_gov, make_cert(), PathBuildingError("no path"))
    [c] = res.checks
    assert (c.code, c.indication) == ("NO_CERTIFICATE_CHAIN_FOUND", Indication.INDETERMINATE)
    assert c.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND


def test_revoked_before_or_without_proof() -> None:
    cert = make_cert()
    when = T0 + timedelta(days=10)
    revoked = RevokedError("revoked", SimpleNamespace(), when, _state())  # type: ignore[arg-type]
    no_poe = _judge(vn_gov, cert, revoked)
    assert no_poe.checks[-1].sub_indication is SubIndication.REVOKED_NO_POE
    assert no_poe.checks[-1].block == "XCV"  # was "RAC" before 2026-12
    before = _judge(vn_gov, cert, revoked, poe=when + timedelta(days=1))
    assert (before.checks[-1].indication, before.checks[-1].sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.REVOKED,
    )
    ca = RevokedError("revoked", SimpleNamespace(), when, _state(ee=False))  # type: ignore[arg-type]
    assert _judge(vn_gov, cert, ca).checks[-1].sub_indication is SubIndication.REVOKED_CA_NO_POE


def test_revocation_unknown_cites_the_circular() -> None:
    res = _judge(vn_gov, make_cert(), InsufficientRevinfoError("x", proc_state=_state()))
    c = res.checks[-1]
    assert (c.code, c.sub_indication) == ("REVOCATION_STATUS_UNKNOWN", SubIndication.TRY_LATER)
    assert "Circular 15/2025" in c.message_en
    assert [n.code for n in res.notes] == ["REVOCATION_STATUS_UNKNOWN"]


def test_expired_chain() -> None:
    expiry = T0 + timedelta(days=5)
    err = ExpiredError("expired", expiry, _state())  # type: ignore[arg-type]
    c = _judge(vn_gov, make_cert(), err).checks[-1]
    assert (c.code, c.sub_indication) == (
        "CERTIFICATE_OUT_OF_BOUNDS_NO_POE",
        SubIndication.OUT_OF_BOUNDS_NO_POE,
    )
    proven = _judge(vn_gov, make_cert(), err, poe=expiry + timedelta(days=1)).checks[-1]
    assert (proven.code, proven.indication) == ("CERTIFICATE_EXPIRED", Indication.TOTAL_FAILED)
