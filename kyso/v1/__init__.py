"""The ``kyso.v1`` gRPC stubs, re-exported from the kyso-client distribution.

The generated code lives once, in ``kyso_client.v1`` (client/, see proto/compile_stubs.py);
``from kyso.v1 import signer_pb2`` and ``import kyso.v1.signer_pb2`` keep working for the
server, the CLI and the tests: each module is registered under both names (the same module
object, so one descriptor pool entry and one set of classes).
"""

from __future__ import annotations

import sys

from kyso_client.v1 import (
    common_pb2,
    common_pb2_grpc,
    intake_pb2,
    intake_pb2_grpc,
    signer_pb2,
    signer_pb2_grpc,
    trust_store_pb2,
    trust_store_pb2_grpc,
    verifier_pb2,
    verifier_pb2_grpc,
)

_MODULES = {
    "common_pb2": common_pb2,
    "common_pb2_grpc": common_pb2_grpc,
    "intake_pb2": intake_pb2,
    "intake_pb2_grpc": intake_pb2_grpc,
    "signer_pb2": signer_pb2,
    "signer_pb2_grpc": signer_pb2_grpc,
    "trust_store_pb2": trust_store_pb2,
    "trust_store_pb2_grpc": trust_store_pb2_grpc,
    "verifier_pb2": verifier_pb2,
    "verifier_pb2_grpc": verifier_pb2_grpc,
}
#: The generated modules, one ``<file>_pb2`` and ``<file>_pb2_grpc`` per .proto file.
MODULES = tuple(_MODULES)

for _name, _module in _MODULES.items():
    sys.modules[f"{__name__}.{_name}"] = _module

__all__ = ["MODULES", *MODULES]
