"""CV: a digest kyso cannot compute stops the signature (FORMAT_FAILURE), never passes."""

from __future__ import annotations

from typing import Any

from tests.unit.process_inputs import context, facts, make_cert, vn_gov
from verifier.model import Indication, SubIndication
from verifier.process import cv, fc


def test_unsupported_digest_stops() -> None:
    si: Any = object()  # not read: the digest fails first
    f = facts(signer_info=si, digest_algorithm="gost3411")
    coverage = fc.Coverage(((0, 2), (4, 2)), 6, 0, True)
    checks, go_on = cv.signature_integrity(f, coverage, make_cert(), context(b"abcdef"), vn_gov)
    assert not go_on
    [c] = checks
    assert (c.name, c.block, c.code) == ("MESSAGE_DIGEST", "CV", "DIGEST_ALGORITHM_UNSUPPORTED")
    # issue 11 §2: an algorithm kyso cannot evaluate proves nothing wrong
    assert (c.indication, c.sub_indication) == (Indication.INDETERMINATE, SubIndication.GENERIC)
