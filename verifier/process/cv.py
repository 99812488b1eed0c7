"""CV (cryptographic verification, EN 319 102-1 5.2.7): message digest and signature value.

The message digest is recomputed over the /ByteRange that FC accepted; the signature value is
verified over the signed attributes exactly as they were encoded in the file.
"""

from __future__ import annotations

from asn1crypto import x509

from verifier import constraints as C
from verifier import integrity
from verifier.facts import SignatureFacts
from verifier.model import CheckResult, Outcome
from verifier.policy import Policy
from verifier.process._context import Context
from verifier.process.fc import Coverage


def signature_integrity(
    sig: SignatureFacts, coverage: Coverage, cert: x509.Certificate, ctx: Context, policy: Policy
) -> tuple[list[CheckResult], bool]:
    """MESSAGE_DIGEST, SIGNATURE_VALUE, DIGEST_INFO_ENCODING; False: stop (digest unsupported).

    A digest or signature algorithm kyso cannot evaluate is INDETERMINATE (GENERIC), never
    FAILED: FAILED means the bytes were proven wrong.
    """
    si = sig.signer_info
    assert si is not None
    algo = sig.digest_algorithm
    try:
        doc_digest = integrity.digest_ranges(
            ctx.data, coverage.ranges, algo, sig.digest_length_bits
        )
    except integrity.UnsupportedDigest:
        # kyso cannot compute it: nothing is proven wrong (INDETERMINATE, never FAILED)
        return [policy.judge(C.DIGEST_UNSUPPORTED, Outcome.UNKNOWN, algorithm=algo)], False
    md = integrity.check_message_digest(si, doc_digest)
    checks = [
        policy.judge(C.MESSAGE_DIGEST, Outcome.OK if md.ok else Outcome.NOT_OK, reason=md.reason)
    ]
    payload = sig.signed_attrs_der
    if payload is None:
        view = memoryview(ctx.data)
        payload = b"".join(bytes(view[s : s + n]) for s, n in coverage.ranges)
    value = integrity.verify_signature_value(cert, si, payload)
    if value.unsupported:
        checks.append(
            policy.judge(C.SIGNATURE_VALUE_UNSUPPORTED, Outcome.UNKNOWN, reason=value.reason)
        )
    else:
        checks.append(
            policy.judge(
                C.SIGNATURE_VALUE, Outcome.OK if value.ok else Outcome.NOT_OK, reason=value.reason
            )
        )
    if value.digest_info_without_null:
        checks.append(policy.judge(C.DIGEST_INFO_ENCODING, Outcome.NOT_OK))
    return checks, True


__all__ = ["signature_integrity"]
