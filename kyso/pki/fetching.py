"""The one fetch layer: every outbound HTTP request kyso makes (OCSP, CRL, AIA caIssuers, TSA).

Fetches are a privilege, not something a document can order (issue 9, docs/robustness.md):

* **Bounded.** One fetch is bounded by its *total* time (connect, send and the whole body, not
  per socket read: a server dripping a byte every two seconds is cut off) and by its response
  size (the body is streamed and the connection dropped once it exceeds the limit; compressed
  bodies are not asked for). All fetches of one request share one :class:`RequestBudget`
  (count, bytes, time) whose deadline is the caller's, or ``max_seconds_per_request`` when the
  caller sends none.
* **Cancellable.** Fetches run on the request's event loop with :mod:`aiohttp` (no helper
  thread waits on a socket); when the RPC ends (deadline, cancellation) the budget is cancelled
  and its fetches stop at once. Name resolution runs in a daemon thread of its own, so an
  abandoned lookup never holds up an event loop's shutdown or the interpreter's exit.
* **Only where allowed.** http and https only, no redirects. Addresses are checked after name
  resolution and the connection goes to the checked address: loopback, private, link-local,
  multicast, reserved and unspecified addresses are refused unless inside
  ``allowed_networks``. caIssuers (AIA) URLs are followed only to ``aia_hosts``. OCSP and
  CRL requests are made by path validation only for paths that reach a trust anchor
  (:mod:`kyso.pki.paths`, :mod:`kyso.pki.issuers`). The TSA, configured by the operator, is
  exempt from the address rule.

A refusal or failure is a :class:`FetchFailed` (a ``requests.RequestException``, which
pyhanko-certvalidator's fetchers turn into their own fetch errors, so validation carries on
and the revocation status is unknown); refusals for a limit or a policy are kept in the
budget (:attr:`RequestBudget.refusals`) so the report can name the setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import requests
from aiohttp.abc import AbstractResolver, ResolveResult

from kyso.pki.settings import FetchSettings

log = logging.getLogger("kyso.fetch")

_CHUNK = 64 * 1024
_MAX_REFUSALS_KEPT = 32


class Purpose(enum.Enum):
    """Why a URL is fetched; the rules differ (AIA hosts, the TSA's address exemption)."""

    OCSP = "OCSP"
    CRL = "CRL"
    AIA = "AIA"
    TSA = "TSA"


class FetchFailed(requests.RequestException):
    """A fetch that was refused or did not complete; ``setting`` names the limit or rule that
    refused it (``""`` for a plain network failure or a bad answer)."""

    def __init__(self, problem: str, *, setting: str = "", url: str = "") -> None:
        super().__init__(f"{problem} ({setting})" if setting else problem)
        self.problem = problem
        self.setting = setting
        self.url = url


@dataclass(frozen=True)
class Refusal:
    """A fetch refused or cut off by a limit or a rule: which setting, why, to which host."""

    setting: str
    problem: str
    host: str


@dataclass(frozen=True)
class Fetched:
    """A complete answer: HTTP status 200, its headers and the whole (bounded) body.

    Shaped like the part of ``requests.Response`` certvalidator's fetchers read."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes


class RequestBudget:
    """What all fetches of one request may still use: fetches, bytes and time.

    Thread-safe: the gRPC thread cancels it (:meth:`cancel`) while the request's event loop
    fetches. ``deadline`` is a :func:`time.monotonic` value.
    """

    def __init__(self, settings: FetchSettings, deadline: float | None = None) -> None:
        self.settings = settings
        own = time.monotonic() + settings.max_seconds_per_request
        self.deadline = own if deadline is None else min(own, deadline)
        #: what ends the fetching time: the caller's deadline, or the setting
        self.time_limit = (
            "request deadline"
            if deadline is not None and deadline < own
            else "fetch.max_seconds_per_request"
        )
        self.fetches = 0
        self.bytes = 0
        self.refusals: list[Refusal] = []
        self._cancelled = False
        self._lock = threading.Lock()
        self._active: set[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def remaining(self) -> float:
        """Seconds left before the budget's deadline (negative once past)."""
        return self.deadline - time.monotonic()

    def tighten(self, deadline: float, setting: str) -> None:
        """End fetching by ``deadline`` (monotonic) if that is earlier; ``setting`` then names
        the limit (e.g. the default deadline of a signing RPC whose caller sent none)."""
        with self._lock:
            if deadline < self.deadline:
                self.deadline = deadline
                self.time_limit = setting

    def refuse(self, problem: str, setting: str, url: str) -> FetchFailed:
        """Record a refusal naming ``setting`` and return the error to raise."""
        host = urlsplit(url).netloc[:80]
        with self._lock:
            if len(self.refusals) < _MAX_REFUSALS_KEPT:
                self.refusals.append(Refusal(setting, problem, host))
        log.warning("fetch refused: %s (%s) host=%r", problem, setting, host)
        return FetchFailed(problem, setting=setting, url=url)

    def record(self, refusals: Iterable[Refusal]) -> None:
        """Add refusals made for this request elsewhere (its fetches in a worker of the cage),
        so that what this process concludes from them (a signing deadline's ``cut``) sees them."""
        with self._lock:
            for refusal in refusals:
                if len(self.refusals) >= _MAX_REFUSALS_KEPT:
                    break
                if refusal not in self.refusals:  # a worker's fetch the server refused itself
                    self.refusals.append(refusal)

    def begin(self, url: str) -> float:
        """Account for one fetch about to start; return its time limit in seconds.

        Raises :class:`FetchFailed` when the request was cancelled or a budget is spent."""
        s = self.settings
        with self._lock:
            cancelled = self._cancelled
            count = self.fetches
            self.fetches += 1
        if cancelled:
            raise FetchFailed("the request ended (deadline or cancellation)", url=url)
        if count >= s.max_fetches_per_request:
            raise self.refuse("too many fetches", "fetch.max_fetches_per_request", url)
        left = self.remaining()
        if left <= 0:
            raise self.refuse("no time left for fetching", self.time_limit, url)
        return min(s.timeout_seconds, left)

    def body_limit(self) -> tuple[int, str]:
        """Bytes the next body may have, and the setting that sets that bound."""
        s = self.settings
        with self._lock:
            left = s.max_bytes_per_request - self.bytes
        if left < s.max_response_bytes:
            return max(0, left), "fetch.max_bytes_per_request"
        return s.max_response_bytes, "fetch.max_response_bytes"

    def received(self, count: int) -> None:
        with self._lock:
            self.bytes += count

    def cancel(self) -> None:
        """End every fetch of this request now; later ones are refused. Any thread."""
        with self._lock:
            self._cancelled = True
            active = list(self._active)
        for loop, task in active:
            with contextlib.suppress(RuntimeError):  # that loop is already closed
                loop.call_soon_threadsafe(task.cancel)

    @contextlib.contextmanager
    def _tracking(self, task: asyncio.Task[Any]) -> Iterator[None]:
        entry = (asyncio.get_running_loop(), task)
        with self._lock:
            self._active.add(entry)
        try:
            yield
        finally:
            with self._lock:
                self._active.discard(entry)


_budget: contextvars.ContextVar[RequestBudget | None] = contextvars.ContextVar(
    "kyso_fetch_budget", default=None
)


def current_budget() -> RequestBudget | None:
    """The budget of the request being served in this context, if one was set."""
    return _budget.get()


@contextlib.contextmanager
def request_scope(budget: RequestBudget) -> Iterator[RequestBudget]:
    """Make ``budget`` the one of every fetch made in this context (and the tasks it starts)."""
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


# -- addresses ---------------------------------------------------------------------------------


def _special(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not a public unicast address: loopback, private, link-local, multicast, reserved…"""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _special(address.ipv4_mapped)
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


class AddressPolicy:
    """Which resolved addresses fetches may connect to (``fetch.allowed_networks``)."""

    def __init__(self, settings: FetchSettings) -> None:
        self._allowed = tuple(
            ipaddress.ip_network(n, strict=False) for n in settings.allowed_networks
        )

    def permits(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if any(ip in net for net in self._allowed):
            return True
        return not _special(ip)


class _PolicyResolver(AbstractResolver):
    """Resolves in a daemon thread of its own and keeps only permitted addresses."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self.refused: str | None = None  # the host whose addresses were all refused

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        infos = await _getaddrinfo(host, port)
        out: list[ResolveResult] = []
        for fam, _, proto, _, sockaddr in infos:
            address = str(sockaddr[0])
            if self._policy.permits(address):
                out.append(
                    ResolveResult(
                        hostname=host,
                        host=address,
                        port=int(sockaddr[1]),
                        family=fam,
                        proto=proto,
                        flags=socket.AI_NUMERICHOST,
                    )
                )
        if not out:
            self.refused = host
            raise OSError(f"{host[:80]} resolves to no permitted address")
        return out

    async def close(self) -> None:
        return None


async def _getaddrinfo(host: str, port: int) -> list[Any]:
    """``socket.getaddrinfo`` in a daemon thread: cancelling the await abandons the lookup."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[Any]] = loop.create_future()

    def deliver(result: list[Any] | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or [])

    def work() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            outcome: tuple[list[Any] | None, BaseException | None] = (list(infos), None)
        except OSError as exc:
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(deliver, *outcome)

    threading.Thread(target=work, name="kyso-resolve", daemon=True).start()
    return await future


# -- the client ----------------------------------------------------------------------------------


class HttpFetcher:
    """Makes the bounded, policy-checked HTTP requests of :mod:`kyso.pki.fetching`.

    One per process (it holds only the settings); each request's budget comes from
    :func:`current_budget`, or a fresh one (``max_seconds_per_request`` from now) outside a
    request scope.
    """

    def __init__(self, settings: FetchSettings, user_agent: str = "kyso") -> None:
        self.settings = settings
        self.addresses = AddressPolicy(settings)
        self.user_agent = user_agent
        self._aia_hosts = {h.lower() for h in settings.aia_hosts}
        #: Called after each fetch with (purpose, URL, seconds, ok); the server's metrics set
        #: it. Runs on the request's event loop: it must be quick and must not raise.
        self.on_fetch: Callable[[str, str, float, bool], None] | None = None

    def budget(self, deadline: float | None = None) -> RequestBudget:
        """A new budget for one request ending at ``deadline`` (monotonic; None: the default)."""
        return RequestBudget(self.settings, deadline)

    async def get(
        self, url: str, purpose: Purpose, *, accept: str, budget: RequestBudget | None = None
    ) -> Fetched:
        """GET ``url``; see :meth:`request`."""
        return await self.request("GET", url, purpose, accept=accept, budget=budget)

    async def post(
        self,
        url: str,
        purpose: Purpose,
        data: bytes,
        *,
        content_type: str,
        accept: str,
        headers: Mapping[str, str] | None = None,
        budget: RequestBudget | None = None,
    ) -> Fetched:
        """POST ``data`` to ``url``; see :meth:`request`."""
        extra = {"Content-Type": content_type, **(headers or {})}
        return await self.request(
            "POST", url, purpose, data=data, accept=accept, headers=extra, budget=budget
        )

    async def request(
        self,
        method: str,
        url: str,
        purpose: Purpose,
        *,
        accept: str,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        budget: RequestBudget | None = None,
    ) -> Fetched:
        """One fetch under the request's budget and the fetch policy.

        Raises :class:`FetchFailed`: refused by a rule or a limit (``setting`` names it), a
        status other than 200, a network error, or the time limit (``fetch.timeout_seconds``
        or the request's remaining time) reached.
        """
        budget = budget or current_budget() or self.budget()
        self._check_url(url, purpose, budget)
        timeout = budget.begin(url)
        started, ok = time.monotonic(), False
        task = asyncio.current_task()
        inner = asyncio.ensure_future(
            self._exchange(method, url, purpose, accept, data, headers, budget, timeout)
        )
        assert task is not None
        with budget._tracking(inner):
            try:
                fetched = await asyncio.shield(inner)
                ok = True
                return fetched
            except asyncio.CancelledError:
                inner.cancel()
                if task.cancelling():  # our caller is being cancelled: let it be
                    raise
                raise FetchFailed("the request ended (deadline or cancellation)", url=url) from None
            finally:
                if self.on_fetch is not None:
                    self.on_fetch(purpose.value, url, time.monotonic() - started, ok)

    def _check_url(self, url: str, purpose: Purpose, budget: RequestBudget) -> None:
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port
        except ValueError:
            raise budget.refuse("malformed URL", "fetch policy", url) from None
        if parts.scheme not in ("http", "https") or not host:
            raise budget.refuse("only http and https URLs are fetched", "fetch policy", url)
        if purpose is Purpose.AIA:
            port = port or (443 if parts.scheme == "https" else 80)
            named = {host.lower(), f"{host.lower()}:{port}"}
            if not named & self._aia_hosts:
                raise budget.refuse("AIA host not allowed", "fetch.aia_hosts", url)
        if purpose is not Purpose.TSA:
            try:
                literal = ipaddress.ip_address(host.strip("[]"))
            except ValueError:
                return  # a name: its addresses are checked when it is resolved
            if not self.addresses.permits(str(literal)):
                raise budget.refuse("address not allowed", "fetch.allowed_networks", url)

    async def _exchange(
        self,
        method: str,
        url: str,
        purpose: Purpose,
        accept: str,
        data: bytes | None,
        headers: Mapping[str, str] | None,
        budget: RequestBudget,
        timeout: float,
    ) -> Fetched:
        resolver = None if purpose is Purpose.TSA else _PolicyResolver(self.addresses)
        connector = aiohttp.TCPConnector(
            resolver=resolver, force_close=True, use_dns_cache=False, limit=4
        )
        sent = {
            "Accept": accept,
            "Accept-Encoding": "identity",
            "User-Agent": self.user_agent,
            **(headers or {}),
        }
        try:
            async with (
                asyncio.timeout(timeout),
                aiohttp.ClientSession(
                    connector=connector,
                    auto_decompress=False,
                    timeout=aiohttp.ClientTimeout(total=timeout),
                    trust_env=False,
                ) as session,
                session.request(
                    method, url, data=data, headers=sent, allow_redirects=False
                ) as response,
            ):
                if response.status != 200:
                    raise FetchFailed(f"HTTP status {response.status}", url=url)
                body = await self._read(response, budget, url)
                return Fetched(response.status, dict(response.headers), body)
        except FetchFailed:
            raise
        except TimeoutError:
            setting = (
                "fetch.timeout_seconds"
                if timeout >= self.settings.timeout_seconds
                else budget.time_limit
            )
            raise budget.refuse(
                f"no complete answer within {timeout:.1f} s", setting, url
            ) from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            if resolver is not None and resolver.refused is not None:
                raise budget.refuse("address not allowed", "fetch.allowed_networks", url) from None
            raise FetchFailed(f"fetch failed: {type(exc).__name__}", url=url) from exc

    @staticmethod
    async def _read(response: aiohttp.ClientResponse, budget: RequestBudget, url: str) -> bytes:
        limit, setting = budget.body_limit()
        declared = response.content_length
        if declared is not None and declared > limit:
            raise budget.refuse(f"response of {declared} bytes", setting, url)
        body = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            body += chunk
            budget.received(len(chunk))
            if len(body) > limit:
                raise budget.refuse(f"response over {limit} bytes", setting, url)
        return bytes(body)


__all__ = [
    "AddressPolicy",
    "FetchFailed",
    "Fetched",
    "HttpFetcher",
    "Purpose",
    "Refusal",
    "RequestBudget",
    "current_budget",
    "request_scope",
]
