"""PSV (past signature validation, EN 319 102-1 5.6.2.4).

When X.509 validation at the validation time fails only because the certificate has expired
since, its revocation status can no longer be had, or it was revoked, and a signature
timestamp proves the signature existed at an earlier time (its proof of existence, POE), the
signature is judged at that time: a certificate revoked after the POE passes (with a note), and
an expired one is validated again at the POE, accepting revocation data issued later
(retroactive).  Anything else keeps the first answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import ExpiredError, InsufficientRevinfoError, RevokedError
from pyhanko_certvalidator.path import ValidationPath


@dataclass
class Decision:
    """The path validation that decides XCV for one certificate."""

    path: ValidationPath | None
    context: ValidationContext
    error: Exception | None
    at_poe: bool = False  # validated at the POE rather than at the validation time
    revoked_after_poe: RevokedError | None = None  # passed: revoked, but after the POE


def _revoked_after(error: Exception | None, poe: datetime) -> bool:
    """The signer's certificate was revoked after the POE (the rest of the path passed:
    validity is checked before revocation)."""
    return isinstance(error, RevokedError) and error.is_ee_cert and error.revocation_dt > poe


async def past_signature_validation(
    first: Decision, poe: datetime | None, at_poe: Callable[[datetime], Awaitable[Decision]]
) -> Decision:
    """Re-decide ``first`` (a failed validation at the validation time) with the POE.

    ``at_poe(poe)`` validates again at the POE with retroactive revocation data.
    """
    err = first.error
    if err is None or poe is None:
        return first
    if _revoked_after(err, poe):
        assert isinstance(err, RevokedError)
        return Decision(err.original_path, first.context, None, False, err)
    if not isinstance(err, ExpiredError | InsufficientRevinfoError):
        return first
    second = await at_poe(poe)
    if second.error is None:
        return Decision(second.path, second.context, None, at_poe=True)
    if _revoked_after(second.error, poe):
        assert isinstance(second.error, RevokedError)
        return Decision(second.error.original_path, second.context, None, True, second.error)
    if isinstance(second.error, RevokedError):
        return Decision(None, second.context, second.error)
    return first


__all__ = ["Decision", "past_signature_validation"]
