"""Time-stamp validation: no timestamp means no proof of existence, only a record."""

from __future__ import annotations

from tests.unit.process_inputs import context, facts, strict, vn_gov
from verifier.model import Status
from verifier.process import ts


def test_no_signature_timestamp() -> None:
    out = ts.signature_timestamp(facts(), context(), vn_gov)
    assert out.poe is None and out.summary is None
    [c] = out.checks
    assert (c.name, c.block, c.status) == ("SIGNATURE_TIMESTAMP_PRESENT", "TS", Status.INFORMATION)
    assert c.code == "SIGNATURE_TIMESTAMP_ABSENT"
    [s] = ts.signature_timestamp(facts(), context(), strict).checks
    assert s.block == "TS"  # was "VTS" (validation time sliding in EN 319 102-1) before 2026-12
