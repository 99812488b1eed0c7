"""Deadlines end work (issue 12 §4, issue 9 §4), with a tarpit on 127.0.0.1: a server that
accepts connections and never answers (:class:`tests.integration.hostile_http.HostileHttp`,
``blackhole``).

Fetch limits are long here (``timeout_seconds`` 30 s), so what stops a call is the caller's
deadline (or the default one), never a fetch limit. Each call must end by its deadline plus
0.5 s with the documented status, its handler must have returned by then (the server's RPC
tracker is idle) and the server's CPU must be quiet afterwards (this process hosts it: its CPU
time over the next second).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from test_robustness_fetch import HostilePki, _pem, _warnings
from test_sign_support import RECT_SMALL

from kyso.server.deadlines import FetchBudgetInterceptor
from kyso.server.status import error_info
from kyso.v1 import signer_pb2 as spb
from kyso.v1 import signer_pb2_grpc as spb_grpc
from kyso.v1 import verifier_pb2 as vpb
from kyso.v1 import verifier_pb2_grpc as vpb_grpc
from tests.access import admin_channel
from tests.integration.documents import make_pdf
from tests.integration.hostile_http import HostileHttp

SLOW_FETCH = {"timeout_seconds": 30.0, "max_seconds_per_request": 30.0}
DEADLINE = 2.0
#: CPU seconds this process (server and client) may use in the second after a call ended:
#: idle threads, the health checks; a request still working would use about one.
QUIET_CPU = 0.25


@pytest.fixture(scope="module")
def tarpit() -> Iterator[HostileHttp]:
    server = HostileHttp("127.0.0.1")
    yield server
    server.close()


@pytest.fixture(scope="module")
def hostile_pki(tmp_path_factory: pytest.TempPathFactory) -> HostilePki:
    return HostilePki(tmp_path_factory.mktemp("deadline-pki"))


def _tracker(ctx: Any) -> FetchBudgetInterceptor:
    return next(i for i in ctx.interceptors if isinstance(i, FetchBudgetInterceptor))


def _ends_in_time(ctx: Any, call: Callable[[], Any], seconds: float) -> tuple[Any, float]:
    """Run ``call``; return (its result or its RpcError, seconds it took). Then check that the
    server's work for it stopped: handler returned by ``seconds`` + 0.5 s after the start,
    and this process' CPU quiet over the following second."""
    start = time.monotonic()
    try:
        outcome: Any = call()
    except grpc.RpcError as err:
        outcome = err
    took = time.monotonic() - start
    assert took < seconds + 0.5, f"the call took {took:.2f} s"
    tracker = _tracker(ctx)
    assert tracker.wait_idle(max(0.0, start + seconds + 0.5 - time.monotonic())), (
        "the server still works on the request after its deadline"
    )
    cpu = time.process_time()
    time.sleep(1.0)
    used = time.process_time() - cpu
    assert used < QUIET_CPU, f"{used:.2f} CPU-s in the second after the call ended"
    return outcome, took


def _sign_request(document: bytes, key: str, level: int) -> spb.SignRequest:
    return spb.SignRequest(
        document=document,
        key=key,
        options=spb.SignOptions(
            profile=spb.PROFILE_PERSONAL, level=level, placement=spb.SignPlacement(rect=RECT_SMALL)
        ),
    )


def _deadline_exceeded(outcome: Any, reason: str = "SIGNING_DEADLINE_EXCEEDED") -> None:
    assert isinstance(outcome, grpc.RpcError), outcome
    assert outcome.code() == grpc.StatusCode.DEADLINE_EXCEEDED, outcome
    # kyso answers a little before the deadline (fetches end a margin early) with its own code;
    # gRPC's own DEADLINE_EXCEEDED carries none
    code = error_info(outcome)[0]
    assert code in (reason, ""), code


def test_sign_b_t_with_a_tarpit_tsa(make_config: Any, tarpit: HostileHttp) -> None:
    config = make_config(tsa_url=tarpit.url("blackhole", "tsa"), fetch=SLOW_FETCH)
    from kyso.server.app import running_server

    document = make_pdf(["QUYẾT ĐỊNH", "Dấu thời gian"])
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        sign = spb_grpc.SignerStub(channel).Sign
        request = _sign_request(document, "personal", spb.PADES_B_T)
        before = len(ctx.signing_audit.entries())
        key = ctx.signing.keys.config("personal")
        used = ctx.key_guard.status(key).usage.total
        outcome, _ = _ends_in_time(ctx, lambda: sign(request, timeout=DEADLINE), DEADLINE)
        _deadline_exceeded(outcome)
        assert ctx.key_guard.status(key).usage.total == used + 1
        entries = ctx.signing_audit.entries()[before:]
        # the key signed before the timestamp was asked for: nothing was returned, but the
        # signature exists (in a worker), so the use counts (docs/security.md, Workers)
        assert [(e.result, e.code) for e in entries] == [
            ("SIGNED_NOT_RETURNED", "SIGNING_DEADLINE_EXCEEDED")
        ]


def test_sign_b_t_without_a_deadline_gets_the_default(
    make_config: Any, tarpit: HostileHttp
) -> None:
    """No deadline from the caller: ``[signer] request_timeout_seconds`` ends it, fetches
    included."""
    config = make_config(
        tsa_url=tarpit.url("blackhole", "tsa-default"),
        fetch=SLOW_FETCH,
        signer={"request_timeout_seconds": DEADLINE},
    )
    from kyso.server.app import running_server

    document = make_pdf(["QUYẾT ĐỊNH", "Không có thời hạn"])
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        sign = spb_grpc.SignerStub(channel).Sign
        request = _sign_request(document, "personal", spb.PADES_B_T)
        outcome, _ = _ends_in_time(ctx, lambda: sign(request), DEADLINE)
        assert isinstance(outcome, grpc.RpcError), outcome
        assert outcome.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert error_info(outcome)[0] == "SIGNING_DEADLINE_EXCEEDED"


def _tarpit_key(
    config_factory: Any, hostile_pki: HostilePki, tarpit: HostileHttp, directory: Path
) -> dict[str, Any]:
    """A server key (PEM files) whose certificate's OCSP responder is the tarpit."""
    cert, key = hostile_pki.leaf("Tarpit OCSP signer", ocsp=tarpit.url("blackhole", "ocsp"))
    key_path = directory / "tarpit-key.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path = directory / "tarpit-cert.pem"
    cert_path.write_bytes(_pem(cert))
    table = config_factory.key_table("personal", "tarpit", backend="pem")
    table.update(key_file=key_path, certificate=cert_path, chain=[str(hostile_pki.root_path)])
    return table


def test_sign_b_lt_with_a_tarpit_ocsp_responder(
    make_config: Any, config_factory: Any, hostile_pki: HostilePki, tarpit: HostileHttp, tmp_path
) -> None:
    key = _tarpit_key(config_factory, hostile_pki, tarpit, tmp_path)
    config = make_config(keys=[key], trust=[hostile_pki.root_path], fetch=SLOW_FETCH)
    from kyso.server.app import running_server

    document = make_pdf(["QUYẾT ĐỊNH", "Dữ liệu thu hồi"])
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        sign = spb_grpc.SignerStub(channel).Sign
        request = _sign_request(document, "tarpit", spb.PADES_B_LT)
        hits = tarpit.hit_count()
        outcome, _ = _ends_in_time(ctx, lambda: sign(request, timeout=DEADLINE), DEADLINE)
        _deadline_exceeded(outcome)
        assert tarpit.hit_count() > hits  # it was the OCSP fetch that hung


def test_prepare_signature_with_a_tarpit_ocsp_responder(
    make_config: Any, hostile_pki: HostilePki, tarpit: HostileHttp
) -> None:
    cert, _ = hostile_pki.leaf("Tarpit two-step signer", ocsp=tarpit.url("blackhole", "ocsp2"))
    config = make_config(trust=[hostile_pki.root_path], fetch=SLOW_FETCH)
    from kyso.server.app import running_server

    document = make_pdf(["QUYẾT ĐỊNH", "Ký hai bước"])
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        prepare = spb_grpc.SignerStub(channel).PrepareSignature
        request = spb.PrepareSignatureRequest(
            document=document,
            certificate=cert.public_bytes(serialization.Encoding.DER),
            options=spb.SignOptions(
                profile=spb.PROFILE_PERSONAL,
                level=spb.PADES_B_B,
                placement=spb.SignPlacement(rect=RECT_SMALL),
            ),
        )
        outcome, _ = _ends_in_time(ctx, lambda: prepare(request, timeout=DEADLINE), DEADLINE)
        _deadline_exceeded(outcome)


def test_verify_with_a_tarpit_ocsp_responder(
    make_config: Any, hostile_pki: HostilePki, tarpit: HostileHttp
) -> None:
    """Verify's documented answer: a report in time, INDETERMINATE, naming the request
    deadline (the fetch ends a margin before it); its work ends with it."""
    cert, key = hostile_pki.leaf("Tarpit verified signer", ocsp=tarpit.url("blackhole", "v"))
    document = hostile_pki.signed(cert, key)
    config = make_config(trust=[hostile_pki.root_path], fetch=SLOW_FETCH)
    from kyso.server.app import running_server

    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        verify = vpb_grpc.VerifierStub(channel).Verify
        request = vpb.VerifyRequest(document=document)
        outcome, _ = _ends_in_time(ctx, lambda: verify(request, timeout=DEADLINE), DEADLINE)
        if isinstance(outcome, grpc.RpcError):  # on a slow machine the margin may not do
            assert outcome.code() == grpc.StatusCode.DEADLINE_EXCEEDED, outcome
        else:
            assert outcome.indication == vpb.INDICATION_INDETERMINATE, outcome.summary_vi
            assert "request deadline" in _warnings(outcome), _warnings(outcome)


def test_a_request_queued_past_its_deadline_is_not_started(
    make_config: Any, hostile_pki: HostilePki, tarpit: HostileHttp
) -> None:
    """One worker thread, held by a Verify stuck on the tarpit; a Sign waiting behind it with
    a shorter deadline is refused when a thread frees: no signature, nothing audited."""
    cert, key = hostile_pki.leaf("Tarpit queue holder", ocsp=tarpit.url("blackhole", "q"))
    stuck = hostile_pki.signed(cert, key)
    config = make_config(workers=1, trust=[hostile_pki.root_path], fetch=SLOW_FETCH)
    from kyso.server.app import running_server

    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        before = len(ctx.signing_audit.entries())
        held = vpb_grpc.VerifierStub(channel).Verify.future(
            vpb.VerifyRequest(document=stuck), timeout=3.0
        )
        time.sleep(0.3)
        request = _sign_request(make_pdf(["Xếp hàng"]), "personal", spb.PADES_B_B)
        with pytest.raises(grpc.RpcError) as err:
            spb_grpc.SignerStub(channel).Sign(request, timeout=0.5)
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        held.exception(timeout=10)  # the Verify ends by its own deadline
        assert _tracker(ctx).wait_idle(2.0)
        assert len(ctx.signing_audit.entries()) == before  # the Sign never ran


def test_sign_stream_b_t_with_a_tarpit_tsa(make_config: Any, tarpit: HostileHttp) -> None:
    config = make_config(tsa_url=tarpit.url("blackhole", "tsa-stream"), fetch=SLOW_FETCH)
    from kyso.server.app import running_server

    document = make_pdf(["QUYẾT ĐỊNH", "Ký theo luồng"])
    header = spb.SignStreamHeader(
        key="personal",
        size=len(document),
        options=spb.SignOptions(
            profile=spb.PROFILE_PERSONAL,
            level=spb.PADES_B_T,
            placement=spb.SignPlacement(rect=RECT_SMALL),
        ),
    )
    parts = [spb.SignStreamRequest(header=header), spb.SignStreamRequest(chunk=document)]
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        stream = spb_grpc.SignerStub(channel).SignStream

        def call() -> list[Any]:
            return list(stream(iter(parts), timeout=DEADLINE))

        outcome, _ = _ends_in_time(ctx, call, DEADLINE)
        _deadline_exceeded(outcome)


def test_complete_signature_b_t_with_a_tarpit_tsa(
    make_config: Any, pki: Any, config_factory: Any, tarpit: HostileHttp
) -> None:
    """The TSA is asked only by CompleteSignature: it ends by its deadline, and the pending
    signature is kept (the caller may complete it again once the TSA answers)."""
    from test_sign_two_step import _prepare, _raw_signature

    config = make_config(tsa_url=tarpit.url("blackhole", "tsa-complete"), fetch=SLOW_FETCH)
    from kyso.server.app import running_server

    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        prepared = _prepare(channel, pki, config_factory, "personal", make_pdf(["Hai bước"]))
        request = spb.CompleteSignatureRequest(
            id=prepared.id,
            signature=_raw_signature(pki, "personal", prepared.signed_attributes),
            document_sha256=prepared.document_sha256,
        )
        complete = spb_grpc.SignerStub(channel).CompleteSignature
        outcome, _ = _ends_in_time(ctx, lambda: complete(request, timeout=DEADLINE), DEADLINE)
        _deadline_exceeded(outcome)
        assert ctx.two_step._store.get(prepared.id) is not None  # still pending


def test_a_trust_store_change_queued_past_its_deadline_is_not_made(
    make_config: Any, pki: Any, hostile_pki: HostilePki, tarpit: HostileHttp
) -> None:
    from kyso.v1 import trust_store_pb2 as tpb
    from kyso.v1 import trust_store_pb2_grpc as tpb_grpc

    cert, key = hostile_pki.leaf("Tarpit trust holder", ocsp=tarpit.url("blackhole", "t"))
    stuck = hostile_pki.signed(cert, key)
    config = make_config(workers=1, trust=[hostile_pki.root_path], fetch=SLOW_FETCH)
    from kyso.server.app import running_server

    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        version = ctx.trust.snapshot().version
        held = vpb_grpc.VerifierStub(channel).Verify.future(
            vpb.VerifyRequest(document=stuck), timeout=3.0
        )
        time.sleep(0.3)
        add = tpb.AddTrustCertificateRequest(
            certificate=pki.cert_path("ca").read_bytes(),
            role=tpb.TRUST_ROLE_INTERMEDIATE,
            reason="deadline test",
        )
        with pytest.raises(grpc.RpcError) as err:
            tpb_grpc.TrustStoreStub(channel).Add(add, timeout=0.5)
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        held.exception(timeout=10)
        assert _tracker(ctx).wait_idle(2.0)
        assert ctx.trust.snapshot().version == version  # nothing changed, nothing audited
