"""gRPC server, configuration and CLI wiring for kyso.

Only wiring lives here: the work is done by ``signer``, ``verifier`` and
``trust_store``; each ``*_api`` module adapts one of them to its gRPC service.
"""
