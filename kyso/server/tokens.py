"""Bearer tokens: files of ``<sha256 hex> <client name>`` lines, re-read when they change.

Only the SHA-256 of a token is stored; :func:`add_token` shows the token once. Three files
may hold tokens (:func:`token_files`):

* ``tokens_file`` (default ``<home>/auth/tokens``): a token names a ``[[clients]]`` table
  with ``token = true``, whose roles and keys the caller gets;
* the trust store's ``officer_tokens_file`` and ``reader_tokens_file`` (kept for deployments
  that have them): a token there gives the roles of :data:`LEGACY_ROLES`, and no key.

A token is read from the ``authorization: Bearer <token>`` metadata of a call; it is accepted
only on a plaintext loopback listener or with ``[tls] allow_token_only`` (:mod:`kyso.server.auth`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kyso.server.policy import Role

if TYPE_CHECKING:
    from kyso.server.settings import ServerSettings

#: The local CLI's credential under ``<home>/auth`` (embedded defaults): its token, 0600.
LOCAL_CREDENTIAL_FILE = "local-cli.token"
#: The client the embedded defaults create for the local CLI.
LOCAL_CLIENT = "local-cli"

#: Which token file a token was found in.
CLIENTS, OFFICERS, READERS = "clients", "officers", "readers"

#: Roles of a token found in a trust store's legacy file (the old officer could also read
#: the audits, the old reader read the store and the audits).
LEGACY_ROLES: Mapping[str, frozenset[Role]] = {
    OFFICERS: frozenset({Role.SECURITY_OFFICER, Role.AUDITOR}),
    READERS: frozenset({Role.AUDITOR}),
}

_MAX_TOKEN = 512


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def read_token_file(path: Path) -> dict[str, str]:
    """``<sha256 hex> <client name>`` per line -> {digest: name}; '#' starts a comment."""
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
    """Create a new token for ``name`` in ``path`` (only its hash is stored); return it once.

    The file and its directory are created readable by their owner only (0600, 0700).
    """
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


def token_files(config: ServerSettings) -> dict[str, Path]:
    """The three token files: configured, else under ``<home>/auth``."""
    ts = config.trust_store
    auth = config.home / "auth"
    return {
        CLIENTS: config.tokens_file or auth / "tokens",
        OFFICERS: ts.officer_tokens_file or auth / "officer-tokens",
        READERS: ts.reader_tokens_file or auth / "reader-tokens",
    }


def bearer_token(metadata: Mapping[str, Any]) -> str | None:
    """The token of an ``authorization: Bearer <token>`` header, if well formed."""
    header = metadata.get("authorization")
    if not isinstance(header, str) or not header.lower().startswith("bearer "):
        return None
    token = header[7:].strip()
    return token if 0 < len(token) <= _MAX_TOKEN else None


class TokenTable:
    """The token files, read again when one changes (modification time and size)."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        self._files = dict(files)
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] = ()
        self._table: list[tuple[str, str, str]] = []  # (digest, name, file kind)

    def _current(self) -> list[tuple[str, str, str]]:
        stamp = tuple(_stat(p) for p in self._files.values())
        with self._lock:
            if stamp != self._stamp:
                table = []
                for kind, path in self._files.items():
                    table += [(d, n, kind) for d, n in read_token_file(path).items()]
                self._table, self._stamp = table, stamp
            return self._table

    def lookup(self, token: str) -> tuple[str, str] | None:
        """(client name, file kind) of ``token``; compared in constant time per entry."""
        digest = token_hash(token)
        found = None
        for known, name, kind in self._current():
            if hmac.compare_digest(known, digest) and found is None:
                found = (name, kind)
        return found

    def names(self, kind: str = CLIENTS) -> set[str]:
        """The client names holding a token in the ``kind`` file."""
        return {name for _, name, k in self._current() if k == kind}


def _stat(path: Path) -> tuple[float, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime, st.st_size


def ensure_local_credential(config: ServerSettings) -> Path:
    """Embedded defaults: a token for :data:`LOCAL_CLIENT` and the CLI's copy of it.

    ``<home>/auth/local-cli.token`` (0600) holds the token; its hash is in the clients' token
    file. Reused while both agree; made again otherwise. Returns the credential's path.
    """
    files = token_files(config)
    auth = config.home / "auth"
    auth.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(auth, 0o700)
    credential = auth / LOCAL_CREDENTIAL_FILE
    try:
        token = credential.read_text(encoding="utf-8").strip()
    except OSError:
        token = ""
    known = read_token_file(files[CLIENTS])
    if token and known.get(token_hash(token)) == LOCAL_CLIENT:
        return credential
    token = add_token(files[CLIENTS], LOCAL_CLIENT)
    tmp = credential.with_name(f".{LOCAL_CREDENTIAL_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, (token + "\n").encode())
    finally:
        os.close(fd)
    tmp.replace(credential)
    return credential


__all__ = [
    "CLIENTS",
    "LEGACY_ROLES",
    "LOCAL_CLIENT",
    "LOCAL_CREDENTIAL_FILE",
    "OFFICERS",
    "READERS",
    "TokenTable",
    "add_token",
    "bearer_token",
    "ensure_local_credential",
    "read_token_file",
    "token_files",
    "token_hash",
]
