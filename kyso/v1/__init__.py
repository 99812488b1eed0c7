"""The ``kyso.v1`` gRPC stubs, re-exported from the kyso-client distribution.

The generated code lives once, in ``kyso_client.v1`` (client/, see proto/compile_stubs.py);
``from kyso.v1 import signer_pb2`` and ``import kyso.v1.signer_pb2`` keep working for the
server, the CLI and the tests: each module is registered under both names (the same module
object, so one descriptor pool entry and one set of classes).
"""

from __future__ import annotations

import importlib
import sys

#: The generated modules, one ``<file>_pb2`` and ``<file>_pb2_grpc`` per .proto file.
MODULES = tuple(
    f"{name}{suffix}"
    for name in ("common", "intake", "signer", "trust_store", "verifier")
    for suffix in ("_pb2", "_pb2_grpc")
)

for _name in MODULES:
    _module = importlib.import_module(f"kyso_client.v1.{_name}")
    sys.modules[f"{__name__}.{_name}"] = _module
    globals()[_name] = _module
