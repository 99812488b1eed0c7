"""VCI: trust only from the store, by purpose; fetching only when validating at "now"."""

from __future__ import annotations

from tests.unit.process_inputs import context, make_cert, snapshot
from trust_store.model import Purpose
from verifier.process import vci
from verifier.revocation import EmbeddedValidationData


def test_anchors_by_purpose_and_fetching_only_now() -> None:
    sig_root, tsa_root, other = make_cert(cn="root"), make_cert(cn="tsa root"), make_cert(cn="x")
    snap = snapshot((sig_root, Purpose.SIGNATURE), (tsa_root, Purpose.TIMESTAMPING))
    now = vci.initialise(
        context(snapshot=snap, fetch=True), Purpose.SIGNATURE, [other], EmbeddedValidationData()
    )
    assert now.path.anchors == (sig_root,) and now.path.other_certs == (other,)
    assert now.path.fetch
    past = vci.initialise(
        context(snapshot=snap, fetch=True, at_now=False),
        Purpose.TIMESTAMPING,
        [],
        EmbeddedValidationData(crls=[]),
    )
    assert past.path.anchors == (tsa_root,) and not past.path.fetch
