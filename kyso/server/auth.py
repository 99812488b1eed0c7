"""Who is calling, and whether they may: identities, and the guard in front of every RPC.

An :class:`Identity` (a ``[[clients]]`` name, its roles and keys) comes from
:class:`IdentityResolver`: the verified mTLS client certificate (its subject or a SAN matched
against the ``[[clients]]`` tables) or, when bearer tokens are accepted (plaintext loopback,
or ``[tls] allow_token_only``), the ``authorization: Bearer`` token (:mod:`kyso.server.tokens`).

:class:`AccessInterceptor` applies :data:`kyso.server.policy.POLICY` before any servicer runs:
``UNAUTHENTICATED`` without a credential, ``PERMISSION_DENIED`` naming the role or the key
that is missing, and an unknown method denied; health and reflection are open. Servicers see
the caller through :func:`current_identity`. Refusals of identified clients go to the audit
the rule names (signing or trust); refusals of callers without a credential are counted and
logged at most once a minute, never chained (a flood must not fill the audit).
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import grpc

from kyso.errors import KysoError, PermissionDenied, Unauthenticated
from kyso.server import request_log
from kyso.server.identity import ClientIdentity, client_identity, normalise_san, parse_subject
from kyso.server.identity import subject_matches as _subject_matches
from kyso.server.policy import POLICY, Role, Rule, short_name
from kyso.server.status import abort
from kyso.server.tokens import (
    CLIENTS,
    LEGACY_ROLES,
    LOCAL_CLIENT,
    TokenTable,
    bearer_token,
    ensure_local_credential,
    token_files,
)
from kyso.settings import shorten

if TYPE_CHECKING:
    from kyso.server.context import AppContext
    from kyso.server.settings import ClientSettings, Settings

log = logging.getLogger("kyso.auth")


@dataclass(frozen=True)
class Identity:
    """A caller kyso recognised: ``name`` (a ``[[clients]]`` name, a legacy token's name, or
    ``serial:HEX`` for a certificate that names no client), its roles and signing keys, and
    ``source``: ``cert`` or ``token``."""

    name: str
    roles: frozenset[Role]
    keys: frozenset[str] = frozenset()
    source: str = "token"

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)

    def may_use(self, key: str) -> bool:
        return Role.SIGNER in self.roles and key in self.keys

    @property
    def actor(self) -> str:
        """How logs and audits name this client: ``cert:NAME`` or ``token:NAME``."""
        return f"{self.source}:{self.name}"


_current: contextvars.ContextVar[Identity | None] = contextvars.ContextVar(
    "kyso_identity", default=None
)


def current_identity() -> Identity | None:
    """The identity of the RPC being served on this thread (set by the interceptor)."""
    return _current.get()


# -- identities ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Client:
    settings: ClientSettings
    subject: Any  # NormalisedName | None
    san: str | None

    def identity(self, source: str) -> Identity:
        return Identity(
            name=self.settings.name,
            roles=frozenset(Role(r) for r in self.settings.roles),
            keys=frozenset(self.settings.keys),  # only a signer has keys (settings check)
            source=source,
        )


class IdentityResolver:
    """Recognises callers: certificate first, then (when accepted) a bearer token."""

    def __init__(
        self,
        clients: tuple[ClientSettings, ...],
        tokens: TokenTable | None,
    ) -> None:
        self._clients = [
            _Client(
                c,
                parse_subject(c.subject) if c.subject else None,
                normalise_san(c.san) if c.san else None,
            )
            for c in clients
        ]
        self._by_name = {c.settings.name: c for c in self._clients}
        self._tokens = tokens

    @property
    def accepts_tokens(self) -> bool:
        return self._tokens is not None

    def by_certificate(self, cert: ClientIdentity) -> Identity:
        """The client a verified certificate names; ``serial:HEX`` without roles if none (or
        several: an ambiguous certificate gets nothing)."""
        sans = set()
        for san in cert.sans:
            try:
                sans.add(normalise_san(san))
            except ValueError:
                continue
        found = [
            c
            for c in self._clients
            if (c.subject is not None and _subject_matches(c.subject, cert.name))
            or (c.san is not None and c.san in sans)
        ]
        if len(found) == 1:
            return found[0].identity("cert")
        if found:
            log.warning(
                "a client certificate (serial %X) matches %d [[clients]] tables: no role given",
                cert.serial,
                len(found),
            )
        return Identity(name=f"serial:{cert.serial:X}", roles=frozenset(), source="cert")

    def by_token(self, token: str) -> Identity | None:
        if self._tokens is None:
            return None
        found = self._tokens.lookup(token)
        if found is None:
            return None
        name, kind = found
        if kind != CLIENTS:
            return Identity(name=name, roles=LEGACY_ROLES[kind], source="token")
        client = self._by_name.get(name)
        if client is None or not client.settings.token:
            return Identity(name=name, roles=frozenset(), source="token")
        return client.identity("token")

    def identify(self, context: grpc.ServicerContext) -> Identity | None:
        """The caller of ``context``; None when it presented no usable credential."""
        cert = client_identity(context)
        by_cert = self.by_certificate(cert) if cert is not None else None
        if by_cert is not None and by_cert.roles:
            return by_cert
        if self._tokens is not None:
            metadata: Mapping[str, Any] = dict(context.invocation_metadata() or ())
            token = bearer_token(metadata)
            if token is not None:
                by_token = self.by_token(token)
                if by_token is not None:
                    return by_token
        return by_cert


# -- the guard ----------------------------------------------------------------------------

#: (identity, full method name, rule, error, request or first stream message or None)
RefusalHook = Callable[[Identity, str, Rule, KysoError, Any], None]


class AnonymousRefusals:
    """Refused calls without a credential: counted in memory, logged at most once a minute."""

    def __init__(self, interval: float = 60.0) -> None:
        self._lock = threading.Lock()
        self._interval = interval
        self._last_log = float("-inf")
        self._since_log = 0
        self.total = 0
        self.by_method: dict[str, int] = {}

    def count(self, method: str, peer: str) -> None:
        name = short_name(method)
        with self._lock:
            self.total += 1
            self._since_log += 1
            if name in self.by_method or len(self.by_method) < 256:
                self.by_method[name] = self.by_method.get(name, 0) + 1
            now = time.monotonic()
            report = now - self._last_log >= self._interval
            if report:
                count, self._since_log, self._last_log = self._since_log, 0, now
        log.debug("%s refused: no credential (peer %s)", name, shorten(peer))
        if report:
            log.info(
                "refused %d call(s) without a credential in the last minute (e.g. %s)",
                count,
                name,
            )

    def snapshot(self) -> dict[str, int]:
        """Refusals so far by method (``Signer.Sign``); the metrics read it."""
        with self._lock:
            return dict(self.by_method)


def _deny(context: grpc.ServicerContext, err: KysoError) -> NoReturn:
    abort(context, err)
    raise RuntimeError("unreachable: abort raises")  # pragma: no cover


def _field(message: Any, path: str) -> str | None:
    for part in path.split("."):
        if message is None or not hasattr(message, part):
            return None
        message = getattr(message, part)
    return message if isinstance(message, str) else None


def _iterate_as(identity: Identity, iterator: Iterator[Any]) -> Iterator[Any]:
    """Iterate a response stream with ``identity`` current during each step."""
    while True:
        token = _current.set(identity)
        try:
            item = next(iterator)
        except StopIteration:
            return
        finally:
            _current.reset(token)
        yield item


class AccessInterceptor(grpc.ServerInterceptor):
    """Checks every call against the policy table before the servicer runs."""

    def __init__(
        self,
        resolver: IdentityResolver,
        policy: Mapping[str, Rule] = POLICY,
        on_refused: RefusalHook | None = None,
    ) -> None:
        self._resolver = resolver
        self._policy = dict(policy)
        self._on_refused = on_refused
        self.anonymous = AnonymousRefusals()

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        rule = self._policy.get(method)
        handler = continuation(handler_call_details)
        if rule is not None and rule.open:
            return handler
        if handler is None:  # no such method: denied like any method outside the table
            handler = grpc.unary_unary_rpc_method_handler(lambda request, context: None)
            rule = None
        if handler.request_streaming:
            return self._guard_request_stream(handler, method, rule)
        return self._guard_unary_request(handler, method, rule)

    # A unary request is checked whole; a request stream by its first message (the header).

    def _guard_unary_request(
        self, handler: grpc.RpcMethodHandler, method: str, rule: Rule | None
    ) -> grpc.RpcMethodHandler:
        streaming = handler.response_streaming
        behaviour = handler.unary_stream if streaming else handler.unary_unary

        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            identity = self._admit(context, method, rule, self._identify(context, method), request)
            if streaming:
                return _iterate_as(identity, behaviour(request, context))
            token = _current.set(identity)
            try:
                return behaviour(request, context)
            finally:
                _current.reset(token)

        kind = "unary_stream" if streaming else "unary_unary"
        return handler._replace(**{kind: guarded})  # type: ignore[attr-defined, no-any-return]

    def _guard_request_stream(
        self, handler: grpc.RpcMethodHandler, method: str, rule: Rule | None
    ) -> grpc.RpcMethodHandler:
        streaming = handler.response_streaming
        behaviour = handler.stream_stream if streaming else handler.stream_unary

        def guarded(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
            caller = self._identify(context, method)  # before reading anything it sent
            first = None
            if rule is not None and rule.key is not None:
                first = next(requests, None)  # the header naming the key
            identity = self._admit(context, method, rule, caller, first)
            if first is not None:
                requests = _prepend(first, requests)
            if streaming:
                return _iterate_as(identity, behaviour(requests, context))
            token = _current.set(identity)
            try:
                return behaviour(requests, context)
            finally:
                _current.reset(token)

        kind = "stream_stream" if streaming else "stream_unary"
        return handler._replace(**{kind: guarded})  # type: ignore[attr-defined, no-any-return]

    def _identify(self, context: grpc.ServicerContext, method: str) -> Identity:
        """The caller, or the call ends ``UNAUTHENTICATED`` (counted, not audited)."""
        identity = self._resolver.identify(context)
        if identity is None:
            self.anonymous.count(method, context.peer() or "")
            _deny(context, Unauthenticated("UNAUTHENTICATED"))
        request_log.note_client(identity.name)  # the access log's client
        return identity

    def _admit(
        self,
        context: grpc.ServicerContext,
        method: str,
        rule: Rule | None,
        identity: Identity,
        request: Any,
    ) -> Identity:
        """``identity`` if ``rule`` lets it call with ``request``; otherwise abort the call."""
        name = short_name(method)
        err: KysoError | None = None
        if rule is None:
            err = PermissionDenied("METHOD_NOT_IN_POLICY", method=shorten(name))
        elif not identity.has_any(rule.roles):
            err = PermissionDenied(
                "PERMISSION_DENIED",
                actor=identity.actor,
                method=name,
                role=rule.describe_roles(),
            )
        elif rule.key is not None:
            key = _field(request, rule.key)  # "" names no key: the servicer refuses it
            if key and rule.key_roles and not identity.has_any(rule.key_roles):
                err = PermissionDenied(
                    "PERMISSION_DENIED",
                    actor=identity.actor,
                    method=name,
                    role=" or ".join(sorted(r.value for r in rule.key_roles)),
                )
            elif key and not identity.may_use(key):
                err = PermissionDenied("KEY_NOT_PERMITTED", actor=identity.actor, key=shorten(key))
        if err is None:
            return identity
        log.info("%s refused for %s: %s", name, identity.actor, err.code)
        if rule is not None and self._on_refused is not None:
            self._on_refused(identity, method, rule, err, request)
        _deny(context, err)


def _prepend(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


# -- wiring -------------------------------------------------------------------------------


def effective_clients(settings: Settings) -> tuple[ClientSettings, ...]:
    """The configured clients; with embedded defaults also :data:`LOCAL_CLIENT` (every role,
    every key, by token) unless the configuration names it."""
    from kyso.server.settings import ClientSettings

    clients = settings.clients
    if settings.embedded_defaults and all(c.name != LOCAL_CLIENT for c in clients):
        local = ClientSettings(
            name=LOCAL_CLIENT,
            token=True,
            roles=tuple(r.value for r in Role),  # type: ignore[arg-type]
            keys=tuple(k.name for k in settings.keys),
        )
        clients = (*clients, local)
    return clients


def accepts_tokens(settings: Settings) -> bool:
    """Bearer tokens are accepted on plaintext (loopback only) or with ``allow_token_only``."""
    return settings.tls is None or settings.tls.allow_token_only


def build_resolver(settings: Settings) -> IdentityResolver:
    tokens = TokenTable(token_files(settings)) if accepts_tokens(settings) else None
    return IdentityResolver(effective_clients(settings), tokens)


def _attempt_fields(rule: Rule, request: Any) -> dict[str, str]:
    fields: dict[str, str] = {}
    if rule.key is not None:
        fields["key"] = (_field(request, rule.key) or "")[:128]
    document = getattr(request, "document", None)
    if isinstance(document, bytes) and document:
        fields["input_sha256"] = hashlib.sha256(document).hexdigest()
    return fields


def build_interceptor(ctx: AppContext) -> AccessInterceptor:
    """The guard for ``ctx.interceptors``: refused Signer calls of identified clients go to the
    signing audit, refused trust-store changes to the trust audit. With embedded defaults the
    local CLI's credential is made (:func:`kyso.server.tokens.ensure_local_credential`)."""
    from signer.audit import SigningAttempt, SigningResult

    settings = ctx.settings
    if settings.embedded_defaults and accepts_tokens(settings):
        ensure_local_credential(settings)
    resolver = build_resolver(settings)
    ctx.identities = resolver

    def on_refused(identity: Identity, method: str, rule: Rule, err: KysoError, req: Any) -> None:
        operation = method.rpartition("/")[2]
        if rule.audit == "signing":
            attempt = SigningAttempt(
                actor=identity.actor,
                operation=operation,
                result=SigningResult.REFUSED,
                code=err.code,
                **_attempt_fields(rule, req),
            )
            ctx.signing_audit.record_failure(attempt)
        elif rule.audit == "trust":
            ctx.trust.record_refusal(identity.actor, operation, err)

    return AccessInterceptor(resolver, on_refused=on_refused)


def caller_actor(context: grpc.ServicerContext) -> str:
    """How an audit names the caller: the identity the guard admitted, else
    ``anonymous@<peer>`` (never a token)."""
    identity = current_identity()
    if identity is not None:
        return identity.actor
    return f"anonymous@{shorten(context.peer() or 'unknown')}"


__all__ = [
    "AccessInterceptor",
    "AnonymousRefusals",
    "Identity",
    "IdentityResolver",
    "accepts_tokens",
    "build_interceptor",
    "build_resolver",
    "caller_actor",
    "current_identity",
    "effective_clients",
]
