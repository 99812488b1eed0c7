"""Owner consent and key usage counters: the rules, both stores (file and Redis), TOTP
matching, sealed secrets, and the guard that puts them together (signer/consent.py,
signer/key_state.py, signer/consent_secrets.py, signer/key_use.py)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest

from kyso.errors import Precondition, ResourceExhausted, Unauthenticated, Unavailable
from signer.consent import OwnerAuthorization, matching_step
from signer.consent_secrets import provisioning_uri, seal, unseal
from signer.key_state import (
    ConsentPolicy,
    FileKeyState,
    KeyStateStore,
    RedisKeyState,
    count_failure,
    reserve_use,
    take_step,
)
from signer.key_use import KeyGuard, local_day, open_key_guard
from signer.settings import KeySettings, SignerSettings

POLICY = ConsentPolicy(max_failures=3, lock_seconds=60)
DOC_A, DOC_B = "a" * 64, "b" * 64
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


# ------------------------------------------------------------------------------ rules
def test_a_step_is_taken_once_and_older_steps_are_replays() -> None:
    state: dict[str, Any] = {}
    assert take_step(state, 100, DOC_A, 0, POLICY) == ("ok", 0)
    assert take_step(state, 100, DOC_A, 0, POLICY)[0] == "replayed"  # reserved: not again
    assert take_step(state, 99, DOC_B, 0, POLICY)[0] == "replayed"
    assert take_step(state, 101, DOC_B, 0, POLICY) == ("ok", 0)


def test_a_released_step_may_be_retried_for_its_document_only() -> None:
    from signer.key_state import finish_step

    state: dict[str, Any] = {}
    take_step(state, 100, DOC_A, 0, POLICY)
    finish_step(state, 100, signed=False)
    assert take_step(state, 100, DOC_B, 0, POLICY)[0] == "replayed"
    assert take_step(state, 100, DOC_A, 0, POLICY) == ("ok", 0)
    finish_step(state, 100, signed=True)
    assert take_step(state, 100, DOC_A, 0, POLICY)[0] == "replayed"


def test_consecutive_failures_lock_for_the_configured_time() -> None:
    state: dict[str, Any] = {}
    assert count_failure(state, 1000, POLICY) == ("invalid", 0)
    assert take_step(state, 5, DOC_A, 1000, POLICY) == ("ok", 0)  # a success resets the count
    assert count_failure(state, 1000, POLICY) == ("invalid", 0)
    assert count_failure(state, 1000, POLICY) == ("invalid", 0)
    assert count_failure(state, 1000, POLICY) == ("invalid", 1060)  # the third locks
    assert take_step(state, 6, DOC_A, 1059, POLICY) == ("locked", 1060)
    assert count_failure(state, 1059, POLICY) == ("locked", 1060)  # not extended
    assert take_step(state, 6, DOC_A, 1060, POLICY) == ("ok", 0)
    assert state["failures"] == 0 and state["locked_until"] == 0


def test_reserve_names_the_limit_reached() -> None:
    usage: dict[str, Any] = {}
    assert reserve_use(usage, "2026-12-01", 2, 3) == "ok"
    assert reserve_use(usage, "2026-12-01", 2, 3) == "ok"
    assert reserve_use(usage, "2026-12-01", 2, 3) == "max_signatures_per_day"
    assert reserve_use(usage, "2026-12-02", 2, 3) == "ok"
    assert reserve_use(usage, "2026-12-03", 2, 3) == "max_signatures_total"
    assert usage["total"] == 3 and sorted(usage["days"]) == ["2026-12-01", "2026-12-02"]


def test_days_are_counted_in_ho_chi_minh_time() -> None:
    # 17:00 UTC is midnight in Hà Nội: the day changes then, not at UTC midnight.
    assert local_day(datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)) == date(2026, 11, 30)
    assert local_day(datetime(2026, 11, 30, 17, 0, 0, tzinfo=UTC)) == date(2026, 12, 1)


# ------------------------------------------------------------------------------ both stores
@pytest.fixture(params=["file", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyStateStore]:
    if request.param == "file":
        yield FileKeyState(tmp_path / "signer" / "key-state.json")
        return
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    try:
        yield RedisKeyState(client, f"kyso-unit-{uuid.uuid4().hex[:8]}")
    finally:
        client.close()


def test_store_consent_rules(store: KeyStateStore) -> None:
    assert store.take_step("k", 100, DOC_A, 1000, POLICY) == ("ok", 0)
    assert store.take_step("k", 100, DOC_B, 1000, POLICY) == ("replayed", 0)
    store.finish_step("k", 100, signed=False)
    assert store.take_step("k", 100, DOC_A, 1000, POLICY) == ("ok", 0)  # retry, same document
    store.finish_step("k", 100, signed=True)
    assert store.take_step("k", 100, DOC_A, 1000, POLICY) == ("replayed", 0)
    assert store.count_failure("k", 1000, POLICY) == ("invalid", 0)  # the replay was one
    assert store.count_failure("k", 1000, POLICY) == ("invalid", 1060)  # third in a row
    assert store.consent_state("k").locked_until == 1060
    assert store.take_step("k", 101, DOC_A, 1001, POLICY) == ("locked", 1060)
    assert store.take_step("k", 101, DOC_A, 1060, POLICY) == ("ok", 0)
    assert store.consent_state("k").failures == 0
    assert store.consent_state("other").locked_until == 0  # per key
    store.clear_consent("k")
    assert store.take_step("k", 1, DOC_A, 1060, POLICY) == ("ok", 0)


def test_store_usage_counters(store: KeyStateStore) -> None:
    day = date(2026, 12, 1)
    assert store.usage("k", day).total == 0 and store.usage("k", day).last_use is None
    assert store.reserve_use("k", day, 2, None) == "ok"
    assert store.reserve_use("k", day, 2, None) == "ok"
    assert store.reserve_use("k", day, 2, None) == "max_signatures_per_day"
    store.release_use("k", day)
    assert store.reserve_use("k", day, 2, None) == "ok"
    when = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    store.record_use("k", when)
    store.record_use("k", datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # older: kept the newest
    usage = store.usage("k", day)
    assert (usage.total, usage.today, usage.last_use) == (2, 2, when)
    assert store.usage("k", date(2026, 12, 2)).today == 0
    assert store.reserve_use("k", date(2026, 12, 2), 2, 3) == "ok"
    assert store.reserve_use("k", date(2026, 12, 2), 2, 3) == "max_signatures_total"
    # a key without limits is counted when it has signed, with its last use, in one change
    store.record_use("free", when, day)
    store.record_use("free", when, day)
    assert store.usage("free", day) == store.usage("free", day).__class__(2, 2, when)


def test_store_reservations_are_atomic(store: KeyStateStore) -> None:
    day = date(2026, 12, 1)
    results: list[str] = []

    def _reserve() -> None:
        for _ in range(5):
            results.append(store.reserve_use("k", day, None, 7))

    threads = [threading.Thread(target=_reserve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 7 and store.usage("k", day).total == 7


def test_file_store_survives_a_new_instance_and_refuses_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "key-state.json"
    FileKeyState(path).reserve_use("k", date(2026, 12, 1), None, None)
    assert FileKeyState(path).usage("k", date(2026, 12, 1)).total == 1
    assert path.stat().st_mode & 0o777 == 0o600
    path.write_text("[]")
    with pytest.raises(Unavailable) as err:
        FileKeyState(path).usage("k", date(2026, 12, 1))
    assert err.value.code == "KEY_STATE_UNAVAILABLE"


# ------------------------------------------------------------------------------ TOTP, sealing
def test_matching_step_within_the_window_only() -> None:
    totp = pyotp.TOTP(SECRET)
    now = 1_800_000_015.0
    step = int(now) // 30
    assert matching_step(SECRET, totp.generate_otp(step), now, 1) == step
    assert matching_step(SECRET, totp.generate_otp(step - 1), now, 1) == step - 1
    assert matching_step(SECRET, totp.generate_otp(step + 1), now, 1) == step + 1
    assert matching_step(SECRET, totp.generate_otp(step - 2), now, 1) is None
    assert matching_step(SECRET, totp.generate_otp(step + 1), now, 0) is None
    for bad in ("", "12345", "1234567", "12a456", "１２３４５６"):
        assert matching_step(SECRET, bad, now, 1) is None


def test_sealed_secret_opens_only_with_its_master_key_and_key_name() -> None:
    master = bytes(range(32))
    sealed = seal(master, "lanh-dao", SECRET)
    assert SECRET.encode() not in sealed
    assert unseal(master, "lanh-dao", sealed) == SECRET
    with pytest.raises(ValueError):
        unseal(bytes(32), "lanh-dao", sealed)
    with pytest.raises(ValueError):
        unseal(master, "other-key", sealed)  # copied to another key's place
    assert json.loads(sealed)["v"] == 1


def test_provisioning_uri() -> None:
    uri = provisioning_uri(SECRET, "lanh-dao")
    assert uri.startswith("otpauth://totp/kyso:lanh-dao?") and f"secret={SECRET}" in uri


def test_authorization_repr_hides_the_values() -> None:
    auth = OwnerAuthorization(totp="123456")
    assert "123456" not in repr(auth) and auth.given == "totp"


# ------------------------------------------------------------------------------ the guard
class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def guard(tmp_path: Path) -> tuple[KeyGuard, Clock]:
    clock = Clock(1_800_000_000.0)
    settings = SignerSettings(consent_max_failures=2, consent_lock_seconds=60)
    return open_key_guard(settings, tmp_path, clock=clock), clock


def _code(secret: str, clock: Clock, offset: int = 0) -> OwnerAuthorization:
    return OwnerAuthorization(totp=pyotp.TOTP(secret).generate_otp(int(clock.now) // 30 + offset))


def test_guard_consent_flow(guard: tuple[KeyGuard, Clock], tmp_path: Path) -> None:
    keys, clock = guard
    personal = KeySettings(name="lanh-dao")  # personal profile: totp by default
    with pytest.raises(Precondition) as err:
        keys.begin(personal, DOC_A, OwnerAuthorization(totp="123456"))
    assert err.value.code == "CONSENT_NOT_ENROLLED"
    secret = keys.consent.secrets.enrol("lanh-dao")
    assert secret.encode() not in b"".join(p.read_bytes() for p in tmp_path.rglob("*.totp"))
    with pytest.raises(Unauthenticated) as err:
        keys.begin(personal, DOC_A, OwnerAuthorization())
    assert err.value.code == "CONSENT_REQUIRED"
    code = _code(secret, clock)
    with keys.begin(personal, DOC_A, code) as use:
        use.commit()
    with pytest.raises(Unauthenticated) as err:
        keys.begin(personal, DOC_B, code)
    assert err.value.code == "CONSENT_REPLAYED" and "123456" not in str(err.value)
    with pytest.raises(Unauthenticated) as err:  # second failure in a row: locks
        keys.begin(personal, DOC_B, OwnerAuthorization(totp="000000"))
    assert err.value.code == "CONSENT_INVALID"
    with pytest.raises(Precondition) as err:
        keys.begin(personal, DOC_B, _code(secret, clock, 1))
    assert err.value.code == "KEY_LOCKED" and "+07:00" in str(err.value)
    assert keys.status(personal).consent_state.locked_until == int(clock.now) + 60
    clock.now += 61
    with keys.begin(personal, DOC_B, _code(secret, clock)) as use:
        use.commit()
    assert keys.status(personal).usage.total == 2


def test_guard_releases_on_failure_and_names_the_limit(guard: tuple[KeyGuard, Clock]) -> None:
    keys, _ = guard
    free = KeySettings(name="free", profiles=("organisation",))
    with pytest.raises(RuntimeError), keys.begin(free, DOC_A, OwnerAuthorization()):
        raise RuntimeError("the signature failed")
    with keys.begin(free, DOC_A, OwnerAuthorization()) as use:
        use.commit()
    assert keys.status(free).usage.total == 1
    seal_key = KeySettings(name="co-quan", profiles=("organisation",), max_signatures_total=1)
    assert seal_key.owner_consent == "none"
    with pytest.raises(RuntimeError), keys.begin(seal_key, DOC_A, OwnerAuthorization()):
        raise RuntimeError("the signature failed")
    assert keys.status(seal_key).usage.total == 0  # given back
    with keys.begin(seal_key, DOC_A, OwnerAuthorization()) as use:
        use.commit()
    with pytest.raises(ResourceExhausted) as err:
        keys.begin(seal_key, DOC_B, OwnerAuthorization())
    assert err.value.code == "KEY_LIMIT_REACHED"
    assert "max_signatures_total = 1" in err.value.message_en
    status = keys.status(seal_key)
    assert (status.usage.total, status.max_total, status.usage.last_use is not None) == (
        1,
        1,
        True,
    )


def test_consent_settings() -> None:
    assert KeySettings(name="a").owner_consent == "totp"
    assert KeySettings(name="a", profiles=("organisation", "attachment")).owner_consent == "none"
    assert KeySettings(name="a", consent="none").owner_consent == "none"
    assert KeySettings(name="a", profiles=("organisation",), consent="totp").owner_consent == (
        "totp"
    )
    assert KeySettings(name="a", consent="pin").owner_consent == "pin"
    with pytest.raises(ValueError, match="remove pin_env"):
        KeySettings(name="a", consent="pin", pin_env="KYSO_X")
    with pytest.raises(ValueError, match="pkcs11"):
        KeySettings(name="a", consent="pin", backend="pem")


def test_pin_consent_key_needs_a_token_of_its_own(tmp_path: Path) -> None:
    from kyso.server.settings import ServerSettings

    token = {"module": "/usr/lib/softhsm/libsofthsm2.so", "token_label": "owner"}
    alone = {"name": "a", "consent": "pin", **token}
    ServerSettings(home=tmp_path, keys=(alone,))
    with pytest.raises(ValueError, match="a token of its own"):
        ServerSettings(home=tmp_path, keys=(alone, {"name": "b", "pin_env": "X", **token}))
    with pytest.raises(ValueError):
        KeySettings(name="a", max_signatures_per_day=0)


def test_guard_pin_consent_counts_refused_pins(guard: tuple[KeyGuard, Clock]) -> None:
    keys, _ = guard
    owner = KeySettings(name="owner", consent="pin", module="/m.so", token_label="t")
    with pytest.raises(Unauthenticated) as err:
        keys.begin(owner, DOC_A, OwnerAuthorization(totp="123456"))  # not what it takes
    assert err.value.code == "CONSENT_REQUIRED"
    with pytest.raises(Unauthenticated), keys.begin(owner, DOC_A, OwnerAuthorization(pin="x")):
        raise Unauthenticated("CONSENT_INVALID", key="owner")  # the token refused the PIN
    assert keys.status(owner).consent_state.failures == 1
    with keys.begin(owner, DOC_A, OwnerAuthorization(pin="1234")) as use:
        assert use.owner_pin == "1234"
        use.commit()
    assert keys.status(owner).consent_state.failures == 0  # a success ends the run
    for _ in range(2):  # consent_max_failures = 2
        with pytest.raises(Unauthenticated), keys.begin(owner, DOC_A, OwnerAuthorization(pin="x")):
            raise Unauthenticated("CONSENT_INVALID", key="owner")
    with pytest.raises(Precondition) as locked:
        keys.begin(owner, DOC_A, OwnerAuthorization(pin="1234"))
    assert locked.value.code == "KEY_LOCKED"
