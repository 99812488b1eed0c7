"""Owner consent and key usage limits through the real server (docs/security.md, "Owner consent").

A personal key with ``consent = "totp"`` signs only with its owner's one-time code, enrolled
with ``kyso keys enroll``; the code is taken once per key and bound to the document's SHA-256;
failures lock the key for a while. Every key counts its signatures; a key at a limit is
refused with RESOURCE_EXHAUSTED, across restarts and across replicas sharing Redis.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pyotp
import pytest
from documents import decree30_pdf
from test_sign_support import RECT_SMALL, rpc_error, stub

from kyso.server.app import running_server
from kyso.v1 import signer_pb2 as pb
from tests.access import admin_channel
from tests.integration.test_trust_support import kyso_cli

S = grpc.StatusCode
LOCK_SECONDS = 5  # long enough for the checks made while locked, on a busy machine
MAX_FAILURES = 3
SIGNER = {
    "consent_max_failures": MAX_FAILURES,
    "consent_lock_seconds": LOCK_SECONDS,
    "totp_valid_window": 2,  # five codes at once: tests need several before the next step
}
OPTIONS = {"level": pb.PADES_B_B, "placement": pb.SignPlacement(rect=RECT_SMALL)}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _channel(address: str) -> grpc.Channel:
    """A channel to a server this module starts itself (replicas, restarts), with the tests'
    admin credential (tests.access) as ``grpc_channel`` has."""
    channel = admin_channel(address)
    grpc.channel_ready_future(channel).result(timeout=10)
    return channel


def enroll(config_path: Path, key: str, *extra: str) -> str:
    """``kyso keys enroll`` as the operator runs it; returns the secret of the URI printed."""
    out = kyso_cli("keys", "enroll", key, "--config", str(config_path), *extra)
    assert out.returncode == 0, out.stderr
    uri = out.stdout.decode().strip()
    assert uri.startswith("otpauth://totp/") and "issuer=kyso" in uri
    secret = re.search(r"secret=([A-Z2-7]+)", uri)
    assert secret is not None
    assert secret[1].encode() not in out.stderr  # shown once, in the URI only
    return secret[1]


class Codes:
    """The owner's authenticator: codes of increasing time steps (a step is taken once)."""

    def __init__(self, secret: str, window: int = 2) -> None:
        self.totp = pyotp.TOTP(secret)
        self.window = window
        self.last = -1

    def next(self) -> str:
        while True:
            now = int(time.time()) // 30
            step = max(self.last + 1, now - self.window + 1)  # a margin of one step
            if step <= now + self.window - 1:
                self.last = step
                return self.totp.generate_otp(step)
            time.sleep(1)

    def wrong(self) -> str:
        now = int(time.time()) // 30
        valid = {self.totp.generate_otp(s) for s in range(now - 3, now + 4)}
        return next(c for c in (f"{n:06d}" for n in range(1000, 10**6, 7919)) if c not in valid)


def sign(
    channel: grpc.Channel, document: bytes, key: str, totp: str | None = None, **options: Any
) -> pb.SignResponse:
    auth = pb.OwnerAuthorization(totp=totp) if totp is not None else None
    return stub(channel).Sign(
        pb.SignRequest(
            document=document,
            key=key,
            options=pb.SignOptions(**{**OPTIONS, **options}),
            authorization=auth,
        ),
        timeout=60,
    )


def _entries(ctx: Any) -> list[dict[str, Any]]:
    log = Path(ctx.settings.signer.audit_file(ctx.settings.home))
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _key_info(channel: grpc.Channel, name: str) -> Any:
    keys = stub(channel).ListKeys(pb.ListKeysRequest(), timeout=30).keys
    return next(k for k in keys if k.name == name)


def _lock_lasted(channel: grpc.Channel, name: str, locked_at: float) -> float:
    """Seconds from ``locked_at`` (time.monotonic) until ListKeys shows ``name`` unlocked.

    The key state keeps times in whole seconds (signer.key_state), so a lock of N seconds
    lasts between N - 1 and N from the failure that set it."""
    while _key_info(channel, name).HasField("locked_until"):
        assert time.monotonic() - locked_at < LOCK_SECONDS + 10, "the lock never ended"
        time.sleep(0.1)
    return time.monotonic() - locked_at


# ------------------------------------------------------------------------------ the module's server
@pytest.fixture(scope="module")
def kyso_config(config_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    f = config_factory
    return f.make(
        tmp_path_factory.mktemp("kyso-home"),
        keys=[
            f.key_table("personal", consent="totp"),
            f.key_table("personal-ec", consent="totp"),
            f.key_table("personal", name="unenrolled", consent=None),  # the default: totp
        ],
        signer=SIGNER,
    )


@pytest.fixture(scope="module")
def secrets(kyso_config: Any, register_secret: Any) -> dict[str, str]:
    path = kyso_config.home / "kyso.toml"
    made = {name: enroll(path, name) for name in ("personal", "personal-ec")}
    for name, secret in made.items():  # the session's log scan looks for them too
        register_secret(secret, label=f"TOTP secret of {name}")
    return made


@pytest.fixture(scope="module")
def codes(secrets: dict[str, str]) -> dict[str, Codes]:
    return {name: Codes(secret) for name, secret in secrets.items()}


def test_owner_code_required_checked_and_taken_once(
    grpc_channel: grpc.Channel,
    kyso_context: Any,
    codes: dict[str, Codes],
    secrets: dict[str, str],
    assert_pdfsig_ok: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    document = decree30_pdf()
    owner = codes["personal"]

    assert rpc_error(lambda: sign(grpc_channel, document, "personal")) == (
        S.UNAUTHENTICATED,
        "CONSENT_REQUIRED",
    )
    wrong = owner.wrong()
    assert rpc_error(lambda: sign(grpc_channel, document, "personal", wrong)) == (
        S.UNAUTHENTICATED,
        "CONSENT_INVALID",
    )
    assert rpc_error(lambda: sign(grpc_channel, document, "personal", "12ab56")) == (
        S.UNAUTHENTICATED,
        "CONSENT_INVALID",
    )

    # A good code, but the signature fails after it was taken (a bad placement): the same code
    # may be retried for the same document...
    code = owner.next()
    bad_rect = pb.SignPlacement(rect=pb.PageRect(page=9, x1=1, y1=1, x2=50, y2=50))
    assert rpc_error(
        lambda: sign(grpc_channel, document, "personal", code, placement=bad_rect)
    ) == (S.INVALID_ARGUMENT, "PLACEMENT_INVALID")
    signed = sign(grpc_channel, document, "personal", code)
    assert_pdfsig_ok(signed.document, expected_signatures=1)
    # ...and, once it signed, neither for that document again nor for another one.
    assert rpc_error(lambda: sign(grpc_channel, document, "personal", code)) == (
        S.UNAUTHENTICATED,
        "CONSENT_REPLAYED",
    )
    other = signed.document
    assert rpc_error(lambda: sign(grpc_channel, other, "personal", code)) == (
        S.UNAUTHENTICATED,
        "CONSENT_REPLAYED",
    )
    twice = sign(grpc_channel, other, "personal", owner.next())
    assert_pdfsig_ok(twice.document, expected_signatures=2)

    entries = _entries(kyso_context)[-8:]
    assert [(e["result"], e["code"]) for e in entries] == [
        ("REFUSED", "CONSENT_REQUIRED"),
        ("REFUSED", "CONSENT_INVALID"),
        ("REFUSED", "CONSENT_INVALID"),
        ("REFUSED", "PLACEMENT_INVALID"),
        ("OK", ""),
        ("REFUSED", "CONSENT_REPLAYED"),
        ("REFUSED", "CONSENT_REPLAYED"),
        ("OK", ""),
    ]
    assert all(e["key"] == "personal" for e in entries)
    assert entries[4]["input_sha256"] == _sha(document)
    assert entries[6]["input_sha256"] == _sha(other)

    # Nothing secret in the logs, the audit or the key state.
    home = kyso_context.settings.home
    stored = b"".join(
        p.read_bytes() for p in Path(home).rglob("*") if p.is_file() and p.suffix != ".pdf"
    )
    for secret in secrets.values():
        assert secret not in caplog.text and secret.encode() not in stored
    for value in (code, wrong):
        assert value not in caplog.text
        assert f'"{value}"'.encode() not in stored

    info = _key_info(grpc_channel, "personal")
    assert (info.consent, info.consent_enrolled) == ("totp", True)
    assert not info.HasField("locked_until")
    assert (info.usage.signatures_total, info.usage.signatures_today) == (2, 2)
    assert info.usage.HasField("last_used")


def test_failures_lock_the_key_for_the_configured_time(
    grpc_channel: grpc.Channel, kyso_context: Any, kyso_server: str, codes: dict[str, Codes]
) -> None:
    owner = codes["personal-ec"]
    document = decree30_pdf()
    for n in range(1, MAX_FAILURES + 1):
        locked_at = time.monotonic()  # the lock starts while the last failure is answered
        code = rpc_error(lambda: sign(grpc_channel, document, "personal-ec", owner.wrong()))
        assert code == (S.UNAUTHENTICATED, "CONSENT_INVALID"), n
    # Locked: even the right code is refused, and the lock shows in ListKeys and `kyso keys`.
    good = owner.next()
    assert rpc_error(lambda: sign(grpc_channel, document, "personal-ec", good)) == (
        S.FAILED_PRECONDITION,
        "KEY_LOCKED",
    )
    assert _entries(kyso_context)[-1]["code"] == "KEY_LOCKED"
    assert _key_info(grpc_channel, "personal-ec").HasField("locked_until")
    listed = kyso_cli("keys", env={"KYSO_SERVER": kyso_server})
    assert listed.returncode == 0, listed.stderr
    assert b"LOCKED until" in listed.stdout and b"totp (enrolled)" in listed.stdout
    assert _lock_lasted(grpc_channel, "personal-ec", locked_at) >= LOCK_SECONDS - 1
    # The lock is over; the code refused while locked was not taken and still signs.
    signed = sign(grpc_channel, document, "personal-ec", good)
    assert signed.document
    assert not _key_info(grpc_channel, "personal-ec").HasField("locked_until")


def test_unenrolled_personal_key_refuses_to_sign(grpc_channel: grpc.Channel) -> None:
    info = _key_info(grpc_channel, "unenrolled")
    assert (info.consent, info.consent_enrolled) == ("totp", False)
    assert rpc_error(lambda: sign(grpc_channel, decree30_pdf(), "unenrolled", "123456")) == (
        S.FAILED_PRECONDITION,
        "CONSENT_NOT_ENROLLED",
    )


def test_cli_sends_the_owner_code(
    kyso_server: str, codes: dict[str, Codes], tmp_path: Path, assert_pdfsig_ok: Any
) -> None:
    src = tmp_path / "qd.pdf"
    src.write_bytes(decree30_pdf())
    env = {"KYSO_SERVER": kyso_server}
    base = ["sign", str(src), "--key", "personal", "--rect", "350,150,500,210", "--level", "B-B"]
    owner = codes["personal"]

    out = kyso_cli(*base, "-o", str(tmp_path / "none.pdf"), env=env)
    assert out.returncode == 3 and b"CONSENT_REQUIRED" in out.stderr
    assert not (tmp_path / "none.pdf").exists()

    out = kyso_cli(*base, "-o", str(tmp_path / "a.pdf"), "--otp", owner.next(), env=env)
    assert out.returncode == 0, out.stderr
    assert_pdfsig_ok(tmp_path / "a.pdf", expected_signatures=1)
    # from standard input (no terminal: the first line), and from $KYSO_OTP
    code = owner.next()
    out = kyso_cli(
        *base,
        "-o",
        str(tmp_path / "b.pdf"),
        "--otp",
        "-",
        env=env,
        input_bytes=f"{code}\n".encode(),
    )
    assert out.returncode == 0, out.stderr
    out = kyso_cli(*base, "-o", str(tmp_path / "c.pdf"), env={**env, "KYSO_OTP": owner.next()})
    assert out.returncode == 0, out.stderr
    out = kyso_cli(*base, "-o", str(tmp_path / "d.pdf"), env={**env, "KYSO_OTP": code})
    assert out.returncode == 3 and b"CONSENT_REPLAYED" in out.stderr

    listed = kyso_cli("keys", env=env)
    assert listed.returncode == 0, listed.stderr
    text = listed.stdout.decode()
    assert "consent: totp (enrolled)" in text and "consent: totp (NOT ENROLLED" in text
    assert re.search(r"usage:   \d+ signatures, \d+ today \(limits: none\), last 20", text)


def test_enroll_refuses_a_second_secret_and_keys_without_totp(
    kyso_config: Any, secrets: dict[str, str]
) -> None:
    path = str(kyso_config.home / "kyso.toml")
    again = kyso_cli("keys", "enroll", "personal", "--config", path)
    assert again.returncode == 3 and b"CONSENT_ENROLLED" in again.stderr
    unknown = kyso_cli("keys", "enroll", "no-such-key", "--config", path)
    assert unknown.returncode == 3 and b"KEY_NOT_FOUND" in unknown.stderr
    master = kyso_config.home / "consent" / "master.key"
    assert master.stat().st_mode & 0o777 == 0o600
    assert (master.parent.stat().st_mode & 0o777) == 0o700
    for sealed in master.parent.glob("*.totp"):
        assert sealed.stat().st_mode & 0o777 == 0o600
        assert all(s.encode() not in sealed.read_bytes() for s in secrets.values())


# ------------------------------------------------------------------------------ usage limits
def _limited_keys(factory: Any) -> list[dict[str, Any]]:
    return [
        factory.key_table("personal", name="per-day", max_signatures_per_day=2),
        factory.key_table("personal-ec", name="in-total", max_signatures_total=3),
    ]


def test_limits_survive_a_restart(make_config: Any, config_factory: Any) -> None:
    config = make_config(keys=_limited_keys(config_factory), signer=SIGNER)
    document = decree30_pdf()
    with running_server(config) as (address, _), _channel(address) as channel:
        sign(channel, document, "per-day")
        sign(channel, document, "in-total")
        sign(channel, document, "in-total")
    with running_server(config) as (address, ctx), _channel(address) as channel:
        info = _key_info(channel, "in-total")
        assert (info.usage.signatures_total, info.usage.max_signatures_total) == (2, 3)
        sign(channel, document, "per-day")
        sign(channel, document, "in-total")
        assert rpc_error(lambda: sign(channel, document, "per-day")) == (
            S.RESOURCE_EXHAUSTED,
            "KEY_LIMIT_REACHED",
        )
        try:
            sign(channel, document, "in-total")
        except grpc.RpcError as err:
            assert err.code() == S.RESOURCE_EXHAUSTED
            assert "max_signatures_total = 3" in (err.details() or "")
        else:
            raise AssertionError("a fourth signature passed max_signatures_total = 3")
        assert _entries(ctx)[-1]["code"] == "KEY_LIMIT_REACHED"
        per_day = _key_info(channel, "per-day").usage
        assert (per_day.signatures_today, per_day.max_signatures_per_day) == (2, 2)
        # refused signatures are not counted
        assert _key_info(channel, "in-total").usage.signatures_total == 3


@pytest.fixture
def two_replicas(
    make_config: Any, config_factory: Any, redis_url: str
) -> Iterator[tuple[Any, list[grpc.Channel]]]:
    namespace = f"kyso-test-{uuid.uuid4().hex[:8]}"
    keys = [*_limited_keys(config_factory), config_factory.key_table("personal", consent="totp")]
    config = make_config(
        keys=keys, redis_url=redis_url, trust_store={"redis_namespace": namespace}, signer=SIGNER
    )
    with (
        running_server(config) as (address_a, _),
        running_server(config) as (address_b, _),
        _channel(address_a) as a,
        _channel(address_b) as b,
    ):
        yield config, [a, b]


def test_replicas_share_counters_limits_and_consent(
    two_replicas: tuple[Any, list[grpc.Channel]],
) -> None:
    config, (a, b) = two_replicas
    document = decree30_pdf()
    # Four concurrent requests, two on each replica, for a key with three signatures in all:
    # exactly three pass (the reservation is atomic in Redis).
    results: list[str] = []

    def _one(channel: grpc.Channel) -> None:
        try:
            sign(channel, document, "in-total")
            results.append("OK")
        except grpc.RpcError as err:
            results.append(err.code().name)

    threads = [threading.Thread(target=_one, args=(ch,)) for ch in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["OK", "OK", "OK", "RESOURCE_EXHAUSTED"]
    assert _key_info(a, "in-total").usage.signatures_total == 3
    assert _key_info(b, "in-total").usage.signatures_total == 3
    sign(a, document, "per-day")
    sign(b, document, "per-day")
    assert rpc_error(lambda: sign(a, document, "per-day")) == (
        S.RESOURCE_EXHAUSTED,
        "KEY_LIMIT_REACHED",
    )

    # The enrolment made on one machine reaches both replicas through Redis; a code taken on
    # one is a replay on the other.
    owner = Codes(enroll(config.home / "kyso.toml", "personal"))
    assert _key_info(b, "personal").consent_enrolled
    code = owner.next()
    sign(a, document, "personal", code)
    assert rpc_error(lambda: sign(b, document + b"\n", "personal", code)) == (
        S.UNAUTHENTICATED,
        "CONSENT_REPLAYED",
    )
    sign(b, document, "personal", owner.next())


# ------------------------------------------------------------------------------ the token's PIN
@pytest.fixture
def owner_token(
    softhsm_token: Any, pki: Any, tmp_path: Path, register_secret: Any
) -> tuple[str, str]:
    """A token of its own holding the owner's key, with a PIN only the owner knows.

    Made in the session's SoftHSM directory; a module already loaded in this process does not
    see it, so the server of this test runs in a process of its own.
    """
    import os
    import secrets as random_secrets
    import subprocess

    label = f"owner-{uuid.uuid4().hex[:8]}"
    pin = random_secrets.token_hex(6)
    register_secret(pin, label="the key owner's token PIN")
    env = {**os.environ, "SOFTHSM2_CONF": str(softhsm_token.conf_path)}
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin,
         "--so-pin", random_secrets.token_hex(6)],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    subprocess.run(
        ["softhsm2-util", "--import", str(pki.key_path("personal")), "--token", label,
         "--label", "owner", "--id", "01", "--pin", pin],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    der = tmp_path / "owner.cert.der"
    der.write_bytes(pki.cert("personal").dump())
    subprocess.run(
        ["pkcs11-tool", "--module", softhsm_token.module, "--token-label", label, "--login",
         "--pin", pin, "--write-object", str(der), "--type", "cert", "--id", "01",
         "--label", "owner"],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    return label, pin


def test_owner_pin_logs_in_for_each_signature(
    make_config: Any,
    config_factory: Any,
    owner_token: tuple[str, str],
    tmp_path: Path,
    assert_pdfsig_ok: Any,
) -> None:
    from kyso.demo.pki import free_port
    from tests.integration.test_trust_support import start_server, stop_process, wait_ready

    token_label, pin = owner_token
    key = config_factory.key_table(
        "personal", name="owner-pin", consent="pin", token_label=token_label, key_label="owner"
    )
    del key["pin_env"]  # the owner's PIN comes with each request only
    port = free_port()
    config = make_config(keys=[key], signer=SIGNER, listen=f"127.0.0.1:{port}")
    log = tmp_path / "serve.log"
    proc = start_server(config.home / "kyso.toml", log)
    document = decree30_pdf()

    def _sign(channel: grpc.Channel, given: str | None) -> pb.SignResponse:
        auth = pb.OwnerAuthorization(pin=given) if given is not None else None
        return stub(channel).Sign(
            pb.SignRequest(
                document=document,
                key="owner-pin",
                options=pb.SignOptions(**OPTIONS),
                authorization=auth,
            ),
            timeout=60,
        )

    try:
        address = f"127.0.0.1:{port}"
        wait_ready(address, proc, log)
        with _channel(address) as channel:
            info = _key_info(channel, "owner-pin")
            assert (info.consent, info.available) == ("pin", True), info.unavailable_code
            assert rpc_error(lambda: _sign(channel, None)) == (
                S.UNAUTHENTICATED,
                "CONSENT_REQUIRED",
            )
            assert rpc_error(lambda: _sign(channel, pin + "0")) == (
                S.UNAUTHENTICATED,
                "CONSENT_INVALID",
            )
            signed = _sign(channel, pin)
            assert_pdfsig_ok(signed.document, expected_signatures=1)
            # The login lasted one signature: a wrong PIN right after is still refused.
            assert rpc_error(lambda: _sign(channel, "000000"))[1] == "CONSENT_INVALID"
            assert rpc_error(lambda: _sign(channel, "111111"))[1] == "CONSENT_INVALID"
            # the third failure in a row (the two above and the one before the success do not
            # add up: a success resets the count) ...
            locked_at = time.monotonic()  # the lock starts while this failure is answered
            assert rpc_error(lambda: _sign(channel, "222222"))[1] == "CONSENT_INVALID"
            assert rpc_error(lambda: _sign(channel, pin)) == (S.FAILED_PRECONDITION, "KEY_LOCKED")
            assert _lock_lasted(channel, "owner-pin", locked_at) >= LOCK_SECONDS - 1
            assert _sign(channel, pin).document
            # kyso sign --owner-pin - : asked without echo, here read from standard input
            src = tmp_path / "qd.pdf"
            src.write_bytes(document)
            cli = ["sign", str(src), "--key", "owner-pin", "--rect", "350,150,500,210"]
            out = kyso_cli(
                *cli, "-o", str(tmp_path / "o.pdf"), "--level", "B-B", "--owner-pin", "-",
                env={"KYSO_SERVER": address}, input_bytes=f"{pin}\n".encode(),
            )  # fmt: skip
            assert out.returncode == 0, out.stderr
            assert_pdfsig_ok(tmp_path / "o.pdf", expected_signatures=1)
            out = kyso_cli(*cli, "-o", str(tmp_path / "x.pdf"), "--owner-pin", pin)
            assert out.returncode == 3 and b"OPTION_INVALID" in out.stderr
            assert pin.encode() not in out.stderr
            info = _key_info(channel, "owner-pin")
            assert info.usage.signatures_total == 3
    finally:
        stop_process(proc)
    audit = Path(config.signer.audit_file(config.home)).read_text(encoding="utf-8")
    codes = [json.loads(line)["code"] for line in audit.splitlines()]
    assert codes == [
        "CONSENT_REQUIRED",
        "CONSENT_INVALID",
        "",
        "CONSENT_INVALID",
        "CONSENT_INVALID",
        "CONSENT_INVALID",
        "KEY_LOCKED",
        "",
        "",
    ]
    for where in (log.read_text(errors="replace"), audit):
        assert pin not in where


def test_a_readable_consent_secret_stops_the_server(make_config: Any, config_factory: Any) -> None:
    from kyso.errors import InvalidInput

    config = make_config(keys=[config_factory.key_table("personal", consent="totp")])
    enroll(config.home / "kyso.toml", "personal")
    master = config.home / "consent" / "master.key"
    master.chmod(0o644)
    with pytest.raises(InvalidInput) as err, running_server(config):
        pass
    assert err.value.code == "SECRET_FILE_UNPROTECTED"
    assert "consent_master_key_file" in str(err.value) and "chmod 600" in str(err.value)
    master.chmod(0o600)
    sealed = next(master.parent.glob("*.totp"))
    sealed.chmod(0o640)
    with pytest.raises(InvalidInput) as err, running_server(config):
        pass
    assert "enrolled owner secrets" in str(err.value)
