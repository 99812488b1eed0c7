"""The CLI's gRPC client side: channel, chunked upload, refused-call reporting, exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc

from kyso.cli._input import read_bytes
from kyso.errors import InvalidInput
from kyso.server.status import error_info

#: Exit status of every command for an error reported as an English code and a Vietnamese message.
EXIT_ERROR = 3
CHUNK = 1024 * 1024
UNARY_LIMIT = 3 * 1024 * 1024  # above this the CLI streams (gRPC's default is 4 MiB)


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


def channel(address: str, tls: grpc.ChannelCredentials | None = None) -> grpc.Channel:
    """A channel to ``address``: TLS with ``tls``, else plaintext."""
    limit = 512 * 1024 * 1024
    options = [
        ("grpc.max_receive_message_length", limit),
        ("grpc.max_send_message_length", limit),
    ]
    if tls is not None:
        return grpc.secure_channel(address, tls, options=options)
    return grpc.insecure_channel(address, options=options)


def read_chunks(path: Path, size: int = CHUNK) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(size):
            yield chunk


def report_rpc_error(err: grpc.RpcError) -> None:
    code, vi = error_info(err)
    details = (err.details() if hasattr(err, "details") else str(err)) or ""
    # kyso's own statuses already start with their code ("CODE: English (Vietnamese)").
    line = details if details.startswith(f"{code}:") else f"{code}: {details}"
    print(f"kyso: {line}" + (f"\n  {vi}" if vi and vi not in details else ""), file=sys.stderr)
