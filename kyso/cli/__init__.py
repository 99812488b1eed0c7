"""The ``kyso`` command: ``kyso serve`` runs the server, every other command is a gRPC client.

Public module: :mod:`kyso.cli.main` (``main(argv) -> exit status``, the console script). The
``sign``, ``verify`` and ``trust`` modules hold the sub-commands and ``channel`` their shared
gRPC channel; nothing is imported here.
"""

__all__ = ["main"]
