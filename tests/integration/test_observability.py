"""Metrics, access logs and request ids through the real server (issue 12 §5, issue 9 §3).

An in-process server with its ``/metrics`` endpoint on a free port is scraped over HTTP around a
signature, a verification and a refused anonymous call; a ``kyso serve --log-format json``
subprocess is called with an ``x-request-id`` and its standard error read back as JSON lines.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import grpc
import pytest
from documents import DECREE30_NAME, decree30_pdf, make_pdf
from prometheus_client.parser import text_string_to_metric_families
from test_sign_support import sign

from kyso.errors import InvalidInput
from kyso.server.app import running_server
from kyso.server.metrics_endpoint import PORT_TRIES, start_endpoint
from kyso.server.observability_settings import TracingSettings
from kyso.server.request_log import REQUEST_ID_KEY
from kyso.v1 import signer_pb2 as spb
from kyso.v1 import signer_pb2_grpc as spb_grpc
from kyso.v1 import verifier_pb2 as vpb
from kyso.v1 import verifier_pb2_grpc as vpb_grpc
from tests.access import ADMIN_CLIENT, admin_channel, token_channel
from tests.log_scan import scan_output

#: Where the personal key signs in a Decree 30 document.
PLACEMENT = spb.SignPlacement(anchor_text=DECREE30_NAME)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    """Every sample of ``url``'s exposition, by (name, sorted labels)."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        text = answer.read().decode("utf-8")
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def observed(kyso_config: Any) -> Iterator[tuple[str, Any]]:
    with running_server(kyso_config, metrics_listen="127.0.0.1:0") as (address, ctx):
        yield address, ctx


@pytest.fixture(scope="module")
def metrics_url(observed: tuple[str, Any]) -> str:
    endpoint = observed[1].observability.endpoint
    # "any free port": never port 1, which binds as root (found by a newcomer's tryout)
    assert endpoint is not None and endpoint.port > 1024, endpoint.port
    return str(endpoint.url)


@pytest.fixture(scope="module")
def channel(observed: tuple[str, Any]) -> Iterator[grpc.Channel]:
    ch = admin_channel(observed[0])
    try:
        yield ch
    finally:
        ch.close()


def test_metrics_count_a_signature_and_a_verification(
    channel, metrics_url, assert_pdfsig_ok, softhsm_token
):
    before = scrape(metrics_url)
    signed = sign(channel, decree30_pdf(), level=spb.PADES_B_T, placement=PLACEMENT).document
    assert_pdfsig_ok(signed, expected_signatures=1)
    report = vpb_grpc.VerifierStub(channel).Verify(vpb.VerifyRequest(document=signed), timeout=60)
    after = scrape(metrics_url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("kyso_requests_total", method="Signer.Sign", code="OK") == 1
    assert delta("kyso_requests_total", method="Verifier.Verify", code="OK") == 1
    assert delta("kyso_request_duration_seconds_count", method="Signer.Sign") == 1
    assert delta("kyso_request_duration_seconds_count", method="Verifier.Verify") == 1
    sig = {"key": "personal", "profile": "personal", "level": "B-T"}
    assert delta("kyso_signatures_total", **sig) == 1, [k for k in after if "signatures" in k[0]]
    assert report.indication == vpb.INDICATION_TOTAL_PASSED
    assert delta("kyso_verifications_total", indication="TOTAL_PASSED") == 1
    assert delta("kyso_audit_writes_total", chain="signing") >= 1
    # the signature's timestamp came from the test TSA; by host only, never a path
    tsa = [
        k
        for k in after
        if k[0] == "kyso_fetch_duration_seconds_count" and ("purpose", "TSA") in k[1]
    ]
    assert tsa and all(dict(k[1])["responder"].startswith("127.0.0.1:") for k in tsa), tsa
    token = softhsm_token.token_label
    assert value(after, "kyso_pkcs11_sessions", token=token) >= 1
    assert value(after, "kyso_pkcs11_sessions_in_use", token=token) == 0  # all given back
    assert any(k[0] == "kyso_revocation_cache_lookups_total" for k in after)


def test_refused_anonymous_calls_are_counted_by_status_and_method(observed, metrics_url):
    address, _ctx = observed
    before = scrape(metrics_url)
    with token_channel(address, None) as anonymous:
        stub = spb_grpc.SignerStub(anonymous)
        for _ in range(3):
            with pytest.raises(grpc.RpcError) as info:
                stub.ListKeys(spb.ListKeysRequest(), timeout=10)
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    after = scrape(metrics_url)
    for name, labels in (
        ("kyso_requests_total", {"method": "Signer.ListKeys", "code": "UNAUTHENTICATED"}),
        ("kyso_refused_anonymous_total", {"method": "Signer.ListKeys"}),
    ):
        assert value(after, name, **labels) - value(before, name, **labels) == 3, name


def test_request_id_is_echoed_and_on_the_access_log_line(channel, observed, caplog):
    caplog.set_level(logging.INFO, logger="kyso.access")
    document = decree30_pdf("Sóc Trăng, ngày 06 tháng 01 năm 2026")
    stub = spb_grpc.SignerStub(channel)
    _resp, call = stub.Sign.with_call(
        spb.SignRequest(
            document=document,
            key="personal",
            options=spb.SignOptions(level=spb.PADES_B_B, placement=PLACEMENT),
        ),
        metadata=[(REQUEST_ID_KEY, "dms-7f3a-0001")],
        timeout=60,
    )
    assert (REQUEST_ID_KEY, "dms-7f3a-0001") in tuple(call.trailing_metadata())
    (line,) = [r for r in caplog.records if getattr(r, "request_id", "") == "dms-7f3a-0001"]
    assert line.name == "kyso.access" and line.levelno == logging.INFO
    assert (line.method, line.code, line.client) == ("Signer.Sign", "OK", ADMIN_CLIENT)  # type: ignore[attr-defined]
    assert line.document_sha256 == hashlib.sha256(document).hexdigest()  # type: ignore[attr-defined]

    # a refused call gets one too: a new one when the caller's is not an acceptable id
    with token_channel(observed[0], None) as anonymous, pytest.raises(grpc.RpcError) as info:
        spb_grpc.SignerStub(anonymous).ListKeys(
            spb.ListKeysRequest(), metadata=[(REQUEST_ID_KEY, "x" * 200)], timeout=10
        )
    echoed = dict(info.value.trailing_metadata())[REQUEST_ID_KEY]
    assert len(echoed) == 32 and int(echoed, 16) >= 0  # a UUID4 in hex


def test_a_taken_metrics_port_moves_to_the_next_free_one(observed):
    registry = observed[1].observability.metrics.registry
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        endpoint = start_endpoint(f"127.0.0.1:{taken}", registry)
        assert endpoint is not None
        try:
            assert taken < endpoint.port < taken + PORT_TRIES
            assert any(k[0] == "kyso_revocation_cache_lookups_total" for k in scrape(endpoint.url))
        finally:
            endpoint.close()


def test_an_address_not_of_this_host_is_one_error_naming_the_setting(observed):
    registry = observed[1].observability.metrics.registry
    with pytest.raises(InvalidInput, match=r"--metrics-listen: cannot serve metrics on 192\.0\.2"):
        start_endpoint("192.0.2.1:9464", registry, setting="--metrics-listen")  # TEST-NET-1


def test_off_serves_no_endpoint(kyso_config, observed):
    assert start_endpoint("off", observed[1].observability.metrics.registry) is None
    with running_server(kyso_config) as (_address, ctx):  # off unless asked, in tests
        assert ctx.observability.endpoint is None


# -- kyso serve: JSON lines, the printed endpoint, --metrics-listen off --------------------------


def _serve(config: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kyso.cli", "serve", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def _stop(proc: subprocess.Popen[str], source: str) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    scan_output(source, err)
    return out, err


def test_kyso_serve_writes_json_lines_with_the_request_id(kyso_config, pki):
    assert kyso_config.source is not None
    proc = _serve(
        kyso_config.source,
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "json",
        KYSO_METRICS__LISTEN="127.0.0.1:0",  # the [metrics] listen setting
    )
    try:
        assert proc.stdout is not None
        serving = proc.stdout.readline()
        assert "serving on 127.0.0.1:" in serving, serving
        printed = proc.stdout.readline()
        assert printed.startswith("kyso: metrics on http://127.0.0.1:"), printed
        address, url = serving.split()[-1], printed.split()[-1]
        document = decree30_pdf("Sóc Trăng, ngày 07 tháng 01 năm 2026")
        with admin_channel(address) as ch:
            _resp, call = spb_grpc.SignerStub(ch).Sign.with_call(
                spb.SignRequest(
                    document=document,
                    key="personal",
                    options=spb.SignOptions(level=spb.PADES_B_B, placement=PLACEMENT),
                ),
                metadata=[(REQUEST_ID_KEY, "json-line-0042")],
                timeout=60,
            )
        assert (REQUEST_ID_KEY, "json-line-0042") in tuple(call.trailing_metadata())
        assert value(scrape(url), "kyso_requests_total", method="Signer.Sign", code="OK") == 1
    finally:
        _out, err = _stop(proc, "the stderr of kyso serve --log-format json")
    lines = [json.loads(text) for text in err.splitlines() if text.strip()]  # every line JSON
    assert lines and all(
        {"time", "level", "logger", "message", "request_id"} <= set(x) for x in lines
    )
    (access,) = [
        x for x in lines if x["request_id"] == "json-line-0042" and x["logger"] == "kyso.access"
    ]
    assert access["level"] == "INFO" and access["time"].endswith("Z")
    assert (access["method"], access["code"], access["client"]) == (
        "Signer.Sign",
        "OK",
        ADMIN_CLIENT,
    )
    assert access["document_sha256"] == hashlib.sha256(document).hexdigest()
    assert isinstance(access["duration_ms"], float | int)
    # no personal name at INFO: the signer's certificate names a person
    person = pki.cert("personal").subject.native["common_name"]
    assert not [x for x in lines if person in json.dumps(x, ensure_ascii=False)]


def test_kyso_serve_metrics_off(kyso_config):
    assert kyso_config.source is not None
    proc = _serve(kyso_config.source, "--listen", "127.0.0.1:0", "--metrics-listen", "off")
    try:
        assert proc.stdout is not None
        assert "serving on 127.0.0.1:" in proc.stdout.readline()
    finally:
        out, _err = _stop(proc, "the stderr of kyso serve --metrics-listen off")
    assert "metrics" not in out, out


def test_a_bad_metrics_listen_is_one_line_naming_the_option(kyso_config):
    assert kyso_config.source is not None
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kyso.cli",
            "serve",
            "--config",
            str(kyso_config.source),
            "--metrics-listen",
            "9464",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1 and "--metrics-listen" in done.stderr, done.stderr


# -- tracing: spans to a real OTLP/HTTP receiver on 127.0.0.1 ------------------------------------


class _Receiver(http.server.BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_tracing_sends_a_span_per_rpc_with_the_callers_parent(make_config):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{receiver.server_address[1]}/v1/traces"
    config = make_config().model_copy(
        update={"tracing": TracingSettings(enabled=True, endpoint=endpoint)}
    )
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    try:
        with running_server(config) as (address, _ctx), admin_channel(address) as ch:
            spb_grpc.SignerStub(ch).ListKeys(
                spb.ListKeysRequest(),
                metadata=[("traceparent", f"00-{trace_id}-00f067aa0ba902b7-01")],
                timeout=30,
            )
        # closing the server flushed the spans
    finally:
        receiver.shutdown()
        receiver.server_close()
    spans = []
    for body in _Receiver.bodies:
        request = ExportTraceServiceRequest.FromString(body)
        for resource in request.resource_spans:
            service = {a.key: a.value.string_value for a in resource.resource.attributes}
            for scope in resource.scope_spans:
                spans.extend((service.get("service.name"), s) for s in scope.spans)
    (found,) = [(svc, s) for svc, s in spans if s.name == "/kyso.v1.Signer/ListKeys"]
    assert found[0] == "kyso" and found[1].trace_id.hex() == trace_id


def test_layout_findings_are_counted_by_rule(channel, metrics_url):
    before = scrape(metrics_url)
    answer = vpb_grpc.VerifierStub(channel).CheckLayout(
        vpb.CheckLayoutRequest(document=make_pdf(["Not a Decree 30 document"])), timeout=60
    )
    after = scrape(metrics_url)
    assert answer.layout.findings  # no national motto, no number, no signer block...
    rules = {f.rule for f in answer.layout.findings}

    def total(samples: Samples) -> dict[str, float]:
        out: dict[str, float] = {}
        for (name, labels), v in samples.items():
            if name == "kyso_layout_findings_total":
                rule = dict(labels)["rule"]
                out[rule] = out.get(rule, 0) + v
        return out

    grown = {r: n - total(before).get(r, 0) for r, n in total(after).items()}
    assert {r for r, n in grown.items() if n} == rules
    assert sum(grown.values()) == len(answer.layout.findings)
