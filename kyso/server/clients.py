"""The ``[[clients]]`` tables: who a client is and what it may do (docs/security.md).

Part of the server's settings (:mod:`kyso.server.settings` composes them); validated strictly,
an error naming the table and the key (``clients[0].roles[1]``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from kyso.server.identity import normalise_san, parse_subject
from kyso.server.policy import RoleName
from kyso.settings import SettingsModel, Strings, shorten

_CLIENT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


def _check_subject(value: str | None) -> str | None:
    if value is not None:
        parse_subject(value)  # ValueError names the problem
    return value


def _check_san(value: str | None) -> str | None:
    if value is not None:
        normalise_san(value)
    return value


def _to_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class ClientSettings(SettingsModel):
    """One ``[[clients]]`` table: who a client is and what it may do (docs/security.md).

    A client is recognised by its verified client certificate (``subject`` or ``san``) and/or
    by bearer tokens issued to its name (``token = true``; accepted on a plaintext loopback
    listener or with ``[tls] allow_token_only``). ``roles`` give the methods it may call,
    ``keys`` the signing keys a ``signer`` may use (and that ListKeys shows it).
    """

    name: str = Field(
        pattern=_CLIENT_NAME,
        description="the client's name in logs and audits (letters, digits, `._@-`, at most 64)",
    )
    subject: Annotated[str | None, AfterValidator(_check_subject)] = Field(
        None,
        description="RFC 4514 subject of its client certificate "
        '(`"CN=qlvb-phat-hanh,O=So Noi vu"`), compared normalised (docs/security.md)',
    )
    san: Annotated[str | None, AfterValidator(_check_san)] = Field(
        None,
        description="or a subjectAltName of its certificate: `dns:NAME`, `ip:ADDRESS`, "
        "`uri:URI`, `email:ADDRESS`",
    )
    token: bool = Field(
        False,
        description="may authenticate with a bearer token issued to this name "
        "(`kyso trust token add NAME`); plaintext loopback or `allow_token_only` only",
    )
    roles: Annotated[tuple[RoleName, ...], BeforeValidator(_to_tuple)] = Field(
        description="`verifier`, `signer`, `security_officer`, `auditor` (at least one)",
    )
    keys: Strings = Field(
        (), description="signing keys a `signer` may use, by their `[[keys]]` name"
    )
    max_concurrent: int | None = Field(
        None, ge=1, description="its own `[limits] max_concurrent` (calls running at once)"
    )
    rate_per_second: float | None = Field(
        None, gt=0, description="its own `[limits] rate_per_second` (calls a second)"
    )
    burst: int | None = Field(None, ge=1, description="its own `[limits] burst`")
    max_pending_signatures: int | None = Field(
        None,
        ge=1,
        description="its own `[limits] max_pending_signatures` (two-step signatures waiting)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ClientSettings:
        if self.subject is not None and self.san is not None:
            raise ValueError("give subject or san, not both")
        if self.subject is None and self.san is None and not self.token:
            raise ValueError("no way to recognise this client: give subject, san or token = true")
        if not self.roles:
            raise ValueError("roles: give at least one role")
        if self.keys and "signer" not in self.roles:
            raise ValueError("keys: only a client with the signer role uses keys")
        return self


def _either_order(subject: str) -> frozenset[Any]:
    """A subject as :func:`kyso.server.identity.subject_matches` matches it: either order."""
    name = parse_subject(subject)
    return frozenset({name, tuple(reversed(name))})


def check_clients(clients: Iterable[ClientSettings], keys: set[str]) -> None:
    """Unique names, subjects and SANs; every key a client lists is one of ``keys``.

    Raises :class:`ValueError` naming the table (``clients[1].subject: ...``).
    """
    seen: dict[Any, str] = {}
    for index, client in enumerate(clients):
        where = f"clients[{index}]"
        for kind, value in (
            ("name", client.name),
            ("subject", _either_order(client.subject) if client.subject else None),
            ("san", normalise_san(client.san) if client.san else None),
        ):
            if value is None:
                continue
            if (kind, value) in seen:
                raise ValueError(
                    f"{where}.{kind}: the same {kind} as {seen[(kind, value)]} "
                    "(each client is recognised by its own)"
                )
            seen[(kind, value)] = where
        unknown = [k for k in client.keys if k not in keys]
        if unknown:
            raise ValueError(
                f"{where}.keys: {[shorten(k) for k in unknown]} are not [[keys]] names"
            )


__all__ = ["ClientSettings", "check_clients"]
