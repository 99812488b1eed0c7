"""The CLI's gRPC client side: channel, chunked upload, refused-call reporting, exit codes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import grpc

from kyso.server.status import error_info

#: Exit status of every command for an error reported as an English code and a Vietnamese message.
EXIT_ERROR = 3
CHUNK = 1024 * 1024
UNARY_LIMIT = 3 * 1024 * 1024  # above this the CLI streams (gRPC's default is 4 MiB)


def channel(address: str) -> grpc.Channel:
    limit = 512 * 1024 * 1024
    return grpc.insecure_channel(
        address,
        options=[
            ("grpc.max_receive_message_length", limit),
            ("grpc.max_send_message_length", limit),
        ],
    )


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
