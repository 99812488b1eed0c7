"""Scale-out without containers: 3 `kyso serve` replicas + a private redis-server + Debian's
nginx (`grpc_pass` over HTTP/2) on 127.0.0.1 (bench/cluster.py), as issue 12 §6 asks.

Every replica must serve calls sent to nginx; a trust-store change made through one replica
is seen by all within 2 s; a two-step signature prepared on one replica completes on another;
stopping a replica with SIGTERM loses no call (clients retry UNAVAILABLE). Everything signed
here is checked by pdfsig.
"""

from __future__ import annotations

import hashlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.cluster import Cluster
from kyso.v1 import signer_pb2 as pb
from kyso.v1 import signer_pb2_grpc as pb_grpc
from kyso.v1 import trust_store_pb2 as tpb
from kyso.v1 import verifier_pb2, verifier_pb2_grpc
from tests.access import ADMIN_CLIENT, admin_channel, write_admin_token
from tests.integration.documents import decree30_pdf
from tests.integration.test_trust_support import call, make_certificate

T = TypeVar("T")
RECT = pb.PageRect(page=1, x1=350, y1=150, x2=500, y2=210)
PASSED = verifier_pb2.INDICATION_TOTAL_PASSED

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(
    pki: Any, softhsm_token: Any, config_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    tokens = root / "tokens"
    write_admin_token(tokens)
    with Cluster(
        root,
        pki,
        softhsm_token,
        config_factory.signature_image,
        count=3,
        admin_client=ADMIN_CLIENT,
        tokens_file=tokens,
    ) as running:
        yield running


def _retrying(call_once: Callable[[], T], tries: int = 6) -> tuple[T, int]:
    """(result, retries): what a default client does, retry UNAVAILABLE with backoff."""
    for attempt in range(tries):
        try:
            return call_once(), attempt
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.UNAVAILABLE or attempt == tries - 1:
                raise
            time.sleep(0.1 * 2**attempt)
    raise AssertionError("unreachable")


def _sign_request(document: bytes) -> pb.SignRequest:
    return pb.SignRequest(
        document=document,
        key="personal",
        options=pb.SignOptions(level=pb.PADES_B_B, placement=pb.SignPlacement(rect=RECT)),
    )


def _nginx(cluster: Cluster) -> str:
    assert cluster.nginx is not None
    return cluster.nginx.address


def test_mixed_sign_and_verify_through_nginx_reach_every_replica(
    cluster: Cluster, assert_pdfsig_ok: Callable[..., str]
) -> None:
    assert cluster.nginx is not None
    before = cluster.nginx.served_by()
    document = decree30_pdf()
    with admin_channel(_nginx(cluster)) as first:
        signed = pb_grpc.SignerStub(first).Sign(_sign_request(document), timeout=60).document
    assert_pdfsig_ok(signed, expected_signatures=1)

    def one(index: int) -> tuple[str, Any]:
        # one channel per caller, as separate client processes would have
        with admin_channel(_nginx(cluster)) as channel:
            if index % 2:
                report = verifier_pb2_grpc.VerifierStub(channel).Verify(
                    verifier_pb2.VerifyRequest(document=signed), timeout=60
                )
                return "verify", report.indication
            done = pb_grpc.SignerStub(channel).Sign(_sign_request(document), timeout=60)
            return "sign", done.document

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, range(24)))
    indications = [r for kind, r in results if kind == "verify"]
    assert indications == [PASSED] * 12, [verifier_pb2.Indication.Name(i) for i in indications]
    outputs = [r for kind, r in results if kind == "sign"]
    assert len(outputs) == 12
    for pdf in outputs[:3]:
        assert_pdfsig_ok(pdf, expected_signatures=1)
    served = cluster.nginx.served_by() - before
    assert set(served) == {r.address for r in cluster.replicas}, served
    assert sum(served.values()) >= 25


def test_the_probe_port_answers_health_and_nothing_else(cluster: Cluster) -> None:
    """``health_listen``: what Kubernetes ``grpc:`` probes ask (deploy/kubernetes)."""
    replica = cluster.replicas[0]
    with grpc.insecure_channel(replica.probe_address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        serving = health_pb2.HealthCheckResponse.SERVING
        assert health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == serving
        signer = health_pb2.HealthCheckRequest(service="kyso.v1.Signer")
        assert health.Check(signer, timeout=10).status == serving
        with pytest.raises(grpc.RpcError) as refused:
            verifier_pb2_grpc.VerifierStub(channel).Verify(
                verifier_pb2.VerifyRequest(document=b"%PDF-1.7"), timeout=10
            )
        assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED


def _has(address: str, fingerprint: str) -> bool:
    with admin_channel(address) as channel:
        listed = call(channel, "List", tpb.ListTrustCertificatesRequest())
    return fingerprint in {c.sha256 for c in listed.certificates}


def test_a_trust_store_change_through_one_replica_is_seen_by_all_within_2s(
    cluster: Cluster,
) -> None:
    pem_bytes, _, _ = make_certificate("Root cụm máy chủ (test)")
    first, *others = cluster.replicas
    with admin_channel(first.address) as channel:
        added = call(
            channel, "Add", tpb.AddTrustCertificateRequest(certificate=pem_bytes, reason="cluster")
        )
    fingerprint = added.added[0].sha256
    start = time.monotonic()
    waiting = {r.address for r in cluster.replicas}
    while waiting and time.monotonic() - start < 2.0:
        waiting = {a for a in waiting if not _has(a, fingerprint)}
        time.sleep(0.02)
    assert not waiting, f"not seen within 2 s by {sorted(waiting)}"
    with admin_channel(others[-1].address) as channel:
        call(
            channel,
            "Remove",
            tpb.RemoveTrustCertificateRequest(
                sha256=fingerprint, reason="done", confirm_anchor_in_use=True
            ),
        )
    start = time.monotonic()
    while _has(first.address, fingerprint):
        assert time.monotonic() - start < 2.0, "the removal did not reach the first replica"
        time.sleep(0.02)


def _raw_signature(pki: Any, data: bytes) -> bytes:
    key = serialization.load_pem_private_key(pki.key_path("personal").read_bytes(), None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]


def test_two_step_prepared_on_one_replica_completes_on_another(
    cluster: Cluster, pki: Any, config_factory: Any, assert_pdfsig_ok: Callable[..., str]
) -> None:
    document = decree30_pdf()
    request = pb.PrepareSignatureRequest(
        document=document,
        certificate=pki.cert_path("personal").read_bytes(),
        chain=[p.read_bytes() for p in pki.chain_paths("personal")],
        options=pb.SignOptions(
            level=pb.PADES_B_B,
            placement=pb.SignPlacement(rect=RECT),
            image_png=config_factory.signature_image.read_bytes(),
        ),
    )
    with admin_channel(cluster.replicas[0].address) as channel:
        prepared = pb_grpc.SignerStub(channel).PrepareSignature(request, timeout=60)
    assert prepared.document_sha256 == hashlib.sha256(document).hexdigest()
    signature = _raw_signature(pki, prepared.signed_attributes)
    with admin_channel(cluster.replicas[2].address) as channel:
        done = pb_grpc.SignerStub(channel).CompleteSignature(
            pb.CompleteSignatureRequest(
                id=prepared.id, signature=signature, document_sha256=prepared.document_sha256
            ),
            timeout=60,
        )
    assert_pdfsig_ok(done.document, expected_signatures=1)


def test_sigterm_to_one_replica_loses_no_call(
    cluster: Cluster, assert_pdfsig_ok: Callable[..., str]
) -> None:
    """Runs last: it stops the third replica. Calls keep going through nginx while it stops;
    a call refused with UNAVAILABLE is retried, and every call ends with an answer, except
    one in flight at the stop itself: gRPC Python's ``server.stop`` cancels a call that reached
    the replica's HTTP/2 layer before its GOAWAY but that no handler had taken yet (reproduced
    without nginx or kyso: a grpcio server under load, stopped with a grace period, answers a
    few such calls CANCELLED; issue 12 §6: "loses no request beyond those in flight"). Such a
    loss must be CANCELLED, fall inside the stop, and be at most one per concurrent caller."""
    assert cluster.nginx is not None
    document = decree30_pdf()
    victim = cluster.replicas[2]
    outcomes: list[tuple[bool, int]] = []
    errors: list[tuple[grpc.RpcError, float]] = []
    done_count = threading.Event()
    lock = threading.Lock()

    def caller(calls: int) -> None:
        with admin_channel(_nginx(cluster)) as channel:
            stub = pb_grpc.SignerStub(channel)
            for _ in range(calls):
                try:
                    response, retries = _retrying(
                        lambda: stub.Sign(_sign_request(document), timeout=60)
                    )
                except grpc.RpcError as err:
                    errors.append((err, time.monotonic()))
                    continue
                with lock:
                    outcomes.append((response.document.startswith(b"%PDF"), retries))
                    if len(outcomes) >= 6:
                        done_count.set()

    threads = [threading.Thread(target=caller, args=(10,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    assert done_count.wait(120), "no calls answered before the SIGTERM"
    stop_began = time.monotonic()
    victim.stop(signal.SIGTERM)
    stop_ended = time.monotonic()
    assert victim.proc is not None and victim.proc.returncode == 0
    for thread in threads:
        thread.join(timeout=300)
    lost = [err for err, _ in errors]
    assert all(err.code() == grpc.StatusCode.CANCELLED for err in lost), lost[:3]
    assert all(stop_began <= at <= stop_ended + 1 for _, at in errors), lost[:3]
    assert len(errors) <= len(threads), lost
    assert len(outcomes) + len(errors) == 40 and all(ok for ok, _ in outcomes)
    served = cluster.nginx.served_by()
    assert served[victim.address] > 0
    # after the stop, the others answered everything
    with admin_channel(_nginx(cluster)) as channel:
        last = pb_grpc.SignerStub(channel).Sign(_sign_request(document), timeout=60)
    assert_pdfsig_ok(last.document, expected_signatures=1)


def test_the_script_documents_itself() -> None:
    """bench/cluster.py is the documented way to run the cluster by hand."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    assert "bench/cluster.py" in text and "bench/bench_cluster.py" in text
