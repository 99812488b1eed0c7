"""Property: changing any byte of a signed PDF never leaves it TOTAL_PASSED.

Two exceptions, both unsigned: the case of a hex digit inside the /Contents gap (``a`` and
``A`` encode the same byte), and the bytes of a certificate in the CMS certificate set other
than the signer's (RFC 5652 5.1: the set is outside the signature; the signer's certificate is
bound by the ESS signing-certificate attribute). kyso ignores a certificate whose key verifies
nothing (issue 9: certificate-set tampering cannot change a verdict), and the path is then
completed as for a CMS without it (the trust store, AIA). Verified through the real gRPC server
with revocation online.
"""

from __future__ import annotations

import binascii
from io import BytesIO
from typing import Any

import grpc
import pytest
from asn1crypto import cms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.integration.documents import make_pdf

_HEX = set(b"0123456789abcdefABCDEF")


@pytest.fixture(scope="module")
def signed(pki: Any) -> bytes:
    signer = signers.SimpleSigner.load(
        str(pki.key_path("personal")),
        str(pki.cert_path("personal")),
        ca_chain_files=[str(p) for p in pki.chain_paths("personal")],
    )
    w = IncrementalPdfFileWriter(BytesIO(make_pdf(["Thông báo"])))
    meta = signers.PdfSignatureMetadata(field_name="Sig1")
    return signers.sign_pdf(w, meta, signer=signer).getvalue()  # type: ignore[no-any-return]


def _other_certificates(signed: bytes) -> list[tuple[int, int]]:
    """[start, end) positions in ``signed`` of the hex digits of every CMS certificate but the
    signer's."""
    lt = signed.index(b"/Contents <") + len(b"/Contents <")
    raw = binascii.unhexlify(signed[lt : signed.index(b">", lt)])
    sd = cms.ContentInfo.load(raw)["content"]
    sid = sd["signer_infos"][0]["sid"].chosen
    spans = []
    for choice in sd["certificates"]:
        cert = choice.chosen
        if cert.issuer == sid["issuer"] and cert.serial_number == sid["serial_number"].native:
            continue
        der = cert.dump()
        at = raw.index(der)
        spans.append((lt + 2 * at, lt + 2 * (at + len(der))))
    return spans


@pytest.fixture(scope="module")
def stub(grpc_channel: Any) -> pb_grpc.VerifierStub:
    return pb_grpc.VerifierStub(grpc_channel)


def _verify(stub: Any, data: bytes) -> Any:
    return stub.Verify(pb.VerifyRequest(document=data), timeout=30).indication


def test_unmodified_passes(stub: Any, signed: bytes) -> None:
    assert _verify(stub, signed) == pb.INDICATION_TOTAL_PASSED


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    signed_part=st.booleans(),
    value=st.integers(0, 255),
)
def test_any_changed_byte_is_never_passed(
    stub: Any, signed: bytes, where: float, signed_part: bool, value: int
) -> None:
    start = signed.index(b"/Contents <") + len(b"/Contents ")  # the "<"
    end = signed.index(b">", start)  # the ">"
    if signed_part:  # a byte under the signature
        outside = start + (len(signed) - end - 1)
        k = int(where * outside)
        pos = k if k < start else end + 1 + (k - start)
    else:  # the gap, "<" and ">" included
        pos = start + int(where * (end - start + 1))
    old = signed[pos]
    if value == old:
        return
    in_gap = start < pos < end
    if in_gap and old in _HEX and value in _HEX and bytes([old]).lower() == bytes([value]).lower():
        return  # same hex digit in another case: the same signature
    if in_gap and any(a <= pos < b for a, b in _other_certificates(signed)):
        return  # an unsigned certificate of the CMS set (see the module docstring)
    mutated = signed[:pos] + bytes([value]) + signed[pos + 1 :]
    try:
        indication = _verify(stub, mutated)
    except grpc.RpcError as err:  # a refusal is fine (e.g. the %PDF- header destroyed)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        return
    assert indication != pb.INDICATION_TOTAL_PASSED, (pos, old, value)


def test_digest_algorithms_outside_the_signature_changed(stub: Any, signed: bytes) -> None:
    """One example the property once found: the SignedData's digestAlgorithms (not covered by
    the signature) changed from SHA-256 to SHA-384 while the SignerInfo still uses SHA-256."""
    sha256 = b"0609608648016503040201"  # OID 2.16.840.1.101.3.4.2.1, DER, as /Contents hex
    start = signed.index(b"/Contents <")
    first = signed.lower().index(sha256.lower(), start)  # digestAlgorithms precedes the rest
    mutated = signed[:first] + sha256[:-2] + b"02" + signed[first + len(sha256) :]
    report = stub.Verify(pb.VerifyRequest(document=mutated), timeout=30)
    assert report.indication == pb.INDICATION_TOTAL_FAILED
    (sig,) = report.signatures
    contents = next(c for c in sig.checks if c.name == "CONTENTS")
    assert contents.status == pb.CHECK_FAILED, contents.message.message_en
