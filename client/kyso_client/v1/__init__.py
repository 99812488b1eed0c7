"""Generated protobuf and gRPC stubs for package ``kyso.v1`` (do not edit; see proto/compile_stubs.py)."""
