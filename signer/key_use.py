"""One use of a server-held key: the owner's consent, then a reserved place under the limits.

:meth:`KeyGuard.begin` runs before a signature is made: it checks the owner's authorisation
(:mod:`signer.consent`) and reserves one signature under the key's ``max_signatures_per_day``
/ ``max_signatures_total`` (days in Asia/Ho_Chi_Minh, +07:00), atomically in the shared key
state, so two replicas cannot both pass a limit. The :class:`KeyUse` it returns is a context
manager: leaving it without :meth:`KeyUse.commit` (the signature failed, or its audit entry
could not be written) gives the reservation back and releases the consent step; after
``commit`` the signature counts and the key's last use is recorded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from kyso.errors import ResourceExhausted
from signer.consent import VN_TIME, Consent, OwnerAuthorization, OwnerConsent
from signer.consent_secrets import ConsentSecrets, FileSecrets, RedisSecrets, SecretBackend
from signer.key_state import (
    ConsentPolicy,
    ConsentState,
    FileKeyState,
    KeyStateStore,
    KeyUsage,
    RedisKeyState,
)
from signer.settings import KeySettings, SignerSettings

log = logging.getLogger("kyso.signer.key_use")


def local_day(when: datetime) -> date:
    """The calendar day of ``when`` in Asia/Ho_Chi_Minh (UTC+07:00, no daylight saving)."""
    return when.astimezone(VN_TIME).date()


@dataclass(frozen=True)
class KeyStatus:
    """What ListKeys shows of a key's consent and usage."""

    consent: str
    enrolled: bool
    consent_state: ConsentState
    usage: KeyUsage
    max_per_day: int | None
    max_total: int | None


class KeyUse:
    """A reserved use of a key; see :meth:`KeyGuard.begin`."""

    def __init__(
        self,
        guard: KeyGuard,
        config: KeySettings,
        consent: Consent | None,
        day: date,
        reserved: bool,
    ) -> None:
        self._guard = guard
        self._config = config
        self.consent = consent
        self._day = day
        self._reserved = reserved  # counted already (a key with limits), else at commit
        self._done = False

    @property
    def owner_pin(self) -> str | None:
        """The owner's PIN to log in with (``consent = "pin"``), else None."""
        return self.consent.pin if self.consent is not None else None

    def commit(self) -> None:
        """The signature was returned: it counts; the key's last use is now."""
        if self._done:
            return
        self._done = True
        self._guard.consent.finish(self.consent, signed=True)
        try:
            self._guard.state.record_use(
                self._config.name, self._guard.now(), None if self._reserved else self._day
            )
        except Exception as exc:  # the signature is out; only its count or time is lost
            log.error(
                "key %s: last use not recorded: %s",
                self._config.name,
                getattr(exc, "code", type(exc).__name__),
            )

    def release(self) -> None:
        """No signature left kyso: give the reservation back, release the consent step."""
        if self._done:
            return
        self._done = True
        self._guard.consent.finish(self.consent, signed=False)
        if not self._reserved:
            return
        try:
            self._guard.state.release_use(self._config.name, self._day)
        except Exception as exc:
            log.error(
                "key %s: reservation not released: %s",
                self._config.name,
                getattr(exc, "code", type(exc).__name__),
            )

    def __enter__(self) -> KeyUse:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._done and getattr(exc, "signature_made", False):
            # the key signed, then the request failed: a signature may exist outside kyso,
            # so it counts and the consent is spent (never given back for another try)
            self.commit()
        if not self._done:
            if (
                self.consent is not None
                and self.consent.kind == "pin"
                and getattr(exc, "code", "") == "CONSENT_INVALID"
            ):
                self._guard.consent.pin_refused(self.consent)
            self.release()


class KeyGuard:
    """Consent and usage limits of the server-held keys, over the shared key state."""

    def __init__(
        self,
        consent: OwnerConsent,
        state: KeyStateStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.consent = consent
        self.state = state
        self._clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def close(self) -> None:
        """Write the usage still held in memory (at shutdown)."""
        self.state.close()

    def begin(self, config: KeySettings, document_sha256: str, given: OwnerAuthorization) -> KeyUse:
        """Authorise and reserve one signature with ``config``'s key over ``document_sha256``.

        Raises what :meth:`OwnerConsent.authorise` raises, and :class:`ResourceExhausted`
        (``KEY_LIMIT_REACHED``, naming the limit) when the key is at a limit.
        """
        consent = self.consent.authorise(config, document_sha256, given)
        day = local_day(self.now())
        if config.max_signatures_per_day is None and config.max_signatures_total is None:
            # nothing to pass: counted once signed (one write instead of two)
            return KeyUse(self, config, consent, day, reserved=False)
        try:
            hit = self.state.reserve_use(
                config.name, day, config.max_signatures_per_day, config.max_signatures_total
            )
        except BaseException:
            self.consent.finish(consent, signed=False)
            raise
        if hit != "ok":
            self.consent.finish(consent, signed=False)
            value = getattr(config, hit)
            raise ResourceExhausted("KEY_LIMIT_REACHED", key=config.name, limit=hit, value=value)
        return KeyUse(self, config, consent, day, reserved=True)

    def status(self, config: KeySettings) -> KeyStatus:
        """Consent kind, enrolment, lock and counters of a key (for ListKeys)."""
        kind = config.owner_consent
        return KeyStatus(
            consent=kind,
            enrolled=kind != "totp" or self.consent.secrets.enrolled(config.name),
            consent_state=self.state.consent_state(config.name),
            usage=self.state.usage(config.name, local_day(self.now())),
            max_per_day=config.max_signatures_per_day,
            max_total=config.max_signatures_total,
        )


def open_key_guard(
    settings: SignerSettings,
    home: Path,
    redis_client: Any = None,
    namespace: str = "kyso",
    clock: Callable[[], float] = time.time,
) -> KeyGuard:
    """The guard of a server process (or of ``kyso keys enroll``): key state and sealed
    secrets in Redis when ``redis_client`` is given (shared by replicas), else under ``home``."""
    state: KeyStateStore
    backend: SecretBackend
    master = settings.master_key_file(home)
    if redis_client is not None:
        state = RedisKeyState(redis_client, namespace)
        backend = RedisSecrets(redis_client, namespace)
    else:
        state = FileKeyState(settings.key_state_file(home))
        backend = FileSecrets(master.parent)
    policy = ConsentPolicy(settings.consent_max_failures, settings.consent_lock_seconds)
    consent = OwnerConsent(
        ConsentSecrets(backend, master), state, policy, settings.totp_valid_window, clock
    )
    return KeyGuard(consent, state, clock)


__all__ = ["KeyGuard", "KeyStatus", "KeyUse", "local_day", "open_key_guard"]
