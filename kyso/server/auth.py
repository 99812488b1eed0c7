"""Who is calling, and what they may do.

An :class:`Identity` (name plus roles) comes from an :class:`IdentitySource`.
Today the source is a bearer token (``authorization: Bearer <token>``) looked up
by its SHA-256 in token files named in the config; the mTLS client-certificate
source of the security issue can replace it without touching the servicers,
because they only see :func:`current_identity`.

Only the ``kyso.v1.TrustStore`` service is guarded (the Signer and Verifier
stay open until the security issue): reads need an authenticated client,
changes the security-officer role, and an unknown method is denied.
"""

from __future__ import annotations

import contextvars
import enum
import hashlib
import hmac
import logging
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import grpc

from kyso.errors import KysoError, PermissionDenied, Unauthenticated
from kyso.server.status import abort

if TYPE_CHECKING:
    from kyso.server.context import AppContext
    from kyso.server.settings import ServerSettings, Settings

log = logging.getLogger("kyso.auth")

PROTECTED_SERVICE = "/kyso.v1.TrustStore/"
OFFICER_TOKEN_FILE = "officer.token"  # noqa: S105 - a file name under <home>/auth, not a secret


class CallerRole(enum.Enum):
    READER = "reader"
    SECURITY_OFFICER = "security_officer"


@dataclass(frozen=True)
class Identity:
    name: str
    roles: frozenset[CallerRole]
    source: str = "token"

    def has(self, role: CallerRole) -> bool:
        # An officer may read what readers read.
        return role in self.roles or (
            role is CallerRole.READER and CallerRole.SECURITY_OFFICER in self.roles
        )

    @property
    def actor(self) -> str:
        """How the audit log names this client."""
        return f"{self.source}:{self.name}"


_current: contextvars.ContextVar[Identity | None] = contextvars.ContextVar(
    "kyso_identity", default=None
)


def current_identity() -> Identity | None:
    """The identity of the RPC being served on this thread (set by the interceptor)."""
    return _current.get()


class IdentitySource(Protocol):
    def identify(self, context: grpc.ServicerContext) -> Identity | None: ...


# -- tokens ---------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _read_token_file(path: Path) -> dict[str, str]:
    """``<sha256 hex> <client name>`` per line; '#' starts a comment."""
    out: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        digest, _, name = line.partition(" ")
        digest = digest.strip().lower()
        if len(digest) == 64 and all(c in "0123456789abcdef" for c in digest):
            out[digest] = name.strip() or digest[:12]
    return out


def add_token(path: Path, name: str) -> str:
    """Create a new token for ``name`` in ``path`` (only its hash is stored); return it once."""
    if not name or any(c.isspace() for c in name) or "#" in name:
        raise ValueError("a client name has no spaces and no '#'")
    token = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{token_hash(token)} {name}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return token


class TokenIdentitySource:
    """Bearer tokens checked against officer and reader token files (re-read when changed)."""

    def __init__(self, officer_file: Path | None, reader_file: Path | None) -> None:
        self._files = {CallerRole.SECURITY_OFFICER: officer_file, CallerRole.READER: reader_file}
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] = ()
        self._table: dict[str, tuple[str, frozenset[CallerRole]]] = {}

    def _current_table(self) -> dict[str, tuple[str, frozenset[CallerRole]]]:
        stamp = tuple(_stat(p) for p in self._files.values())
        with self._lock:
            if stamp != self._stamp:
                table: dict[str, tuple[str, set[CallerRole]]] = {}
                for role, path in self._files.items():
                    if path is None:
                        continue
                    for digest, name in _read_token_file(path).items():
                        table.setdefault(digest, (name, set()))[1].add(role)
                self._table = {d: (n, frozenset(r)) for d, (n, r) in table.items()}
                self._stamp = stamp
            return self._table

    def identify(self, context: grpc.ServicerContext) -> Identity | None:
        metadata: Mapping[str, Any] = dict(context.invocation_metadata() or ())
        header = metadata.get("authorization")
        if not isinstance(header, str) or not header.lower().startswith("bearer "):
            return None
        token = header[7:].strip()
        if not token or len(token) > 512:
            return None
        digest = token_hash(token)
        for known, (name, roles) in self._current_table().items():
            if hmac.compare_digest(known, digest):
                return Identity(name=name, roles=roles, source="token")
        return None


def _stat(path: Path | None) -> tuple[float, int] | None:
    if path is None:
        return None
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime, st.st_size


# -- the TrustStore policy --------------------------------------------------------------

#: Method -> role it needs.  A method missing here is denied (deny by default).
TRUST_STORE_POLICY: dict[str, CallerRole] = {
    "Add": CallerRole.SECURITY_OFFICER,
    "Remove": CallerRole.SECURITY_OFFICER,
    "Import": CallerRole.SECURITY_OFFICER,
    "InstallBundle": CallerRole.SECURITY_OFFICER,
    "List": CallerRole.READER,
    "Get": CallerRole.READER,
    "Export": CallerRole.READER,
    "ListBundles": CallerRole.READER,
    "History": CallerRole.READER,
    "VerifyAudit": CallerRole.READER,
    "ListAudit": CallerRole.READER,
    "Status": CallerRole.READER,
}

RefusalHook = Callable[[str, str, KysoError], None]  # (actor, method, error)


class AuthInterceptor(grpc.ServerInterceptor):
    """Checks every TrustStore call before the servicer runs; other services pass through."""

    def __init__(
        self,
        source: IdentitySource,
        policy: Mapping[str, CallerRole] | None = None,
        on_refused: RefusalHook | None = None,
    ) -> None:
        self._source = source
        self._policy = dict(policy or TRUST_STORE_POLICY)
        self._on_refused = on_refused

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method  # type: ignore[attr-defined]
        handler = continuation(handler_call_details)
        if handler is None or not method.startswith(PROTECTED_SERVICE):
            return handler
        name = method[len(PROTECTED_SERVICE) :]
        required = self._policy.get(name)
        if handler.unary_unary is None:  # every TrustStore method is unary; anything else: deny
            required = None
        behaviour = handler.unary_unary

        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            identity = self._source.identify(context)
            if identity is None:
                err: KysoError = Unauthenticated("UNAUTHENTICATED")
                self._refused("anonymous", name, err, required)
                abort(context, err)
                return None
            if required is None or not identity.has(required):
                err = PermissionDenied(
                    "PERMISSION_DENIED",
                    actor=identity.name,
                    method=f"TrustStore.{name}",
                    role=required.value if required else "—",
                )
                self._refused(identity.actor, name, err, required)
                abort(context, err)
                return None
            token = _current.set(identity)
            try:
                return behaviour(request, context)  # type: ignore[misc]
            finally:
                _current.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            guarded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _refused(
        self, actor: str, method: str, err: KysoError, required: CallerRole | None
    ) -> None:
        log.info("TrustStore.%s refused for %s: %s", method, actor, err.code)
        # Refused attempts to change the store are audited; refused reads only logged.
        if self._on_refused is not None and required is not CallerRole.READER:
            self._on_refused(actor, method, err)


# -- wiring -------------------------------------------------------------------------------


def token_files(config: ServerSettings) -> tuple[Path, Path]:
    """The officer and reader token files: configured, else under ``<home>/auth``."""
    ts = config.trust_store
    return (
        ts.officer_tokens_file or config.home / "auth" / "officer-tokens",
        ts.reader_tokens_file or config.home / "auth" / "reader-tokens",
    )


def ensure_local_officer(config: Settings) -> Path | None:
    """Embedded defaults: give the local CLI an officer token if no officer exists yet."""
    officer_file, _ = token_files(config)
    if not config.embedded_defaults or _read_token_file(officer_file):
        return None
    credential = config.home / "auth" / OFFICER_TOKEN_FILE
    credential.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = add_token(officer_file, "local-cli")
    fd = os.open(credential, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, (token + "\n").encode())
    finally:
        os.close(fd)
    os.chmod(credential, 0o600)
    log.info("created the local security-officer credential in %s", credential)
    return credential


def caller_actor(source: IdentitySource | None, context: grpc.ServicerContext) -> str:
    """How an audit names the caller of an unguarded RPC (the Signer): ``token:<name>`` when a
    known bearer token was presented, else ``anonymous@<peer>``; never the token itself."""
    identity = current_identity() or (source.identify(context) if source is not None else None)
    if identity is not None:
        return identity.actor
    return f"anonymous@{context.peer() or 'unknown'}"


def build_interceptor(ctx: AppContext) -> AuthInterceptor:
    """The interceptor for ``ctx.interceptors``; refused changes go to the trust audit.
    Also sets ``ctx.identities`` for the audits of unguarded services."""
    ensure_local_officer(ctx.settings)
    officer_file, reader_file = token_files(ctx.settings)
    source = TokenIdentitySource(officer_file, reader_file)
    ctx.identities = source

    def on_refused(actor: str, method: str, err: KysoError) -> None:
        ctx.trust.record_refusal(actor, method, err)

    return AuthInterceptor(source, on_refused=on_refused)
