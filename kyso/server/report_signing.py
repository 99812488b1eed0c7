"""Signing the clerk's PDF report with a configured key (``VerifyOptions.sign_report_with``).

The records office archives the signed report as the proof of the check (Circular 15/2025:
the verifying software stores the status result). Access: the guard
(:mod:`kyso.server.policy`, ``key_roles``) has already required the signer role and the key
besides the verifier role. The signature goes through the signing service (precheck, PAdES
level, PKCS#11) like any Sign call, at a fixed box at the top right of page 1 (Decree 30's
attachment profile when the key has it: the organisation's signature on a document of its
own, no personal signature first, numbered ``KQKT-<SHA-256 prefix of the checked file>``); every
attempt passes the key guard (owner consent, usage limits: a key that needs its owner's code
cannot sign reports) and is written to the signing audit (operation
``SignVerificationReport``) before the report is returned.
"""

from __future__ import annotations

import contextlib
import hashlib
import io

import grpc

from kyso.errors import KysoError
from kyso.server.auth import caller_actor
from kyso.server.context import AppContext
from kyso.server.deadlines import work_deadline
from signer import Placement, Profile, SignatureBox, SignOptions
from signer import deadline as signing_deadline
from signer.audit import SigningAttempt, SigningResult
from signer.consent import OwnerAuthorization

#: Where the report's signature goes: page 1, top right, above the title (points, A4).
REPORT_SIGNATURE_BOX = SignatureBox(page=1, x1=379.0, y1=790.0, x2=539.0, y2=838.0)
REPORT_FIELD = "KysoVerificationReport"
_OPERATION = "SignVerificationReport"


def sign_report(
    ctx: AppContext,
    context: grpc.ServicerContext | None,
    key: str,
    report: bytes,
    document_sha256: str,
) -> bytes:
    """``report`` (a PDF) signed with ``key``; raises what the signing service raises
    (``KEY_NOT_FOUND``, precheck failures...), after writing the refusal to the signing audit;
    ``AUDIT_UNAVAILABLE`` when the success cannot be recorded."""
    fields = {
        "actor": caller_actor(context) if context is not None else "",
        "operation": _OPERATION,
        "key": key,
        "input_sha256": hashlib.sha256(report).hexdigest(),
    }
    out = io.BytesIO()
    with contextlib.ExitStack() as stack:
        if context is not None:  # the Verify call's deadline ends the signing work too
            default = ctx.settings.signer.request_timeout_seconds
            stack.enter_context(
                signing_deadline.scope(
                    work_deadline(context, default, "signer.request_timeout_seconds")
                )
            )
        try:
            config = ctx.signing.keys.config(key)  # KEY_NOT_FOUND
            # owner consent and usage limits as for Sign: a report request carries no owner
            # code, so a key with consent = "totp"/"pin" is refused here
            use = stack.enter_context(
                ctx.key_guard.begin(config, fields["input_sha256"], OwnerAuthorization())
            )
            options = SignOptions(
                # the report is the organisation's own document, not a decision the competent
                # person signs: the attachment profile (no personal signature first) if allowed
                profile=Profile.ATTACHMENT if Profile.ATTACHMENT.value in config.profiles else None,
                placement=Placement(rect=REPORT_SIGNATURE_BOX),
                reason="Kết quả kiểm tra chữ ký số (kyso)",
                document_number=f"KQKT-{document_sha256[:12]}",
                field_name=REPORT_FIELD,
            )
            result = ctx.signing.sign(
                key, options, io.BytesIO(report), out, owner_pin=use.owner_pin
            )
        except KysoError as exc:
            ctx.signing_audit.record_failure(
                SigningAttempt(result=SigningResult.REFUSED, code=exc.code, **fields)
            )
            raise
        signed = out.getvalue()
        ctx.signing_audit.record(
            SigningAttempt(
                result=SigningResult.OK,
                profile=result.profile.value,
                level=result.level.value,
                field_name=result.field_name,
                output_sha256=result.sha256 or hashlib.sha256(signed).hexdigest(),
                **fields,
            )
        )
        use.commit()
    return signed


__all__ = ["REPORT_FIELD", "REPORT_SIGNATURE_BOX", "sign_report"]
