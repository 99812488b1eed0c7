"""Server reflection that serves the .proto comments.

grpcio-reflection answers with ``FileDescriptorProto``s copied from the descriptor pool, and
those carry no comments: protoc's Python plugin drops ``source_code_info`` from the
generated ``*_pb2.py``. proto/compile_stubs.py also writes ``kyso_client/v1/kyso_v1.binpb``,
a ``FileDescriptorSet`` built with ``protoc --include_source_info``; for kyso's own files this
servicer answers with those protos instead, so ``grpcurl describe`` and other reflection
clients show the documentation of every service, method and field. Other files (health,
reflection, ``google/protobuf/*``) come from the pool as before. A method's full name
(``grpcurl describe kyso.v1.Signer.SignStream``) resolves to its service's file, which the
reference servicer does not do.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import grpc
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc

DESCRIPTOR_SET = "kyso_v1.binpb"


@functools.cache
def commented_files() -> dict[str, bytes]:
    """Serialized ``FileDescriptorProto`` with source info, by file name (``kyso/v1/…``)."""
    data = resources.files("kyso_client.v1").joinpath(DESCRIPTOR_SET).read_bytes()
    files = descriptor_pb2.FileDescriptorSet.FromString(data)
    return {f.name: f.SerializeToString() for f in files.file}


class CommentedReflection(reflection.ReflectionServicer):
    """The reference servicer, answering kyso's files with their comments."""

    def _answer(self, descriptor: Any, request: Any) -> Any:
        seen: dict[str, Any] = {}
        pending = [descriptor]
        while pending:
            current = pending.pop()
            if current.name in seen:
                continue
            seen[current.name] = current
            pending.extend(current.dependencies)
        commented = commented_files()
        serialized = []
        for name, file in seen.items():
            if name in commented:
                serialized.append(commented[name])
            else:
                proto = descriptor_pb2.FileDescriptorProto()
                file.CopyToProto(proto)
                serialized.append(proto.SerializeToString())
        return reflection_pb2.ServerReflectionResponse(
            file_descriptor_response=reflection_pb2.FileDescriptorResponse(
                file_descriptor_proto=serialized
            ),
            original_request=request,
        )

    def _file_by_filename(self, request: Any, filename: str) -> Any:
        try:
            descriptor = self._pool.FindFileByName(filename)
        except KeyError:
            return super()._file_by_filename(request, filename)
        return self._answer(descriptor, request)

    def _file_containing_symbol(self, request: Any, fully_qualified_name: str) -> Any:
        try:
            descriptor = self._pool.FindFileContainingSymbol(fully_qualified_name)
        except KeyError:
            # The pool does not index methods ("kyso.v1.Signer.SignStream"): their service's file.
            service, _, method = fully_qualified_name.rpartition(".")
            try:
                found = self._pool.FindServiceByName(service)
            except KeyError:
                return super()._file_containing_symbol(request, fully_qualified_name)
            if found.methods_by_name.get(method) is None:
                return super()._file_containing_symbol(request, fully_qualified_name)
            descriptor = found.file
        return self._answer(descriptor, request)


def enable(service_names: list[str], server: grpc.Server) -> None:
    """Add :class:`CommentedReflection` (v1alpha, what grpcio-reflection offers) to ``server``."""
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(
        CommentedReflection(service_names), server
    )


SERVICE_NAME = reflection.SERVICE_NAME
