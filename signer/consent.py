"""The owner's consent to each use of a server-held personal key (remote signing).

ETSI TS 119 431-1 (and the CSC API) ask that a key held by a server for a person be used
under that person's sole control (SCAL2): besides the calling service's identity, each
signature needs an authorisation from the owner that is bound to the data to be signed.
kyso takes one of two kinds, per key (``consent`` in ``[[keys]]``):

* ``"totp"``: an RFC 6238 one-time code (HMAC-SHA-1, 6 digits, 30-second steps, via pyotp)
  from the secret enrolled with ``kyso keys enroll``. A code is accepted once per key
  (RFC 6238 §5.2): its time step is recorded with the SHA-256 of the document it was used
  for, and the same code for another document is refused (``CONSENT_REPLAYED``). If that
  signature failed, the same code may be retried for the same document only.
* ``"pin"``: the token's user PIN, sent in the request and used to log in to the token for
  that one signature (:mod:`signer.keys.registry`).

Wrong, replayed or malformed authorisations count as failures; ``consent_max_failures`` in
a row lock the key for ``consent_lock_seconds``. Codes and PINs are never logged, recorded or
repeated in an error.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NoReturn
from zoneinfo import ZoneInfo

import pyotp

from kyso.errors import Precondition, Unauthenticated
from signer.consent_secrets import ConsentSecrets
from signer.key_state import ConsentPolicy, KeyStateStore
from signer.settings import KeySettings

log = logging.getLogger("kyso.signer.consent")

VN_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
TOTP_DIGITS = 6
TOTP_STEP_SECONDS = 30
_MAX_PIN = 64


@dataclass(frozen=True)
class OwnerAuthorization:
    """What the owner sent with the request: a TOTP code or the token PIN (or nothing).

    ``repr`` never shows either value.
    """

    totp: str | None = field(default=None, repr=False)
    pin: str | None = field(default=None, repr=False)

    @property
    def given(self) -> str:
        """``"totp"``, ``"pin"`` or ``""``."""
        return "totp" if self.totp is not None else "pin" if self.pin is not None else ""


@dataclass(frozen=True)
class Consent:
    """An accepted authorisation: the TOTP step taken (to finish), or the PIN to log in."""

    key: str
    kind: str
    step: int = -1
    pin: str | None = field(default=None, repr=False)


def matching_step(secret: str, code: str, now: float, window: int) -> int | None:
    """The time step (RFC 6238 ``T``) within ``window`` steps of ``now`` whose code is
    ``code``, or None; compared in constant time, the oldest step first."""
    if len(code) != TOTP_DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)
    current = int(now) // TOTP_STEP_SECONDS
    found = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


def _local(until: int) -> str:
    return datetime.fromtimestamp(until, VN_TIME).isoformat(timespec="seconds")


class OwnerConsent:
    """Checks and consumes owner authorisations against the shared key state."""

    def __init__(
        self,
        secrets: ConsentSecrets,
        state: KeyStateStore,
        policy: ConsentPolicy,
        window: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secrets = secrets
        self.state = state
        self.policy = policy
        self.window = window
        self._clock = clock

    def authorise(
        self, config: KeySettings, document_sha256: str, given: OwnerAuthorization
    ) -> Consent | None:
        """Accept ``given`` for one signature of ``document_sha256`` with key ``config``.

        Returns None for a key without consent. Raises :class:`Precondition`
        (``KEY_LOCKED``, ``CONSENT_NOT_ENROLLED``), :class:`Unauthenticated`
        (``CONSENT_REQUIRED``, ``CONSENT_INVALID``, ``CONSENT_REPLAYED``) and
        :class:`~kyso.errors.Unavailable` (``KEY_STATE_UNAVAILABLE``).
        """
        kind = config.owner_consent
        key = config.name
        if kind == "none":
            return None
        now = int(self._clock())
        locked = self.state.consent_state(key).locked_until
        if locked > now:
            raise Precondition("KEY_LOCKED", key=key, until=_local(locked))
        # an unenrolled key says so before it asks for a code nobody can make
        secret = self.secrets.secret(key, kind) if kind == "totp" else ""
        if given.given != kind:
            raise Unauthenticated("CONSENT_REQUIRED", key=key, kind=kind)
        if kind == "pin":
            pin = given.pin or ""
            if not pin or len(pin) > _MAX_PIN or not pin.isprintable():
                self._failed(key, now)
            return Consent(key, kind, pin=pin)
        step = matching_step(secret, (given.totp or "").strip(), now, self.window)
        if step is None:
            self._failed(key, now)
        outcome, until = self.state.take_step(key, step, document_sha256, now, self.policy)
        if outcome == "locked":
            raise Precondition("KEY_LOCKED", key=key, until=_local(until))
        if outcome != "ok":
            log.warning("key %s: a used one-time code was sent again", key)
            raise Unauthenticated("CONSENT_REPLAYED", key=key)
        return Consent(key, kind, step=step)

    def pin_refused(self, consent: Consent) -> None:
        """The token refused the owner's PIN: a failure like a wrong code (may lock the key);
        the refusal itself (``CONSENT_INVALID``) is already on its way to the caller."""
        try:
            _, until = self.state.count_failure(consent.key, int(self._clock()), self.policy)
        except Exception as exc:
            log.error(
                "key %s: failure not counted: %s",
                consent.key,
                getattr(exc, "code", type(exc).__name__),
            )
            return
        if until:
            log.warning(
                "key %s locked until %s after failed owner authorisations",
                consent.key,
                _local(until),
            )

    def finish(self, consent: Consent | None, signed: bool) -> None:
        """Mark a taken step used (signed) or released (retry allowed for that document); a
        signature made with the owner's PIN ends a run of failures."""
        if consent is None:
            return
        try:
            if consent.step >= 0:
                self.state.finish_step(consent.key, consent.step, signed)
            elif signed:
                self.state.reset_failures(consent.key)
        except Exception as exc:  # the signature's fate is decided; the step stays reserved
            log.error(
                "key %s: consent step not finished: %s",
                consent.key,
                getattr(exc, "code", type(exc).__name__),
            )

    def _failed(self, key: str, now: int) -> NoReturn:
        outcome, until = self.state.count_failure(key, now, self.policy)
        if outcome == "locked":
            raise Precondition("KEY_LOCKED", key=key, until=_local(until))
        if until:
            log.warning(
                "key %s locked until %s after failed owner authorisations", key, _local(until)
            )
        raise Unauthenticated("CONSENT_INVALID", key=key)


__all__ = [
    "TOTP_DIGITS",
    "TOTP_STEP_SECONDS",
    "Consent",
    "OwnerAuthorization",
    "OwnerConsent",
    "matching_step",
]
