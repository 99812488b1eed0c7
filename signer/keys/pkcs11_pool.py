"""A pool of logged-in PKCS#11 sessions per token.

A PKCS#11 session runs one operation at a time, and logging in is per
application (every session of the process shares it), so kyso opens a few
sessions per token, logs in once, and lends a session to each signature.
After a token error (session closed, device removed, a key handle gone...) the whole
pool is re-opened and the operation retried once; the handles found on the old
sessions are dropped with them.

A token that went away and came back (a USB token pulled out, SoftHSM2's token
directory moved) is not seen again by a module that enumerated its slots while it was
gone: SoftHSM2 then answers CKR_GENERAL_ERROR to every slot query until C_Finalize and
C_Initialize. So when the token cannot be found, the module is re-initialised (at most
once per :data:`REINITIALIZE_INTERVAL` seconds), which also ends every other pool's
sessions on that module; those pools re-open on their next use.

python-pkcs11 initialises a module with ``C_Initialize(NULL)``, which tells the module
that the application will not call it from several threads at once (SoftHSM2 then runs
without its own locks and crashes under concurrent C_Sign). So every call into one module
is serialised by a per-module lock; C_Sign takes well under a millisecond and runs without
the GIL, so the PDF work of other requests goes on meanwhile.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pkcs11
from pkcs11 import exceptions as p11_errors

from kyso.errors import NotFound, Unauthenticated, Unavailable

log = logging.getLogger("kyso.signer.pkcs11")

T = TypeVar("T")

#: A PIN the token refuses: the owner's authorisation is wrong (``consent = "pin"``).
_PIN_REFUSED: tuple[type[Exception], ...] = (
    p11_errors.PinIncorrect,
    p11_errors.PinInvalid,
    p11_errors.PinLenRange,
)

#: Errors after which the sessions are useless but a fresh set may work.
_REOPEN_ERRORS: tuple[type[Exception], ...] = (
    p11_errors.SessionHandleInvalid,
    p11_errors.SessionClosed,
    p11_errors.DeviceRemoved,
    p11_errors.DeviceError,
    p11_errors.TokenNotPresent,
    p11_errors.TokenNotRecognised,
    p11_errors.UserNotLoggedIn,
    p11_errors.ObjectHandleInvalid,
    p11_errors.KeyHandleInvalid,
    p11_errors.GeneralError,
)

#: Errors while looking for the token that a re-initialised module may no longer give.
_ABSENT_ERRORS: tuple[type[Exception], ...] = (
    p11_errors.GeneralError,
    p11_errors.NoSuchToken,
    p11_errors.TokenNotPresent,
    p11_errors.TokenNotRecognised,
    p11_errors.DeviceRemoved,
)

#: Seconds between two re-initialisations of one module (a token that stays away must not
#: make every request pay for C_Finalize/C_Initialize).
REINITIALIZE_INTERVAL = 1.0
_REINITIALIZED: dict[str, float] = {}

_LIBS: dict[str, Any] = {}
_LIBS_LOCK = threading.Lock()
_MODULE_LOCKS: dict[str, threading.Lock] = {}


def _module_lock(module: str) -> threading.Lock:
    with _LIBS_LOCK:
        return _MODULE_LOCKS.setdefault(module, threading.Lock())


def _library(module: str, module_env: Mapping[str, str] | None = None) -> Any:
    """One loaded module per path: C_Initialize may run once per process.

    ``module_env`` (the key's ``module_env`` setting, e.g. ``SOFTHSM2_CONF``) is exported to
    the process before the first load: modules read their configuration from the
    environment when they are initialised, so a configuration file copied elsewhere works
    without the operator exporting anything.
    """
    with _LIBS_LOCK:
        lib = _LIBS.get(module)
        if lib is None:
            os.environ.update(module_env or {})
            try:
                lib = pkcs11.lib(module)
            except (RuntimeError, OSError, p11_errors.PKCS11Error) as exc:
                raise Unavailable(
                    "TOKEN_UNAVAILABLE", problem=f"cannot load PKCS#11 module {module}"
                ) from exc
            _LIBS[module] = lib
        return lib


def _reinitialize(module: str) -> bool:
    """C_Finalize + C_Initialize of ``module``, unless done less than a moment ago.

    The caller holds the module's call lock. Returns whether it ran.
    """
    now = time.monotonic()
    with _LIBS_LOCK:
        lib = _LIBS.get(module)
        if lib is None or now - _REINITIALIZED.get(module, -REINITIALIZE_INTERVAL) < (
            REINITIALIZE_INTERVAL
        ):
            return False
        _REINITIALIZED[module] = now
    log.warning("re-initialising PKCS#11 module %s to find its tokens again", module)
    try:
        lib.reinitialize()
    except p11_errors.PKCS11Error as exc:
        log.warning("re-initialising %s failed: %s", module, type(exc).__name__)
        return False
    return True


class TokenPool:
    """Sessions on one token; ``run`` lends one to a callable, thread-safe."""

    def __init__(
        self,
        module: str,
        token_label: str | None,
        pin_reader: Callable[[], str | None],
        size: int = 4,
        module_env: Mapping[str, str] | None = None,
    ) -> None:
        self.module = module
        self.module_env = dict(module_env or {})
        self.token_label = token_label
        self._pin_reader = pin_reader
        self._size = max(1, size)
        self._lock = threading.Lock()
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._generation = 0
        self._sessions: list[Any] = []
        self._objects: dict[tuple[int, int, str, str], Any] = {}
        self._call_lock = _module_lock(module)
        self._counts = threading.Lock()  # guards the two counters below
        self._lent = 0
        #: Calls that met a token error (each retry counted); read by the server's metrics.
        self.errors = 0
        with self._call_lock:
            self._open()

    @property
    def size(self) -> int:
        """Sessions the pool keeps open."""
        return self._size

    @property
    def in_use(self) -> int:
        """Sessions lent out now (waiting callers not counted)."""
        return self._lent

    # ------------------------------------------------------------------ lifecycle
    def _token(self) -> Any:
        """The token, after re-initialising the module once if it cannot be found.

        Raises :class:`NotFound` (``TOKEN_NOT_FOUND``) when the module has no such token,
        :class:`Unavailable` (``TOKEN_UNAVAILABLE``) when the module cannot list its slots.
        """
        try:
            return self._find_token()
        except _ABSENT_ERRORS:
            if not _reinitialize(self.module):
                raise
            return self._find_token()

    def _find_token(self) -> Any:
        lib = _library(self.module, self.module_env)
        try:
            if self.token_label:
                return lib.get_token(token_label=self.token_label)
            tokens = list(lib.get_tokens())
        except p11_errors.MultipleTokensReturned as exc:
            raise NotFound(
                "TOKEN_NOT_FOUND", problem=f"no token labelled {self.token_label!r}"
            ) from exc
        if len(tokens) != 1:
            raise NotFound(
                "TOKEN_NOT_FOUND",
                problem="no token_label configured and the module has not exactly one token",
            )
        return tokens[0]

    def _open(self) -> None:
        """(Re)open every session; the first logs in, the rest share that login."""
        try:
            token = self._token()
        except (p11_errors.NoSuchToken, p11_errors.TokenNotPresent) as exc:
            raise NotFound(
                "TOKEN_NOT_FOUND", problem=f"no token labelled {self.token_label!r}"
            ) from exc
        except p11_errors.PKCS11Error as exc:
            raise Unavailable(
                "TOKEN_UNAVAILABLE",
                problem=f"token {self.token_label!r}: {type(exc).__name__}",
            ) from exc
        pin = self._pin_reader()
        sessions: list[Any] = []
        try:
            for index in range(self._size):
                if index == 0 and pin is not None:
                    try:
                        sessions.append(token.open(user_pin=pin))
                    except p11_errors.UserAlreadyLoggedIn:
                        sessions.append(token.open())
                else:
                    sessions.append(token.open())
        except p11_errors.PinIncorrect as exc:
            self._close_all(sessions)
            raise Unavailable("TOKEN_LOGIN_FAILED") from exc
        except p11_errors.PKCS11Error as exc:
            self._close_all(sessions)
            raise Unavailable(
                "TOKEN_UNAVAILABLE",
                problem=f"cannot open sessions on token {self.token_label!r}: {type(exc).__name__}",
            ) from exc
        self._sessions = sessions
        self._generation += 1
        self._objects.clear()
        self._idle = queue.LifoQueue()
        for s in sessions:
            self._idle.put(s)

    @staticmethod
    def _close_all(sessions: list[Any]) -> None:
        for s in sessions:
            try:
                s.close()
            except Exception:  # noqa: S112 - the token may already be gone
                continue

    def close(self) -> None:
        with self._lock, self._call_lock:
            self._close_all(self._sessions)
            self._sessions = []

    def _reopen(self, seen_generation: int) -> None:
        with self._lock:
            if self._generation != seen_generation:
                return  # another thread already re-opened the pool
            log.warning("re-opening PKCS#11 sessions on token %r", self.token_label)
            with self._call_lock:
                self._close_all(self._sessions)
                self._open()

    def _count(self, *, lent: int = 0, errors: int = 0) -> None:
        with self._counts:
            self._lent += lent
            self.errors += errors

    # ------------------------------------------------------------------ use
    def run(self, fn: Callable[[Any], T]) -> T:
        """Call ``fn(session)`` with a session of its own; reopen and retry once on token errors."""
        for attempt in (1, 2):
            generation = self._generation
            idle = self._idle
            session = idle.get()
            self._count(lent=1)
            try:
                with self._call_lock:
                    return fn(session)
            except _REOPEN_ERRORS as exc:
                self._count(errors=1)
                if attempt == 2:
                    raise Unavailable(
                        "TOKEN_UNAVAILABLE",
                        problem=f"token {self.token_label!r} failed: {type(exc).__name__}",
                    ) from exc
                log.warning("PKCS#11 error %s; re-opening the pool", type(exc).__name__)
                self._reopen(generation)
                continue
            finally:
                self._count(lent=-1)
                if generation == self._generation:
                    idle.put(session)
        raise AssertionError("unreachable")

    def probe(self, object_class: Any, label: str | None, key_id: str | None) -> None:
        """Look the object up on the token now, past every cache.

        Raises :class:`Unavailable` or :class:`NotFound` as :meth:`run` and
        :meth:`find_object` do; a token that came back is re-opened on the way.
        """

        def _find(session: Any) -> None:
            attrs: dict[Any, Any] = {pkcs11.Attribute.CLASS: object_class}
            if label:
                attrs[pkcs11.Attribute.LABEL] = label
            if key_id:
                attrs[pkcs11.Attribute.ID] = bytes.fromhex(key_id)
            count = len(list(session.get_objects(attrs)))
            if count != 1:
                raise NotFound("KEY_NOT_ON_TOKEN", count=count, label=label, key_id=key_id)

        generation = self._generation
        try:
            self.run(_find)
        except NotFound:
            # A session opened before the token went away sees no objects, even once the token
            # is back: re-open the pool (and, if the token is not listed, the module) and look
            # again; a token still away raises TOKEN_NOT_FOUND / TOKEN_UNAVAILABLE here.
            self._reopen(generation)
            self.run(_find)

    def run_logged_in(self, pin: str, key_name: str, fn: Callable[[Any], T]) -> T:
        """Call ``fn(session)`` in a session of its own logged in with ``pin`` for this call
        only (the owner's PIN, ``consent = "pin"``), then log out and close it.

        The token must hold no other logged-in session of kyso's (the settings keep a
        PIN-consent key alone on its token), else the login would not check the PIN: that is
        refused. Raises :class:`Unauthenticated` (``CONSENT_INVALID``) when the token refuses
        the PIN, :class:`Unavailable` (``TOKEN_LOGIN_FAILED`` when the PIN is blocked,
        ``TOKEN_UNAVAILABLE``, ``TOKEN_SIGN_FAILED``) otherwise. The PIN is never logged.
        """
        with self._call_lock:
            try:
                token = self._token()
            except p11_errors.PKCS11Error as exc:
                raise Unavailable(
                    "TOKEN_UNAVAILABLE",
                    problem=f"token {self.token_label!r}: {type(exc).__name__}",
                ) from exc
            try:
                session = token.open(user_pin=pin)
            except _PIN_REFUSED as exc:
                raise Unauthenticated("CONSENT_INVALID", key=key_name) from exc
            except p11_errors.PinLocked as exc:
                raise Unavailable("TOKEN_LOGIN_FAILED") from exc
            except p11_errors.UserAlreadyLoggedIn as exc:
                raise Unavailable(
                    "TOKEN_UNAVAILABLE",
                    problem=f"token {self.token_label!r} is already logged in: an owner-PIN "
                    "key must be alone on its token",
                ) from exc
            except p11_errors.PKCS11Error as exc:
                raise Unavailable(
                    "TOKEN_UNAVAILABLE",
                    problem=f"cannot log in to token {self.token_label!r}: {type(exc).__name__}",
                ) from exc
            try:
                return fn(session)
            except p11_errors.PKCS11Error as exc:
                raise Unavailable("TOKEN_SIGN_FAILED", problem=type(exc).__name__) from exc
            finally:
                try:
                    session.close()  # C_Logout, then C_CloseSession
                except p11_errors.PKCS11Error:
                    log.warning("token %r: owner session not closed cleanly", self.token_label)

    def find_object(
        self,
        session: Any,
        object_class: Any,
        label: str | None,
        key_id: str | None,
        cache: bool = True,
    ) -> Any:
        """The object on ``session`` with ``label``/``key_id``; cached per pooled session
        (``cache=False`` for a session that is closed after one call)."""
        key = (self._generation, id(session), str(object_class), f"{label}|{key_id}")
        found = self._objects.get(key) if cache else None
        if found is not None:
            return found
        attrs: dict[Any, Any] = {pkcs11.Attribute.CLASS: object_class}
        if label:
            attrs[pkcs11.Attribute.LABEL] = label
        if key_id:
            attrs[pkcs11.Attribute.ID] = bytes.fromhex(key_id)
        objects = list(session.get_objects(attrs))
        if len(objects) != 1:
            raise NotFound("KEY_NOT_ON_TOKEN", count=len(objects), label=label, key_id=key_id)
        if cache:
            self._objects[key] = objects[0]
        return objects[0]
