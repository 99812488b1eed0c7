"""Health and readiness that tell the truth (issue 12 §3), through the real gRPC server.

Each dependency fails for real and comes back: a SoftHSM2 token's directory moved away and
back (what pulling a USB token looks like to kyso), a private redis-server stopped and
restarted on its port, the signing audit log replaced by a directory (tests run as root, for
whom a read-only mode is no obstacle). The health service must say so per dependency, for the
services and overall, and recover without a restart.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from documents import decree30_pdf
from grpc_health.v1 import health_pb2, health_pb2_grpc
from test_sign_support import RECT_SMALL, sign
from test_trust_support import start_redis, stop_process

from kyso.demo.pki import free_port
from kyso.server.app import running_server
from kyso.server.health import dependency_statuses
from kyso.v1 import signer_pb2 as pb
from tests.access import admin_channel
from tests.pki import SoftHsmToken, make_softhsm_token

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
FAST = {"interval_seconds": 0.2, "probe_timeout_seconds": 2.0, "tsa_interval_seconds": 0.5}
HEALTH_TOKEN = "kyso-health"
# A search iterator of a session the token lost is finalised late, and says so on stderr.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def _check(channel: grpc.Channel, service: str = "") -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest(service=service)
    return stub.Check(request, timeout=5).status  # type: ignore[no-any-return]


def _wait_for(channel: grpc.Channel, expected: dict[str, int], seconds: float = 10.0) -> None:
    """Wait until every service in ``expected`` has its status; fail naming what differs."""
    end = time.monotonic() + seconds
    while True:
        got = {name: _check(channel, name) for name in expected}
        if got == expected:
            return
        if time.monotonic() > end:
            names = health_pb2.HealthCheckResponse.ServingStatus.Name
            raise AssertionError(
                {n: (names(got[n]), names(expected[n])) for n in expected if got[n] != expected[n]}
            )
        time.sleep(0.1)


@pytest.fixture(scope="module")
def health_token(pki: Any, softhsm_token: SoftHsmToken) -> SoftHsmToken:
    # Same token directory (one SOFTHSM2_CONF per process), a token of its own.
    return make_softhsm_token(
        softhsm_token.conf_path.parent,
        pki,
        labels=("personal",),
        token_label=HEALTH_TOKEN,
        pin_env="TEST_KYSO_HEALTH_PIN",
    )


def _token_dir(token: SoftHsmToken) -> Path:
    tokens = token.conf_path.parent / "tokens"
    for candidate in tokens.iterdir():
        if HEALTH_TOKEN.encode() in (candidate / "token.object").read_bytes():
            return candidate
    raise AssertionError("token directory not found")


@pytest.fixture
def token_away(health_token: SoftHsmToken) -> Iterator[Any]:
    """A function moving the token out of SoftHSM2's directory; put back at the end."""
    directory = _token_dir(health_token)
    away = directory.parent.parent / f"{directory.name}.away"

    def move(out: bool) -> None:
        if out:
            directory.rename(away)
        else:
            away.rename(directory)

    yield move
    if away.exists():
        away.rename(directory)


def test_list_names_every_dependency_and_service(make_config: Any) -> None:
    config = make_config(health=FAST)
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        keys = {f"kyso.key/{k.name}" for k in config.keys}
        expected = {
            "",
            "kyso.v1.Signer",
            "kyso.v1.Verifier",
            "kyso.v1.TrustStore",
            "kyso.trust_store",
            "kyso.audit",
            "kyso.tsa",
            *keys,
        }
        # the TSA's first check runs in the background (UNKNOWN until it answers)
        _wait_for(channel, dict.fromkeys(expected, SERVING))
        listed = health_pb2_grpc.HealthStub(channel).List(health_pb2.HealthListRequest(), timeout=5)
        statuses = {name: r.status for name, r in listed.statuses.items()}
        assert expected <= set(statuses), sorted(set(statuses))
        assert all(statuses[n] == SERVING for n in expected), statuses
        assert "kyso.redis" not in statuses  # no redis_url: not a dependency
        # the map the metrics read
        deps = dependency_statuses(ctx)
        assert set(deps) == {n for n in expected if n.startswith("kyso.") and "v1" not in n}
        assert set(deps.values()) == {"SERVING"}


def test_a_token_away_and_back(make_config: Any, config_factory: Any, health_token, token_away):
    """The key's name flips, then the Signer and readiness only when no key is left; back:
    SERVING again without a restart, and the key signs."""
    key = config_factory.key_table(
        "personal", "on-usb", token_label=HEALTH_TOKEN, pin_env=health_token.pin_env
    )
    steady = config_factory.key_table("personal-ec", "steady")
    both = make_config(keys=[key, steady], health=FAST)
    alone = make_config(keys=[key], health=FAST)
    document = decree30_pdf()
    placement = pb.SignPlacement(rect=RECT_SMALL)
    with (
        running_server(both) as (address, _),
        admin_channel(address) as channel,
        running_server(alone) as (address_alone, _),
        admin_channel(address_alone) as channel_alone,
    ):
        up = {"kyso.key/on-usb": SERVING, "kyso.v1.Signer": SERVING, "": SERVING}
        _wait_for(channel, {**up, "kyso.key/steady": SERVING})
        _wait_for(channel_alone, up)
        token_away(True)
        # another key is usable: only the key's own name says so
        _wait_for(
            channel,
            {
                "kyso.key/on-usb": NOT_SERVING,
                "kyso.key/steady": SERVING,
                "kyso.v1.Signer": SERVING,
                "": SERVING,
            },
        )
        # its only key gone: the server cannot sign, and is not ready
        _wait_for(
            channel_alone,
            {
                "kyso.key/on-usb": NOT_SERVING,
                "kyso.v1.Signer": NOT_SERVING,
                "kyso.v1.Verifier": SERVING,
                "": NOT_SERVING,
            },
        )
        token_away(False)
        _wait_for(channel, {**up, "kyso.key/steady": SERVING})
        _wait_for(channel_alone, up)
        sign(channel_alone, document, key="on-usb", level=pb.PADES_B_B, placement=placement)


def test_redis_stopped_and_restarted(make_config: Any, tmp_path: Path) -> None:
    """A private redis-server (never the shared one): kyso.redis and the audit (its chains
    live in Redis) flip, the Signer with them; readiness stays SERVING (docs/operations.md:
    verification goes on, and every replica shares the same Redis)."""
    port = free_port()
    workdir = tmp_path / "redis"
    proc = start_redis(port, workdir)
    try:
        config = make_config(
            redis_url=f"redis://127.0.0.1:{port}/0",
            health=FAST,
            trust_store={"redis_namespace": "kyso-health"},
        )
        with running_server(config) as (address, _), admin_channel(address) as channel:
            up = {
                "kyso.redis": SERVING,
                "kyso.audit": SERVING,
                "kyso.v1.Signer": SERVING,
                "kyso.v1.Verifier": SERVING,
                "": SERVING,
            }
            _wait_for(channel, up)
            stop_process(proc)
            _wait_for(
                channel,
                {
                    "kyso.redis": NOT_SERVING,
                    "kyso.audit": NOT_SERVING,
                    "kyso.v1.Signer": NOT_SERVING,
                    "kyso.v1.Verifier": SERVING,
                    "kyso.trust_store": SERVING,  # the last good copy
                    "": SERVING,
                },
            )
            proc = start_redis(port, workdir)
            _wait_for(channel, up, seconds=15)
    finally:
        stop_process(proc)
        shutil.rmtree(workdir, ignore_errors=True)


def test_audit_store_unwritable_and_back(make_config: Any) -> None:
    config = make_config(keys=["personal"], health=FAST)
    document = decree30_pdf()
    options = {"level": pb.PADES_B_B, "placement": pb.SignPlacement(rect=RECT_SMALL)}
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        up = {"kyso.audit": SERVING, "kyso.v1.Signer": SERVING, "": SERVING}
        _wait_for(channel, up)
        log = Path(ctx.signing_audit.where)
        saved = log.with_name("signing.log.saved")
        log.rename(saved)
        log.mkdir()  # a directory in its place: no append can succeed
        try:
            _wait_for(
                channel,
                {
                    "kyso.audit": NOT_SERVING,
                    "kyso.v1.Signer": NOT_SERVING,
                    "kyso.v1.Verifier": SERVING,
                    "": NOT_SERVING,  # a local audit: this replica cannot sign
                },
            )
            assert dependency_statuses(ctx)["kyso.audit"] == "NOT_SERVING"
        finally:
            log.rmdir()
            saved.rename(log)
        _wait_for(channel, up)
        sign(channel, document, key="personal", **options)


def test_tsa_down_is_reported_without_touching_readiness(make_config: Any) -> None:
    url = f"http://127.0.0.1:{free_port()}/tsa"  # nothing listens there
    config = make_config(tsa_url=url, health=FAST)
    with running_server(config) as (address, _), admin_channel(address) as channel:
        _wait_for(channel, {"kyso.tsa": NOT_SERVING, "": SERVING, "kyso.v1.Signer": SERVING})


def test_shutdown_stays_not_serving(make_config: Any) -> None:
    """SIGTERM's first step (kyso serve calls enter_graceful_shutdown): every name is
    NOT_SERVING and the checker's later findings do not bring one back."""
    config = make_config(keys=["personal"], health=FAST)
    with running_server(config) as (address, ctx), admin_channel(address) as channel:
        _wait_for(channel, {"": SERVING, "kyso.key/personal": SERVING})
        ctx.health.enter_graceful_shutdown()
        time.sleep(1.0)  # several rounds of checks, all SERVING
        assert _check(channel) == NOT_SERVING
        assert _check(channel, "kyso.key/personal") == NOT_SERVING
        assert _check(channel, "kyso.v1.Signer") == NOT_SERVING


def test_kyso_health_cli(make_config: Any) -> None:
    """``kyso health``: the overall status by default, one name with --service, all with --list;
    the exit status follows the one asked for."""
    import subprocess
    import sys

    url = f"http://127.0.0.1:{free_port()}/tsa"  # kyso.tsa NOT_SERVING, the rest SERVING
    config = make_config(tsa_url=url, health=FAST)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "kyso.cli", "--server", address, "health", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    with running_server(config) as (address, _), admin_channel(address) as channel:
        _wait_for(channel, {"kyso.tsa": NOT_SERVING})
        overall = cli()
        assert (overall.returncode, overall.stdout.strip()) == (0, "SERVING"), overall.stderr
        tsa = cli("--service", "kyso.tsa")
        assert (tsa.returncode, tsa.stdout.strip()) == (1, "NOT_SERVING"), tsa.stderr
        listed = cli("--list")
        assert listed.returncode == 0, listed.stderr
        rows = dict(line.split("\t") for line in listed.stdout.splitlines())
        assert rows["(overall)"] == "SERVING"
        assert rows["kyso.tsa"] == "NOT_SERVING"
        assert rows["kyso.key/personal"] == "SERVING"


def test_trust_store_directory_away_and_back(make_config: Any) -> None:
    config = make_config(keys=["personal"], health=FAST)
    with running_server(config) as (address, _), admin_channel(address) as channel:
        up = {"kyso.trust_store": SERVING, "kyso.v1.Verifier": SERVING, "": SERVING}
        _wait_for(channel, up)
        path = config.trust_store_path
        away = path.with_name(path.name + ".away")
        path.rename(away)
        try:
            _wait_for(
                channel,
                {
                    "kyso.trust_store": NOT_SERVING,
                    "kyso.v1.Verifier": NOT_SERVING,
                    "kyso.v1.TrustStore": NOT_SERVING,
                    "": NOT_SERVING,
                },
            )
        finally:
            away.rename(path)
        _wait_for(channel, up)
