"""The tests' credential: one client with every role and every key, by bearer token.

Every configuration ``make_config``/``kyso_config`` writes has a ``[[clients]]`` table
:data:`ADMIN_CLIENT` (token = true, every role, every configured key) and its token's hash in
``<home>/auth/tokens``; ``grpc_channel`` and :func:`admin_channel` send :data:`ADMIN_TOKEN` on
every call that carries no ``authorization`` of its own, and ``KYSO_TOKEN`` is set to it for
the ``kyso`` CLI the tests run. A test of refusals builds its own channel
(``grpc.insecure_channel``, or :func:`token_channel` with another token).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc

from kyso.cli.channel import BearerToken
from kyso.cli.channel import channel as _cli_channel
from kyso.server.policy import Role
from kyso.server.tokens import token_hash

ADMIN_CLIENT = "kyso-test-admin"
#: Made once per test process; only its SHA-256 is written to the configurations.
ADMIN_TOKEN = secrets.token_urlsafe(32)
ALL_ROLES = tuple(r.value for r in Role)


def admin_client_table(keys: Sequence[str]) -> dict[str, Any]:
    """The ``[[clients]]`` table of the tests' all-powerful client for a config with ``keys``."""
    table: dict[str, Any] = {"name": ADMIN_CLIENT, "token": True, "roles": list(ALL_ROLES)}
    # the tests drive load through this one client: far above the per-client defaults
    table.update(max_concurrent=256, rate_per_second=100000.0, burst=100000)
    table["max_pending_signatures"] = 10000
    if keys:
        table["keys"] = list(keys)
    return table


def write_admin_token(tokens_file: Path) -> None:
    """Add the admin token's hash to ``tokens_file`` (0600), once."""
    line = f"{token_hash(ADMIN_TOKEN)} {ADMIN_CLIENT}\n"
    tokens_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if tokens_file.exists() and line in tokens_file.read_text(encoding="utf-8"):
        return
    fd = os.open(tokens_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def token_channel(address: str, token: str | None) -> grpc.Channel:
    """A plaintext channel sending ``token`` on every call (none: no credential)."""
    return _cli_channel(address, None, token)


def authorised(channel: grpc.Channel, token: str = ADMIN_TOKEN) -> grpc.Channel:
    """``channel`` sending ``token`` (default: the admin's) on every call."""
    return grpc.intercept_channel(channel, BearerToken(token))


def admin_channel(address: str) -> grpc.Channel:
    """A plaintext channel with the admin credential (every role, every key)."""
    return token_channel(address, ADMIN_TOKEN)


def bearer(token: str) -> list[tuple[str, str]]:
    """Call metadata presenting ``token``."""
    return [("authorization", f"Bearer {token}")]


__all__ = [
    "ADMIN_CLIENT",
    "ADMIN_TOKEN",
    "ALL_ROLES",
    "admin_channel",
    "admin_client_table",
    "authorised",
    "bearer",
    "token_channel",
    "write_admin_token",
]
