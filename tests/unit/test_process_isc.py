"""ISC: the signer's certificate must be found; a TSA's too."""

from __future__ import annotations

from tests.unit.process_inputs import facts, make_cert, vn_gov
from verifier.model import Indication, Status, SubIndication
from verifier.process import isc


def test_no_signing_certificate_is_indeterminate() -> None:
    checks, cert, summary = isc.signing_certificate(facts(), vn_gov)
    assert cert is None and summary is None
    [c] = checks
    assert (c.name, c.block, c.status) == ("SIGNING_CERTIFICATE", "ISC", Status.INDETERMINATE)
    assert c.indication is Indication.INDETERMINATE
    assert c.sub_indication is SubIndication.NO_SIGNING_CERTIFICATE_FOUND


def test_tsa_certificate_is_named() -> None:
    check, summary = isc.tsa_certificate(make_cert(cn="TSA kyso"), vn_gov)
    assert check.status is Status.PASSED
    assert summary is not None and summary.common_name == "TSA kyso"
    assert check.message_vi == f"Chứng thư số của đơn vị cấp dấu thời gian: {summary.subject}"
    missing, none = isc.tsa_certificate(None, vn_gov)
    assert none is None and missing.code == "NO_SIGNING_CERTIFICATE_FOUND"
