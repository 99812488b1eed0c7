"""Channels to a kyso server: TLS or mTLS, the bearer token, message-size limits.

kyso's server (docs/security.md) takes a client's identity from its mTLS certificate or from
``authorization: Bearer <token>`` metadata; plaintext is only accepted on loopback addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

#: Documents up to this many bytes go in one message; larger ones are streamed. Below gRPC's
#: default 4 MiB receive limit with room for the envelope, so a default server accepts them.
UNARY_LIMIT = 3 * 1024 * 1024
#: Bytes per chunk of a streamed document.
CHUNK = 1024 * 1024
#: A client channel's receive limit (bytes): answers carry the signed document (up to
#: UNARY_LIMIT plus the signature) or a report (human_report, etsi_report).
MAX_RECEIVE = 64 * 1024 * 1024


@dataclass(frozen=True)
class TlsOptions:
    """TLS to the server: ``ca`` (PEM) to trust, else the system's roots; ``cert`` + ``key``
    (PEM) for mTLS. Each is bytes or a path to read. ``server_name`` overrides the name the
    server's certificate is checked against (default: the address's host)."""

    ca: bytes | Path | None = None
    cert: bytes | Path | None = None
    key: bytes | Path | None = None
    server_name: str | None = None

    def credentials(self) -> grpc.ChannelCredentials:
        """gRPC channel credentials. Raises ValueError for ``cert`` without ``key`` (or the
        reverse) and OSError for a file that cannot be read."""
        if (self.cert is None) != (self.key is None):
            raise ValueError("TLS client certificate and key go together (mTLS)")
        return grpc.ssl_channel_credentials(
            root_certificates=_pem(self.ca),
            private_key=_pem(self.key),
            certificate_chain=_pem(self.cert),
        )


def _pem(value: bytes | Path | None) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return Path(value).read_bytes()


class BearerToken(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds ``authorization: Bearer <token>`` to every call that does not carry one."""

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _details(self, details: Any) -> Any:
        metadata = list(details.metadata or ())
        if any(k == "authorization" for k, _ in metadata):
            return details
        return details._replace(metadata=[*metadata, self._header])

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


def make_channel(
    address: str,
    tls: TlsOptions | grpc.ChannelCredentials | None = None,
    token: str | None = None,
    *,
    max_message_bytes: int = MAX_RECEIVE,
    options: list[tuple[str, Any]] | None = None,
) -> grpc.Channel:
    """A channel to ``address`` (``HOST:PORT``): TLS with ``tls``, else plaintext; every call
    carries ``token`` as a bearer token when given. ``max_message_bytes`` is the channel's
    send and receive limit; ``options`` are further gRPC channel arguments."""
    opts: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]
    if isinstance(tls, TlsOptions) and tls.server_name:
        opts.append(("grpc.ssl_target_name_override", tls.server_name))
    opts.extend(options or ())
    creds = tls.credentials() if isinstance(tls, TlsOptions) else tls
    if creds is not None:
        ch = grpc.secure_channel(address, creds, options=opts)
    else:
        ch = grpc.insecure_channel(address, options=opts)
    return grpc.intercept_channel(ch, BearerToken(token)) if token else ch
