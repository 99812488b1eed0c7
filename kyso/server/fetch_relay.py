"""A worker's HTTP fetches, made by the server on its behalf (issue 9 §1 and §2).

A worker of the cage parses hostile documents, so it is given no network: Landlock (ABI 4)
refuses it every TCP connection (:mod:`kyso.server.worker_confinement`), and the OCSP, CRL,
AIA and TSA requests of its verification or signature go through its pipe as an ``http``
message (:class:`RelayedHttp`). The server answers it (:func:`answer`) with its own
:class:`kyso.pki.fetching.HttpFetcher` under the RPC's own budget: the address rules
(``fetch.allowed_networks``), the AIA allow-list, the per-fetch and per-request limits are
applied by the process a document cannot take over. A worker that has been taken over can
thus reach no more than a document could make kyso fetch: never Redis, the loopback gRPC port
or a private range, and a TSA only at ``signer.tsa_url``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
from collections.abc import Callable, Mapping
from typing import Any

from kyso.pki.fetching import (
    Fetched,
    FetchFailed,
    HttpFetcher,
    Purpose,
    Refusal,
    RequestBudget,
)
from kyso.pki.settings import FetchSettings

#: The longest URL a worker may ask for (characters).
URL_LIMIT = 2048
#: The largest body a worker may send (bytes): an OCSP or time-stamp request is a few hundred.
BODY_LIMIT = 64 * 1024
#: The longest ``Accept`` or ``Content-Type`` value (characters).
HEADER_LIMIT = 256
_METHODS = frozenset({"GET", "POST"})


class RelayedHttp(HttpFetcher):
    """The worker's fetcher: the policy checks and the budget of :class:`HttpFetcher` run here
    too (a refusal is known without a round trip), the exchange itself is the server's.

    ``ask`` sends one message and returns the server's reply (the worker's pipe)."""

    def __init__(self, settings: FetchSettings, ask: Callable[[tuple[Any, ...]], Any]) -> None:
        super().__init__(settings)
        self._ask = ask

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
        content_type = (headers or {}).get("Content-Type", "")
        message = ("http", method, url, purpose.value, accept, data or b"", content_type)
        reply = await asyncio.to_thread(self._ask, message)
        if reply[0] == "ok":
            _, status, answer_headers, body = reply
            budget.received(len(body))
            return Fetched(status, answer_headers, body)
        _, problem, setting = reply
        if setting:  # a limit or a rule: the report names it (logged by the server already)
            budget.record([Refusal(setting, problem, _host(url))])
        raise FetchFailed(problem, setting=setting, url=url)


def answer(
    http: HttpFetcher,
    budget: RequestBudget,
    message: tuple[Any, ...],
    *,
    tsa_url: str | None,
    note: set[bytes] | None = None,
) -> tuple[Any, ...]:
    """The server's reply to a worker's checked ``http`` message:
    ``("ok", status, headers, body)`` or ``("failed", problem, setting)``; ``note`` gets the
    SHA-256 of each body fetched (the worker may offer the shared revocation cache only these).

    The fetch runs under ``budget`` (the RPC's) and ``http``'s policy; a request no honest
    worker makes (another method, an oversized field, a TSA other than ``tsa_url``) is refused
    without a fetch. Blocks this thread until the fetch ends (at the budget's deadline at the
    latest); never raises for the worker's input."""
    _, method, url, purpose_name, accept, data, content_type = message
    problem = _malformed(method, url, purpose_name, accept, data, content_type, tsa_url)
    if problem:
        return ("failed", problem, "fetch policy")
    purpose = Purpose(purpose_name)
    headers = {"Content-Type": content_type} if content_type else None
    coroutine = http.request(
        method,
        url,
        purpose,
        accept=accept,
        data=data if method == "POST" else None,
        headers=headers,
        budget=budget,
    )
    future = asyncio.run_coroutine_threadsafe(coroutine, _loop())
    try:
        fetched = future.result(timeout=max(0.0, budget.remaining()) + 1.0)
    except FetchFailed as exc:
        return ("failed", exc.problem[:500], exc.setting)
    except TimeoutError:
        future.cancel()
        return ("failed", "no complete answer before the request's deadline", budget.time_limit)
    except Exception as exc:  # the fetcher's own failure: the worker learns only that
        return ("failed", f"fetch failed: {type(exc).__name__}", "")
    if note is not None:
        note.add(hashlib.sha256(fetched.content).digest())
    return ("ok", fetched.status_code, dict(fetched.headers), fetched.content)


def _malformed(
    method: str,
    url: str,
    purpose: str,
    accept: str,
    data: bytes,
    content_type: str,
    tsa_url: str | None,
) -> str:
    if method not in _METHODS or purpose not in {p.value for p in Purpose}:
        return "not a fetch kyso makes"
    if len(url) > URL_LIMIT or len(accept) > HEADER_LIMIT or len(content_type) > HEADER_LIMIT:
        return "a field of the request is too long"
    if len(data) > BODY_LIMIT or (method == "GET" and data):
        return "request body too large"
    if any(c in accept + content_type for c in "\r\n\0"):
        return "a header holds a line break"
    if purpose == Purpose.TSA.value and url != tsa_url:
        return "not the configured time-stamp server"
    return ""


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    with contextlib.suppress(ValueError):
        return urlsplit(url).netloc[:80]
    return ""


_LOOP: asyncio.AbstractEventLoop | None = None
_LOOP_LOCK = threading.Lock()


def _loop() -> asyncio.AbstractEventLoop:
    """The server's event loop for relayed fetches (one daemon thread, started on first use):
    the pool's threads may already run a loop of their own (a signature's), and one loop
    serves every worker's fetches at once."""
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None or _LOOP.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="kyso-fetch-relay", daemon=True).start()
            _LOOP = loop
        return _LOOP


__all__ = ["BODY_LIMIT", "URL_LIMIT", "RelayedHttp", "answer"]
