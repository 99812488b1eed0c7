"""The per-client limits' arithmetic: token buckets, running slots, where each limit comes from."""

from __future__ import annotations

import pytest

from kyso.errors import ResourceExhausted
from kyso.server.auth import Identity
from kyso.server.client_limits import ANONYMOUS, ClientLimiter, LimitsSettings, LimitTable
from kyso.server.clients import ClientSettings
from kyso.server.policy import Role


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _table() -> LimitTable:
    clients = (
        ClientSettings(name="qlvb", token=True, roles=("verifier",), rate_per_second=2.0, burst=3),
        ClientSettings(name="khac", token=True, roles=("verifier",)),
    )
    return LimitTable(LimitsSettings(max_concurrent=2), clients)


def test_limits_come_from_the_client_else_the_defaults_else_the_shared_bucket() -> None:
    table = _table()
    qlvb = table.of(Identity("qlvb", frozenset({Role.VERIFIER})))
    assert (qlvb.rate_per_second, qlvb.burst, qlvb.max_concurrent) == (2.0, 3, 2)
    assert qlvb.setting("burst") == "clients.qlvb.burst"
    assert qlvb.setting("max_concurrent") == "limits.max_concurrent"
    legacy = table.of(Identity("officer-1", frozenset({Role.AUDITOR})))  # no [[clients]] table
    assert legacy.client == "officer-1" and legacy.burst == LimitsSettings().burst
    for nobody in (None, Identity("serial:0A", frozenset(), source="cert")):
        shared = table.of(nobody)
        assert shared.client == ANONYMOUS and shared.max_pending_signatures == 0
        assert shared.setting("rate_per_second") == "limits.anonymous_rate_per_second"


def test_the_bucket_refuses_past_the_burst_and_refills_at_the_rate() -> None:
    clock = _Clock()
    limiter = ClientLimiter(clock)
    limits = _table().of(Identity("qlvb", frozenset({Role.VERIFIER})))
    for _ in range(3):
        limiter.enter(limits)
        limiter.leave("qlvb")
    with pytest.raises(ResourceExhausted) as err:
        limiter.enter(limits)
    assert err.value.code == "CLIENT_RATE_LIMITED"
    assert "clients.qlvb.rate_per_second = 2" in err.value.message_en
    assert "retry in 0.500 s" in err.value.message_en
    clock.now += 0.5  # one call at 2 a second
    limiter.enter(limits)
    limiter.leave("qlvb")
    with pytest.raises(ResourceExhausted):
        limiter.enter(limits)
    clock.now += 100  # never more than the burst
    for _ in range(3):
        limiter.enter(limits)
        limiter.leave("qlvb")
    with pytest.raises(ResourceExhausted):
        limiter.enter(limits)


def test_running_slots_are_counted_per_client_and_a_refusal_takes_nothing() -> None:
    clock = _Clock()
    limiter = ClientLimiter(clock)
    table = _table()
    khac = table.of(Identity("khac", frozenset({Role.VERIFIER})))
    limiter.enter(khac)
    limiter.enter(khac)
    with pytest.raises(ResourceExhausted) as err:
        limiter.enter(khac)
    assert err.value.code == "CLIENT_CONCURRENCY_LIMITED"
    assert "limits.max_concurrent = 2" in err.value.message_en
    assert limiter.running("khac") == 2
    limiter.enter(table.of(Identity("qlvb", frozenset({Role.VERIFIER}))))  # another client
    limiter.leave("khac")
    limiter.enter(khac)
    assert limiter.running("khac") == 2
    for _ in range(3):
        limiter.leave("khac")
    assert limiter.running("khac") == 0  # never below zero


def test_per_client_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="max_concurrent"):
        ClientSettings(name="x", token=True, roles=("verifier",), max_concurrent=0)
    with pytest.raises(ValueError, match="rate_per_second"):
        LimitsSettings(rate_per_second=0)
