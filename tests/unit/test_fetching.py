"""The fetch layer's rules and budget (kyso.pki.fetching), without the network.

The hostile servers themselves are in tests/integration/test_robustness_fetch.py."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from pydantic import ValidationError

from kyso.pki.fetching import AddressPolicy, FetchFailed, HttpFetcher, Purpose, RequestBudget
from kyso.pki.settings import FetchSettings


@pytest.mark.parametrize(
    ("address", "permitted"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("fe80::1", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("240.0.0.1", False),  # reserved
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("fc00::1", False),
        ("not an address", False),
    ],
)
def test_only_public_addresses_by_default(address: str, permitted: bool) -> None:
    assert AddressPolicy(FetchSettings()).permits(address) is permitted


def test_allowed_networks_open_exactly_those() -> None:
    policy = AddressPolicy(FetchSettings(allowed_networks=("127.0.0.1/32", "10.20.0.0/16")))
    assert policy.permits("127.0.0.1") and policy.permits("10.20.5.6")
    assert not policy.permits("127.0.0.2") and not policy.permits("10.21.0.1")


def _refusal(url: str, purpose: Purpose, **settings: object) -> FetchFailed:
    http = HttpFetcher(FetchSettings(**settings))  # type: ignore[arg-type]
    budget = http.budget()
    with pytest.raises(FetchFailed) as refused:
        asyncio.run(http.get(url, purpose, accept="*/*", budget=budget))
    assert budget.fetches == 0  # refused before anything was sent or counted
    return refused.value


@pytest.mark.parametrize(
    ("url", "purpose", "setting"),
    [
        ("http://127.0.0.1:9/crl", Purpose.CRL, "fetch.allowed_networks"),
        ("http://[::1]:9/ocsp", Purpose.OCSP, "fetch.allowed_networks"),
        ("http://169.254.169.254/latest/meta-data", Purpose.OCSP, "fetch.allowed_networks"),
        ("http://evil.example/ca.cer", Purpose.AIA, "fetch.aia_hosts"),
        ("http://ca.gov.vn.evil.example/ca.cer", Purpose.AIA, "fetch.aia_hosts"),
        ("http://evil.example/ca.gov.vn", Purpose.AIA, "fetch.aia_hosts"),
        ("file:///etc/passwd", Purpose.CRL, "fetch policy"),
        ("ldap://ca.gov.vn/cn=crl", Purpose.CRL, "fetch policy"),
        ("http:///nohost", Purpose.CRL, "fetch policy"),
    ],
)
def test_refused_urls_name_the_rule(url: str, purpose: Purpose, setting: str) -> None:
    assert _refusal(url, purpose).setting == setting


def test_an_aia_host_with_a_port_allows_that_port_only() -> None:
    refused = _refusal("http://ca.gov.vn:8080/x.cer", Purpose.AIA, aia_hosts=("ca.gov.vn:80",))
    assert refused.setting == "fetch.aia_hosts"


def test_the_budget_counts_fetches_and_time() -> None:
    budget = RequestBudget(FetchSettings(max_fetches_per_request=2, timeout_seconds=5.0))
    assert budget.begin("http://a/") == 5.0
    budget.begin("http://a/")
    with pytest.raises(FetchFailed) as spent:
        budget.begin("http://a/")
    assert spent.value.setting == "fetch.max_fetches_per_request"
    late = RequestBudget(FetchSettings(), deadline=time.monotonic() + 0.5)
    assert late.begin("http://a/") <= 0.5  # the caller's deadline is earlier than the limits
    past = RequestBudget(FetchSettings(), deadline=time.monotonic() - 1)
    with pytest.raises(FetchFailed) as over:
        past.begin("http://a/")
    assert over.value.setting == "request deadline"  # the caller's, earlier than the setting
    assert [r.setting for r in past.refusals] == ["request deadline"]
    spent_time = RequestBudget(FetchSettings(max_seconds_per_request=0.01))
    time.sleep(0.02)
    with pytest.raises(FetchFailed) as own:
        spent_time.begin("http://a/")
    assert own.value.setting == "fetch.max_seconds_per_request"


def test_the_body_limit_is_the_smaller_of_the_two() -> None:
    budget = RequestBudget(FetchSettings(max_response_bytes=4096, max_bytes_per_request=10000))
    assert budget.body_limit() == (4096, "fetch.max_response_bytes")
    budget.received(8000)
    assert budget.body_limit() == (2000, "fetch.max_bytes_per_request")


def test_a_cancelled_budget_stops_a_running_fetch_from_another_thread() -> None:
    """The gRPC thread cancels; the fetch on the request's event loop ends at once."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    http = HttpFetcher(FetchSettings(allowed_networks=("127.0.0.1/32",), timeout_seconds=30))
    budget = http.budget()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/crl"
    threading.Timer(0.3, budget.cancel).start()
    started = time.monotonic()
    with pytest.raises(FetchFailed):
        asyncio.run(http.get(url, Purpose.CRL, accept="*/*", budget=budget))
    assert time.monotonic() - started < 2.0
    with pytest.raises(FetchFailed):  # and nothing more is fetched for that request
        budget.begin(url)
    listener.close()


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"allowed_networks": ["10.0.0.0/33"]}, "is not an IP network"),
        ({"aia_hosts": ["http://ca.gov.vn/"]}, "is not HOST or HOST:PORT"),
        ({"timeout_seconds": 0}, "greater than 0"),
    ],
)
def test_bad_fetch_settings_are_refused(section: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError) as refused:
        FetchSettings.model_validate(section)
    assert problem in str(refused.value)
