"""A buf-style lint of proto/kyso/v1 (buf's rule names), over the descriptor set with comments.

buf itself ships as a Go binary (npm and Go module downloads only, no PyPI or Debian
package), so the rules the issue names are implemented here over the ``FileDescriptorSet``
proto/compile_stubs.py writes with ``--include_source_info``
(client/kyso_client/v1/kyso_v1.binpb, checked fresh by test_proto_stubs):

* PACKAGE_VERSION_SUFFIX, PACKAGE_DIRECTORY_MATCH: package ``kyso.v1`` in ``kyso/v1/``;
* RPC_REQUEST_STANDARD_NAME, RPC_RESPONSE_STANDARD_NAME: ``<Method>Request`` /
  ``<Method>Response`` (or ``<Service><Method>…``);
* RPC_REQUEST_RESPONSE_UNIQUE: one request and one response message per RPC, used by no
  other RPC;
* COMMENT_SERVICE, COMMENT_RPC, COMMENT_MESSAGE, COMMENT_FIELD, COMMENT_ENUM: a leading or
  trailing comment on each (enum values are names of the field's terms and may go without).

:data:`NAMING_EXCEPTIONS` lists, with the reason, the RPCs published before this lint whose
messages break the naming rules: renaming a message keeps the wire (field numbers) but changes
the class every generated client uses (``verifier_pb2.ValidationReport``), and JSON/Any type
names; v1 keeps them, a v2 package would not. A new RPC must follow the rules, and an entry
that no longer breaks a rule fails the test (delete it then).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path

from google.protobuf import descriptor_pb2

REPO = Path(__file__).resolve().parents[2]
DESCRIPTOR_SET = REPO / "client" / "kyso_client" / "v1" / "kyso_v1.binpb"

_SHARED_REPORT = (
    "returns the report shared by Verify and VerifyStream (and embedded in "
    "AttachmentReport.validation): one message, one class for clients"
)
_TRUST_CHANGE = "the four trust-store changes return one TrustChangeResponse (version, audit seq)"
_TRUST_NAMES = (
    "trust-store requests are named after the object (AddTrustCertificateRequest) since v1"
)
_STREAM_SHARED = "the unary and streaming forms share the answer message"

#: (rule, "Service.Method") -> why it stays in v1.
NAMING_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("RPC_RESPONSE_STANDARD_NAME", "Verifier.Verify"): _SHARED_REPORT,
    ("RPC_RESPONSE_STANDARD_NAME", "Verifier.VerifyStream"): _SHARED_REPORT,
    ("RPC_REQUEST_RESPONSE_UNIQUE", "Verifier.Verify"): _SHARED_REPORT,
    ("RPC_REQUEST_RESPONSE_UNIQUE", "Verifier.VerifyStream"): _SHARED_REPORT,
    ("RPC_RESPONSE_STANDARD_NAME", "Intake.Intake"): _STREAM_SHARED,
    ("RPC_RESPONSE_STANDARD_NAME", "Intake.IntakeStream"): _STREAM_SHARED,
    ("RPC_REQUEST_RESPONSE_UNIQUE", "Intake.Intake"): _STREAM_SHARED,
    ("RPC_REQUEST_RESPONSE_UNIQUE", "Intake.IntakeStream"): _STREAM_SHARED,
    **{
        (rule, f"TrustStore.{method}"): why
        for method in ("Add", "Remove", "Import", "InstallBundle")
        for rule, why in (
            ("RPC_REQUEST_STANDARD_NAME", _TRUST_NAMES),
            ("RPC_RESPONSE_STANDARD_NAME", _TRUST_CHANGE),
            ("RPC_REQUEST_RESPONSE_UNIQUE", _TRUST_CHANGE),
        )
    },
    **{
        ("RPC_REQUEST_STANDARD_NAME", f"TrustStore.{method}"): _TRUST_NAMES
        for method in ("List", "Get", "Export", "ListBundles", "History")
    },
    **{
        ("RPC_RESPONSE_STANDARD_NAME", f"TrustStore.{method}"): _TRUST_NAMES
        for method in ("List", "Get", "Export", "ListBundles", "History", "Status")
    },
}


@functools.cache
def _files() -> tuple[descriptor_pb2.FileDescriptorProto, ...]:
    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes()).file
    return tuple(f for f in files if f.name.startswith("kyso/"))


def _rpcs() -> Iterator[tuple[str, descriptor_pb2.MethodDescriptorProto]]:
    for file in _files():
        for service in file.service:
            for method in service.method:
                yield f"{service.name}.{method.name}", method


def _short(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1]


def _naming_violations() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    uses: dict[str, list[str]] = {}
    for name, method in _rpcs():
        service, rpc = name.split(".")
        request, response = _short(method.input_type), _short(method.output_type)
        if request not in (f"{rpc}Request", f"{service}{rpc}Request"):
            found.add(("RPC_REQUEST_STANDARD_NAME", name))
        if response not in (f"{rpc}Response", f"{service}{rpc}Response"):
            found.add(("RPC_RESPONSE_STANDARD_NAME", name))
        uses.setdefault(method.input_type, []).append(name)
        uses.setdefault(method.output_type, []).append(name)
    for name, method in _rpcs():
        if len(uses[method.input_type]) > 1 or len(uses[method.output_type]) > 1:
            found.add(("RPC_REQUEST_RESPONSE_UNIQUE", name))
    return found


def test_package_is_versioned_and_matches_its_directory() -> None:
    assert _files(), f"no kyso files in {DESCRIPTOR_SET}"
    for file in _files():
        assert re.fullmatch(r"[a-z]+(\.[a-z0-9]+)*\.v\d+", file.package), file.package
        assert file.name.rpartition("/")[0] == file.package.replace(".", "/"), file.name


def test_rpc_request_and_response_names() -> None:
    new = sorted(_naming_violations() - set(NAMING_EXCEPTIONS))
    assert not new, f"RPCs breaking buf's naming rules (use <Method>Request/Response): {new}"


def test_naming_exceptions_are_still_needed() -> None:
    stale = sorted(set(NAMING_EXCEPTIONS) - _naming_violations())
    assert not stale, f"remove from NAMING_EXCEPTIONS, the RPC follows the rule now: {stale}"


# ---------------------------------------------------------------- comments
# SourceCodeInfo paths (descriptor.proto field numbers): file.message_type = 4,
# message.field = 2, message.nested_type = 3, message.enum_type = 4, file.enum_type = 5,
# file.service = 6, service.method = 2.
def _documented(file: descriptor_pb2.FileDescriptorProto) -> set[tuple[int, ...]]:
    return {
        tuple(loc.path)
        for loc in file.source_code_info.location
        if loc.leading_comments.strip() or loc.trailing_comments.strip()
    }


def _elements(
    file: descriptor_pb2.FileDescriptorProto,
) -> Iterator[tuple[str, str, tuple[int, ...]]]:
    """(rule, name, path) of every element that needs a comment."""

    def message(
        msg: descriptor_pb2.DescriptorProto, path: tuple[int, ...], prefix: str
    ) -> Iterator[tuple[str, str, tuple[int, ...]]]:
        name = f"{prefix}{msg.name}"
        yield "COMMENT_MESSAGE", name, path
        for i, field in enumerate(msg.field):
            yield "COMMENT_FIELD", f"{name}.{field.name}", (*path, 2, i)
        for i, nested in enumerate(msg.nested_type):
            yield from message(nested, (*path, 3, i), f"{name}.")
        for i, enum in enumerate(msg.enum_type):
            yield "COMMENT_ENUM", f"{name}.{enum.name}", (*path, 4, i)

    for i, msg in enumerate(file.message_type):
        yield from message(msg, (4, i), "")
    for i, enum in enumerate(file.enum_type):
        yield "COMMENT_ENUM", enum.name, (5, i)
    for i, service in enumerate(file.service):
        yield "COMMENT_SERVICE", service.name, (6, i)
        for j, method in enumerate(service.method):
            yield "COMMENT_RPC", f"{service.name}.{method.name}", (6, i, 2, j)


def test_every_service_method_message_field_and_enum_is_documented() -> None:
    missing = []
    for file in _files():
        assert file.source_code_info.location, f"{file.name}: built without source info"
        documented = _documented(file)
        missing += [
            f"{rule} {file.name}: {name}"
            for rule, name, path in _elements(file)
            if path not in documented
        ]
    assert not missing, f"{len(missing)} undocumented:\n" + "\n".join(missing)


# ---------------------------------------------------------------- docs/api.md
def test_docs_api_lists_every_rpc_and_only_known_codes() -> None:
    import grpc

    from kyso.errors import CATALOGUE

    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [name for name, _ in _rpcs() if f"| `{name.split('.')[1]}` |" not in text]
    assert not missing, f"RPCs not in docs/api.md: {missing}"
    services = {f"kyso.v1.{name.split('.')[0]}" for name, _ in _rpcs()}
    assert all(f"`{s}`" in text for s in services)
    known = set(CATALOGUE) | {s.name for s in grpc.StatusCode} | {"MESSAGE_TOO_LARGE"}
    enum_values = {v.name for f in _files() for e in f.enum_type for v in e.value} | {
        "RETURN_TO_SENDER",
        "ACCEPT",
    }
    named = set(re.findall(r"`([A-Z][A-Z0-9_]{3,})`", text))
    unknown = sorted(named - known - enum_values - {"RPC_REQUEST_STANDARD_NAME"})
    assert not unknown, f"docs/api.md names codes that are not in the catalogue: {unknown}"
