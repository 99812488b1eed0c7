"""The gRPC server: servicers, the typed application context, settings composition, the
status map and authentication. With ``kyso.cli`` the only place that imports ``grpc`` and the
``kyso.v1`` stubs; the work is done by ``signer``, ``verifier`` and ``trust_store``."""
