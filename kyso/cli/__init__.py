"""The ``kyso`` command: ``kyso serve`` runs the server, every other command is a gRPC client.

Public module: :mod:`kyso.cli.main` (``main(argv) -> exit status``, the console script). The
``sign``, ``verify`` and ``trust`` modules hold the sub-commands and ``channel`` their shared
gRPC channel; nothing is imported here.

gRPC's own log lines (a failed TLS handshake writes ``I… ssl_transport_security.cc…`` to
stderr) are held at ERROR unless ``GRPC_VERBOSITY`` says otherwise: the command's one line
says what failed. Set before anything imports ``grpc``.
"""

import os

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

__all__ = ["main"]
