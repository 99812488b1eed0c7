"""The ``kyso`` command: ``kyso serve`` runs the server, every other command is a gRPC client."""
