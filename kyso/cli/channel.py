"""The CLI's gRPC client side: channel, chunked upload, refused-call reporting, exit codes.

The channel, the bearer-token interceptor, the unary/stream threshold and the reading of
error details are kyso-client's (``kyso_client``, client/); this module adds the CLI's
options (``--ca/--cert/--key``, ``--token-file``), the local credential and its messages.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
from kyso_client.channel import CHUNK, UNARY_LIMIT, BearerToken, make_channel
from kyso_client.errors import KysoRpcError

from kyso.cli._input import read_bytes, read_text
from kyso.errors import InvalidInput, KysoError, Unavailable
from kyso.settings import shorten

#: Exit status of every command for an error reported as an English code and a Vietnamese message.
EXIT_ERROR = 3
#: The CLI's channel limit (bytes): large reports and the unary answers of a big server limit.
CLI_MAX_MESSAGE = 512 * 1024 * 1024

__all__ = ["CHUNK", "EXIT_ERROR", "UNARY_LIMIT", "BearerToken", "channel", "client_channel"]


#: Environment variables standing for ``--ca``, ``--cert`` and ``--key``.
TLS_ENV = {"ca": "KYSO_TLS_CA", "cert": "KYSO_TLS_CERT", "key": "KYSO_TLS_KEY"}


def add_tls_options(parser: argparse.ArgumentParser) -> None:
    """``--ca``, ``--cert``, ``--key`` before the command: any of them makes the client speak TLS.

    Kept as ``ns.tls_ca``, ``ns.tls_cert``, ``ns.tls_key``: ``kyso sign --key NAME`` (after the
    command) is the signing key, a different option.
    """
    for name, help_text in (
        ("ca", "CA certificates (PEM) to trust for the server (else the system's)"),
        ("cert", "client certificate (PEM) for mTLS"),
        ("key", "private key (PEM) of --cert"),
    ):
        env = TLS_ENV[name]
        parser.add_argument(
            f"--{name}",
            dest=f"tls_{name}",  # not `key`: `kyso sign --key NAME` names a signing key
            type=Path,
            default=Path(os.environ[env]) if os.environ.get(env) else None,
            help=f"{help_text} (env {env})",
        )


def credentials(ns: argparse.Namespace) -> grpc.ChannelCredentials | None:
    """TLS credentials from ``--ca/--cert/--key``, or None (plaintext) when none is given.

    Raises :class:`InvalidInput`: FILE_UNREADABLE for a file that cannot be read,
    OPTION_INVALID for ``--cert`` without ``--key`` or the reverse.
    """
    ca, cert, key = (getattr(ns, f"tls_{name}", None) for name in ("ca", "cert", "key"))
    if ca is None and cert is None and key is None:
        return None
    if (cert is None) != (key is None):
        missing, given = ("--key", "--cert") if key is None else ("--cert", "--key")
        raise InvalidInput(
            "OPTION_INVALID",
            option=missing,
            problem=f"required with {given} (env KYSO_TLS_CERT, KYSO_TLS_KEY)",
        )
    return grpc.ssl_channel_credentials(
        root_certificates=read_bytes(ca) if ca else None,
        private_key=read_bytes(key) if key else None,
        certificate_chain=read_bytes(cert) if cert else None,
    )


#: Hosts the local credential may be sent to (the server on this machine).
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
TOKEN_ENV = "KYSO_TOKEN"  # noqa: S105 - the variable's name, not a token


def bearer_token(ns: argparse.Namespace) -> str | None:
    """The bearer token the client sends: ``--token-file``, else ``KYSO_TOKEN``, else, when
    the server is on this machine, the local CLI's credential the embedded defaults created
    (``<KYSO_HOME>/auth/local-cli.token``); None without any. The local credential never
    leaves this machine. Raises :class:`InvalidInput` (FILE_UNREADABLE) for ``--token-file``.
    """
    token_file = getattr(ns, "token_file", None)
    if token_file is not None:
        return read_text(Path(token_file)).strip() or None
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return env
    host = str(getattr(ns, "server", "")).rsplit(":", 1)[0]
    if host in LOCAL_HOSTS:
        from kyso.server.settings import default_home
        from kyso.server.tokens import LOCAL_CREDENTIAL_FILE

        local = default_home() / "auth" / LOCAL_CREDENTIAL_FILE
        try:
            return local.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None
    return None


def channel(
    address: str, tls: grpc.ChannelCredentials | None = None, token: str | None = None
) -> grpc.Channel:
    """A channel to ``address``: TLS with ``tls``, else plaintext; every call carries
    ``token`` as a bearer token when given (:func:`kyso_client.make_channel`)."""
    return make_channel(address, tls, token, max_message_bytes=CLI_MAX_MESSAGE)


def client_channel(
    ns: argparse.Namespace, tls: grpc.ChannelCredentials | None = None
) -> grpc.Channel:
    """The channel of a client command: ``--server``, ``--ca/--cert/--key`` (or ``tls``, when
    already read) and the bearer token of :func:`bearer_token`."""
    return channel(ns.server, tls if tls is not None else credentials(ns), bearer_token(ns))


def read_chunks(path: Path, size: int = CHUNK) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(size):
            yield chunk


def _error_info(err: grpc.RpcError) -> tuple[str, str]:
    """The stable code and Vietnamese message of a failed call ("" when not kyso's own)."""
    typed = KysoRpcError.from_rpc_error(err)
    return typed.code, typed.message_vi if typed.from_kyso else ""


def _credential_hint(ns: argparse.Namespace | None) -> str:
    """What to give after ``UNAUTHENTICATED``: only the options this command has."""
    token = "--token-file, KYSO_TOKEN" if hasattr(ns, "token_file") else "KYSO_TOKEN"
    return f" — give a client certificate (--cert/--key) or a bearer token ({token})"


#: Words of gRPC's transport messages that mean the TLS handshake failed (BoringSSL, TSI).
_TLS_WORDS = ("ssl", "tls", "handshake", "tsi_", "certificate")
#: ... and those that mean nothing answered at all (no process on the port, a wrong name).
_NOBODY_WORDS = ("connection refused", "failed to connect to remote host", "dns", "resolve")


def speaks_tls(ns: argparse.Namespace | None) -> bool:
    """Whether the command's channel is TLS (``--ca``, ``--cert`` or ``--key`` given)."""
    return any(getattr(ns, f"tls_{name}", None) is not None for name in ("ca", "cert", "key"))


def transport_error(err: grpc.RpcError, server: str = "", tls: bool = False) -> KysoError | None:
    """The catalogue error for a call that never reached kyso: ``TLS_HANDSHAKE_FAILED`` or
    ``SERVER_UNREACHABLE`` (bilingual, naming ``server``); None for kyso's own statuses
    (which carry an ``ErrorInfo``) and for anything else.

    With TLS 1.3 a server that refuses the client's certificate closes the connection after
    the client thinks the handshake is done: the client sees only "Socket closed". So on a
    ``tls`` channel any failure but "nobody answered" is reported as the handshake's."""
    if not hasattr(err, "code") or err.code() != grpc.StatusCode.UNAVAILABLE:
        return None
    _, vi = _error_info(err)
    if vi:  # kyso's own UNAVAILABLE (TSA down, Redis, a token): reported as it is
        return None
    details = (err.details() if hasattr(err, "details") else "") or ""
    problem = shorten(details.replace("\n", " "), 200)
    address = shorten(server or "the server", 200)
    lowered = details.lower()
    nobody = any(word in lowered for word in _NOBODY_WORDS)
    if any(word in lowered for word in _TLS_WORDS) or (tls and not nobody):
        return Unavailable("TLS_HANDSHAKE_FAILED", address=address, problem=problem)
    return Unavailable("SERVER_UNREACHABLE", address=address, problem=problem)


def report_rpc_error(err: grpc.RpcError, ns: argparse.Namespace | None = None) -> None:
    """One line on stderr, ``kyso: CODE: English (Vietnamese)`` (and the Vietnamese message
    on a second line when the server's text lacks it). A call that never reached kyso (no
    server, a failed TLS handshake) is one bilingual line naming ``--server``."""
    local = transport_error(err, str(getattr(ns, "server", "") or ""), speaks_tls(ns))
    if local is not None:
        print(f"kyso: {local}", file=sys.stderr)
        return
    code, vi = _error_info(err)
    details = (err.details() if hasattr(err, "details") else str(err)) or ""
    # kyso's own statuses already start with their code ("CODE: English (Vietnamese)").
    line = details if details.startswith(f"{code}:") else f"{code}: {details}"
    if code == "UNAUTHENTICATED":
        line += _credential_hint(ns)
    print(f"kyso: {line}" + (f"\n  {vi}" if vi and vi not in details else ""), file=sys.stderr)
