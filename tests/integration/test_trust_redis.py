"""Two kyso replicas (a `kyso serve` process and an in-process server) sharing one Redis."""

from __future__ import annotations

import contextlib
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import redis
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kyso.demo.pki import free_port
from kyso.server.app import running_server
from kyso.server.settings import load_settings
from kyso.server.tokens import add_token
from kyso.v1 import trust_store_pb2 as pb
from kyso.v1 import verifier_pb2
from tests.access import admin_channel
from tests.integration.test_trust_support import (
    call,
    failure,
    fingerprints,
    make_certificate,
    signed_pdf,
    start_redis,
    start_server,
    stop_process,
    verify_anchor,
    wait_ready,
    write_server_config,
)
from tests.pki import TestPki
from trust_store import open_store, sha256_fingerprint

S = grpc.StatusCode


@dataclass
class Replicas:
    a: grpc.Channel  # the `kyso serve` subprocess
    b: grpc.Channel  # the in-process server
    ctx_b: Any
    token: str
    namespace: str
    config_b: Path


@contextlib.contextmanager
def _replicas(tmp_path: Path, pki: TestPki, redis_url: str) -> Iterator[Replicas]:
    namespace = f"kyso-test-{uuid.uuid4().hex[:8]}"
    tokens = tmp_path / "officer-tokens"
    token = add_token(tokens, "alice")
    settings = {
        "redis_url": redis_url,
        "redis_namespace": namespace,
        "redis_poll_seconds": 0.2,
        "officer_tokens_file": str(tokens),
    }
    homes = []
    for name in ("a", "b"):
        home = tmp_path / name
        (home / "trust").mkdir(parents=True)
        shutil.copy(pki.root_path, home / "trust" / "root.pem")
        homes.append(home)
    port_a, port_b = free_port(), free_port()
    config_a = write_server_config(homes[0], port_a, **settings)
    config_b = write_server_config(homes[1], port_b, **settings)
    log = tmp_path / "serve-a.log"
    proc = start_server(config_a, log)
    try:
        wait_ready(f"127.0.0.1:{port_a}", proc, log)
        with running_server(load_settings(config_b), f"127.0.0.1:{port_b}") as (addr_b, ctx_b):
            with (
                admin_channel(f"127.0.0.1:{port_a}") as a,
                admin_channel(addr_b) as b,
            ):
                yield Replicas(a, b, ctx_b, token, namespace, config_b)
    finally:
        stop_process(proc)


def _within(seconds: float, check: Callable[[], bool]) -> float:
    """Seconds until ``check()`` held; fails after ``seconds``."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.01)


def _has(channel: grpc.Channel, token: str, fp: str) -> bool:
    return fp in fingerprints(channel, token)[1]


def _status(channel: grpc.Channel, token: str) -> Any:
    return call(channel, "Status", pb.TrustStoreStatusRequest(), token)


def test_a_change_through_one_replica_holds_on_the_other_within_a_second(
    tmp_path: Path, pki: TestPki, redis_url: str
) -> None:
    with _replicas(tmp_path, pki, redis_url) as r:
        root_fp = fingerprints(r.a, r.token)
        assert root_fp == fingerprints(r.b, r.token)  # seeded once from the local directory
        assert _status(r.b, r.token).storage == "redis"
        pem_bytes, _, _ = make_certificate("Root dùng chung (test)")
        added = call(
            r.a,
            "Add",
            pb.AddTrustCertificateRequest(certificate=pem_bytes, reason="shared"),
            r.token,
        )
        fp = added.added[0].sha256
        assert _within(1.0, lambda: _has(r.b, r.token, fp)) < 1.0
        assert r.ctx_b.trust.snapshot().version == added.version  # what signer/verifier read
        removed = call(
            r.b,
            "Remove",
            pb.RemoveTrustCertificateRequest(sha256=fp, reason="done", confirm_anchor_in_use=True),
            r.token,
        )
        assert _within(1.0, lambda: not _has(r.a, r.token, fp)) < 1.0
        assert fingerprints(r.a, r.token)[0] == removed.version
        # One audit chain for both: the same entries, intact.
        history_a = call(r.a, "History", pb.TrustHistoryRequest(), r.token).entries
        history_b = call(r.b, "History", pb.TrustHistoryRequest(), r.token).entries
        assert [e.hash for e in history_a] == [e.hash for e in history_b]
        assert [(e.action, e.actor) for e in history_a] == [
            ("add", "token:alice"),
            ("remove", "token:alice"),
        ]
        assert call(r.a, "VerifyAudit", pb.VerifyAuditRequest(), r.token).ok
        # Optimistic concurrency across replicas: the second writer with the same base loses.
        version = removed.version
        one, _, _ = make_certificate("Root 1 (test)")
        two, _, _ = make_certificate("Root 2 (test)")
        call(
            r.a,
            "Add",
            pb.AddTrustCertificateRequest(certificate=one, reason="1", expected_version=version),
            r.token,
        )
        late = pb.AddTrustCertificateRequest(certificate=two, reason="2", expected_version=version)
        assert failure(r.b, "Add", late, r.token) == (S.ABORTED, "TRUST_VERSION_CONFLICT")


def test_a_new_anchor_is_used_by_the_other_replicas_verify_within_a_second(
    tmp_path: Path, pki: TestPki, redis_url: str
) -> None:
    pdf = signed_pdf(pki, "stranger")  # chains only to "other-root", not trusted yet
    other_root = sha256_fingerprint(pki.cert("other-root"))
    passed = verifier_pb2.INDICATION_TOTAL_PASSED
    with _replicas(tmp_path, pki, redis_url) as r:
        assert verify_anchor(r.b, pdf)[0] == verifier_pb2.INDICATION_INDETERMINATE
        add = pb.AddTrustCertificateRequest(
            certificate=pki.cert_path("other-root").read_bytes(), reason="second hierarchy"
        )
        call(r.a, "Add", add, r.token)
        assert _within(1.0, lambda: verify_anchor(r.b, pdf) == (passed, other_root)) < 1.0
        remove = pb.RemoveTrustCertificateRequest(
            sha256=other_root, reason="withdrawn", confirm_anchor_in_use=True
        )
        call(r.b, "Remove", remove, r.token)
        assert _within(1.0, lambda: verify_anchor(r.a, pdf)[0] != passed) < 1.0
        assert verify_anchor(r.a, pdf)[0] == verifier_pb2.INDICATION_INDETERMINATE


def test_replicas_serve_their_last_copy_while_redis_is_down_and_catch_up(
    tmp_path: Path, pki: TestPki
) -> None:
    port = free_port()
    data = tmp_path / "redis-data"
    server = start_redis(port, data)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        with _replicas(tmp_path, pki, url) as r:
            pdf = signed_pdf(pki, "stranger")
            anchor = sha256_fingerprint(pki.cert("other-root"))
            add = pb.AddTrustCertificateRequest(
                certificate=pki.cert_path("other-root").read_bytes(), reason="second hierarchy"
            )
            call(r.a, "Add", add, r.token)
            x_pem, _, _ = make_certificate("Root X (test)")
            x = call(
                r.a, "Add", pb.AddTrustCertificateRequest(certificate=x_pem, reason="x"), r.token
            )
            x_fp = x.added[0].sha256
            _within(1.0, lambda: _has(r.b, r.token, x_fp))
            stop_process(server)  # Redis goes away
            for ch in (r.a, r.b):
                _within(3.0, lambda ch=ch: _status(ch, r.token).degraded)
                status = _status(ch, r.token)
                assert status.redis_errors > 0 and "last good copy" in status.warning
                assert fingerprints(ch, r.token) == (x.version, fingerprints(r.a, r.token)[1])
                assert x_fp in fingerprints(ch, r.token)[1]
            # A replica restarted during the outage serves its last copy, not its old files.
            b = load_settings(r.config_b)
            restarted = open_store(b.trust_store, b.home, b.redis_url)
            try:
                assert restarted.snapshot().version == x.version
                assert x_fp in {e.sha256 for e in restarted.snapshot().entries}
            finally:
                restarted.close()
            # Verification keeps using the last copy: the anchor added before the outage.
            for ch in (r.a, r.b):
                assert verify_anchor(ch, pdf) == (verifier_pb2.INDICATION_TOTAL_PASSED, anchor)
            health = health_pb2_grpc.HealthStub(r.a)

            def storage_health() -> int:
                request = health_pb2.HealthCheckRequest(service="kyso.v1.TrustStore.storage")
                return int(health.Check(request).status)

            not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
            _within(1.0, lambda: storage_health() == not_serving)
            main = health.Check(health_pb2.HealthCheckRequest(service="kyso.v1.TrustStore"))
            assert main.status == health_pb2.HealthCheckResponse.SERVING  # still serving reads
            y_pem, _, _ = make_certificate("Root Y (test)")
            refused = failure(
                r.b, "Add", pb.AddTrustCertificateRequest(certificate=y_pem, reason="y"), r.token
            )
            assert refused == (S.UNAVAILABLE, "TRUST_STORE_UNAVAILABLE")
            # Redis comes back (with its data): both recover and follow changes again.
            server = start_redis(port, data)
            for ch in (r.a, r.b):
                _within(3.0, lambda ch=ch: not _status(ch, r.token).degraded)
            y = call(
                r.b, "Add", pb.AddTrustCertificateRequest(certificate=y_pem, reason="y"), r.token
            )
            y_fp = y.added[0].sha256
            assert _within(1.0, lambda: _has(r.a, r.token, y_fp)) < 1.0
            _within(2.0, lambda: storage_health() == health_pb2.HealthCheckResponse.SERVING)
            # Redis comes back empty (data lost): the replicas restore their last good copy.
            stop_process(server)
            shutil.rmtree(data)
            _within(3.0, lambda: _status(r.a, r.token).degraded)
            server = start_redis(port, data)
            client = redis.Redis(host="127.0.0.1", port=port)
            _within(3.0, lambda: client.get(f"{r.namespace}:trust:version") is not None)
            assert int(client.get(f"{r.namespace}:trust:version") or 0) == y.version
            for ch in (r.a, r.b):
                assert {x_fp, y_fp} <= fingerprints(ch, r.token)[1]
            client.close()
    finally:
        stop_process(server)


def test_seed_happens_once(tmp_path: Path, pki: TestPki, redis_url: str) -> None:
    """A later replica with a different local directory follows Redis, not its own files."""
    with _replicas(tmp_path, pki, redis_url) as r:
        version, fps = fingerprints(r.b, r.token)
        other = tmp_path / "c"
        (other / "trust").mkdir(parents=True)
        shutil.copy(pki.cert_path("other-root"), other / "trust" / "other.pem")
        config = write_server_config(
            other,
            free_port(),
            redis_url=redis_url,
            redis_namespace=r.namespace,
            officer_tokens_file=str(tmp_path / "officer-tokens"),
        )
        with (
            running_server(load_settings(config)) as (addr, _ctx),
            admin_channel(addr) as c,
        ):
            assert fingerprints(c, r.token) == (version, fps)
