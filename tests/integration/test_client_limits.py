"""Per-client limits through the real server (issue 9: "Per-client concurrency and rate limits;
pending two-step state bounded per client"; Found item 9, reproducer
../shared/cases/robustness/pending_fill.py).

Each client is a ``[[clients]]`` table with a bearer token; the limits are its own or the
``[limits]`` defaults; callers without a credential share one bucket.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pytest
from documents import decree30_pdf
from grpc_health.v1 import health_pb2, health_pb2_grpc
from test_sign_support import RECT_SMALL

from kyso.server.app import running_server
from kyso.server.auth import AccessInterceptor
from kyso.server.limits_interceptor import LimitsInterceptor
from kyso.server.status import error_info
from kyso.server.tokens import add_token
from kyso.v1 import signer_pb2 as spb
from kyso.v1 import signer_pb2_grpc as spb_grpc
from kyso.v1 import trust_store_pb2 as tpb
from kyso.v1 import trust_store_pb2_grpc as tpb_grpc
from kyso.v1 import verifier_pb2 as vpb
from kyso.v1 import verifier_pb2_grpc as vpb_grpc
from tests.access import admin_channel, token_channel

S = grpc.StatusCode

CLIENTS = [
    {"name": "nhanh", "token": True, "roles": ["verifier"], "rate_per_second": 1.0, "burst": 3},
    {"name": "cham", "token": True, "roles": ["verifier"], "max_concurrent": 1},
    {"name": "hai-buoc", "token": True, "roles": ["signer"], "max_pending_signatures": 2},
    {"name": "hai-buoc-khac", "token": True, "roles": ["signer"]},
]
LIMITS = {
    "max_pending_signatures": 3,
    "anonymous_burst": 5,
    "anonymous_rate_per_second": 0.2,
}


def _refusal(call: Any) -> tuple[S, str, str, str]:
    """(status, kyso code, message, Vietnamese message) of a call that must fail."""
    try:
        call()
    except grpc.RpcError as err:
        code, vi = error_info(err)
        return err.code(), code, err.details() or "", vi
    raise AssertionError("the call was not refused")


def _start(config_factory: Any, home: Path, **overrides: Any) -> Any:
    tokens = {c["name"]: add_token(home / "auth" / "tokens", c["name"]) for c in CLIENTS}
    # `[limits]` is written as a table by the config factory's TOML writer
    settings = config_factory.make(home, keys=["personal"], clients=CLIENTS, **overrides)
    return settings, tokens


@pytest.fixture(scope="module")
def server(
    config_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any, dict[str, str]]]:
    settings, tokens = _start(config_factory, tmp_path_factory.mktemp("kyso-limits"), limits=LIMITS)
    with running_server(settings) as (address, ctx):
        yield address, ctx, tokens


def _status(channel: grpc.Channel) -> Any:
    return tpb_grpc.TrustStoreStub(channel).Status(tpb.TrustStoreStatusRequest(), timeout=30)


def test_a_client_over_its_rate_is_refused_naming_the_limit(
    server: tuple[str, Any, dict[str, str]],
) -> None:
    address, _ctx, tokens = server
    with token_channel(address, tokens["nhanh"]) as ch, admin_channel(address) as admin:
        time.sleep(3.1)  # a full bucket whatever ran before
        for _ in range(3):  # the burst
            _status(ch)
        status, code, message, vi = _refusal(lambda: _status(ch))
        assert (status, code) == (S.RESOURCE_EXHAUSTED, "CLIENT_RATE_LIMITED")
        assert "clients.nhanh.rate_per_second" in message and "nhanh" in message
        assert "giới hạn" in vi
        for _ in range(10):  # another client is not affected
            _status(admin)
        time.sleep(1.2)  # one call a second comes back
        _status(ch)


def test_a_client_at_its_concurrency_is_refused_while_others_go_on(
    server: tuple[str, Any, dict[str, str]],
) -> None:
    address, ctx, tokens = server
    limiter = next(i for i in ctx.interceptors if isinstance(i, LimitsInterceptor)).limiter
    release = threading.Event()
    document = decree30_pdf()

    def held() -> Iterator[vpb.VerifyStreamRequest]:
        yield vpb.VerifyStreamRequest(options=vpb.VerifyOptions(fetch_revocation=False))
        release.wait(30)  # the server's handler waits for the document meanwhile
        yield vpb.VerifyStreamRequest(chunk=document)

    with token_channel(address, tokens["cham"]) as ch, admin_channel(address) as admin:
        pending = vpb_grpc.VerifierStub(ch).VerifyStream.future(held(), timeout=60)
        deadline = time.monotonic() + 20
        while limiter.running("cham") < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert limiter.running("cham") == 1
        try:
            status, code, message, _ = _refusal(lambda: _status(ch))
            assert (status, code) == (S.RESOURCE_EXHAUSTED, "CLIENT_CONCURRENCY_LIMITED")
            assert "clients.cham.max_concurrent = 1" in message
            _status(admin)  # the others are served meanwhile
        finally:
            release.set()
        assert pending.result(timeout=60).indication == vpb.INDICATION_NO_SIGNATURE_FOUND
        deadline = time.monotonic() + 10
        while limiter.running("cham") and time.monotonic() < deadline:
            time.sleep(0.02)
        _status(ch)  # its slot came back


def test_callers_without_a_credential_share_one_bucket(
    server: tuple[str, Any, dict[str, str]],
) -> None:
    """A flood without a credential is refused cheaply (counted, never audited); health and
    identified clients keep answering."""
    address, ctx, _tokens = server
    guard = next(i for i in ctx.interceptors if isinstance(i, AccessInterceptor))
    before = (guard.anonymous.total, len(ctx.trust.history(limit=1000)))
    seen: Counter[tuple[S, str]] = Counter()
    with grpc.insecure_channel(address) as anonymous, admin_channel(address) as admin:
        for _ in range(30):
            status, code, message, _ = _refusal(lambda: _status(anonymous))
            seen[(status, code)] += 1
            if code == "CLIENT_RATE_LIMITED":
                assert "limits.anonymous_rate_per_second" in message
        assert seen[(S.RESOURCE_EXHAUSTED, "CLIENT_RATE_LIMITED")] >= 24
        assert set(seen) <= {
            (S.RESOURCE_EXHAUSTED, "CLIENT_RATE_LIMITED"),
            (S.UNAUTHENTICATED, "UNAUTHENTICATED"),
        }
        health = health_pb2_grpc.HealthStub(anonymous)
        for _ in range(20):  # never limited
            answer = health.Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        _status(admin)
    assert guard.anonymous.total == before[0] + 30
    assert len(ctx.trust.history(limit=1000)) == before[1]


# -- pending two-step signatures per client -------------------------------------------------


def _prepare(channel: grpc.Channel, pki: Any, config_factory: Any, label: str = "personal") -> Any:
    request = spb.PrepareSignatureRequest(
        document=decree30_pdf(),
        certificate=pki.cert_path(label).read_bytes(),
        chain=[p.read_bytes() for p in pki.chain_paths(label)],
        options=spb.SignOptions(
            image_png=config_factory.signature_image.read_bytes(),
            level=spb.PADES_B_B,
            placement=spb.SignPlacement(rect=RECT_SMALL),
        ),
    )
    return spb_grpc.SignerStub(channel).PrepareSignature(request, timeout=60)


def _complete(channel: grpc.Channel, pki: Any, prepared: Any) -> Any:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = serialization.load_pem_private_key(pki.key_path("personal").read_bytes(), None)
    signature = key.sign(prepared.signed_attributes, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr, call-arg]
    return spb_grpc.SignerStub(channel).CompleteSignature(
        spb.CompleteSignatureRequest(
            id=prepared.id, signature=signature, document_sha256=prepared.document_sha256
        ),
        timeout=60,
    )


@pytest.fixture(scope="module", params=["local", "redis"])
def pending_server(
    request: pytest.FixtureRequest, config_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any, dict[str, str], str | None]]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    settings, tokens = _start(
        config_factory,
        tmp_path_factory.mktemp(f"kyso-pending-{request.param}"),
        limits=LIMITS,
        redis_url=redis_url,
        pending_ttl_seconds=120,
    )
    with running_server(settings) as (address, ctx):
        yield address, ctx, tokens, redis_url


def test_pending_signatures_are_bounded_per_client(
    pending_server: tuple[str, Any, dict[str, str], str | None],
    pki: Any,
    config_factory: Any,
    assert_pdfsig_ok: Any,
) -> None:
    address, _ctx, tokens, redis_url = pending_server
    with (
        token_channel(address, tokens["hai-buoc"]) as mine,
        token_channel(address, tokens["hai-buoc-khac"]) as other,
    ):
        first = _prepare(mine, pki, config_factory)
        _prepare(mine, pki, config_factory)
        status, code, message, vi = _refusal(lambda: _prepare(mine, pki, config_factory))
        assert (status, code) == (S.RESOURCE_EXHAUSTED, "PENDING_CLIENT_LIMIT")
        assert "clients.hai-buoc.max_pending_signatures = 2" in message
        assert "hai bước" in vi
        if redis_url is not None:
            import redis

            client = redis.Redis.from_url(redis_url)
            try:
                key = "kyso:signer:pending-owner:token:hai-buoc"
                assert client.zcard(key) == 2
                assert 0 < client.pttl(key) <= 121_000
            finally:
                client.close()
        # another client is not locked out; its own default is [limits] (3)
        for _ in range(3):
            _prepare(other, pki, config_factory)
        status, code, message, _ = _refusal(lambda: _prepare(other, pki, config_factory))
        assert code == "PENDING_CLIENT_LIMIT" and "limits.max_pending_signatures = 3" in message
        # a completed signature frees its place; a prepare that fails gives its place back
        done = _complete(mine, pki, first)
        assert_pdfsig_ok(done.document, expected_signatures=1)
        status, _, _, _ = _refusal(lambda: _prepare(mine, pki, config_factory, "personal-revoked"))
        assert status == S.FAILED_PRECONDITION  # checked after its place was taken
        _prepare(mine, pki, config_factory)
        status, code, _, _ = _refusal(lambda: _prepare(mine, pki, config_factory))
        assert code == "PENDING_CLIENT_LIMIT"


def test_a_flood_of_anonymous_prepares_locks_nobody_out(
    pending_server: tuple[str, Any, dict[str, str], str | None],
    pki: Any,
    config_factory: Any,
) -> None:
    """Found item 9: 1,000 PrepareSignature calls without a credential (public material only)
    keep nothing pending; a signer prepares and completes right after."""
    address, _ctx, _tokens, _ = pending_server
    request = spb.PrepareSignatureRequest(
        document=decree30_pdf(),
        certificate=pki.cert_path("personal").read_bytes(),
        options=spb.SignOptions(level=spb.PADES_B_B, placement=spb.SignPlacement(rect=RECT_SMALL)),
    )
    with grpc.insecure_channel(address) as anonymous:
        stub = spb_grpc.SignerStub(anonymous)

        def one(_: int) -> str:
            try:
                stub.PrepareSignature(request, timeout=30)
            except grpc.RpcError as err:
                return err.code().name
            return "OK"

        with ThreadPoolExecutor(4) as pool:
            results = Counter(pool.map(one, range(1000)))
    assert "OK" not in results
    assert set(results) <= {"UNAUTHENTICATED", "RESOURCE_EXHAUSTED"}, results
    with admin_channel(address) as admin:
        prepared = _prepare(admin, pki, config_factory)
        assert _complete(admin, pki, prepared).document


def test_a_batch_above_its_clients_concurrency_waits_and_tries_again(
    server: tuple[str, Any, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``kyso verify DIR --jobs 4`` as a client allowed one call at a time: every document is
    verified (the refusals are retried), none reported as an error."""
    import csv

    from kyso.cli.main import main

    address, _ctx, tokens = server
    for n in range(6):
        (tmp_path / f"cong-van-{n}.pdf").write_bytes(decree30_pdf())
    monkeypatch.setenv("KYSO_TOKEN", tokens["cham"])
    out = tmp_path / "r.csv"
    status = main(
        ["--server", address, "verify", str(tmp_path), "--jobs", "4", "--csv", str(out),
         "--offline"]
    )  # fmt: skip
    capsys.readouterr()
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["indication"] for r in rows] == ["NO_SIGNATURE_FOUND"] * 6, rows
    assert status == 2
