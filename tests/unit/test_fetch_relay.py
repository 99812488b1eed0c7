"""A worker's fetches are the server's (kyso.server.fetch_relay, issue 9 §1 and §2): the
server applies its own rules to what a worker asks for, whatever the worker claims, and an
honest worker's fetch works end to end. A real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import http.server
import pickle
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from asn1crypto import ocsp

from kyso.pki.fetching import FetchFailed, HttpFetcher, Purpose
from kyso.pki.settings import FetchSettings
from kyso.server import fetch_relay
from kyso.server.worker_protocol import check_shape, loads


class _Answers(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []
    body: ClassVar[bytes | None] = None  # the answer, else "seen:" and the request's body

    def _reply(self) -> None:
        self.hits.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.body or b"seen:" + self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/test")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[str]:
    _Answers.hits, _Answers.body = [], None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _server_http(allowed: bool = True) -> HttpFetcher:
    networks = ("127.0.0.1/32",) if allowed else ()
    return HttpFetcher(FetchSettings(allowed_networks=networks, timeout_seconds=5.0))


def _message(
    method: str, url: str, purpose: str = "OCSP", body: bytes = b"", ctype: str = ""
) -> Any:
    message = ("http", method, url, purpose, "application/test", body, ctype)
    return check_shape(loads(pickle.dumps(message)))  # as the pool reads it off the pipe


def test_an_allowed_fetch_is_made_by_the_server_and_counted_in_its_budget(origin: str) -> None:
    http = _server_http()
    budget = http.budget()
    reply = fetch_relay.answer(
        http, budget, _message("POST", f"{origin}/ocsp", body=b"req", ctype="x/y"), tsa_url=None
    )
    assert reply[0] == "ok" and reply[1] == 200 and reply[3] == b"seen:req", reply
    assert budget.fetches == 1 and budget.bytes == len(b"seen:req")
    assert _Answers.hits == ["POST /ocsp"]


def test_the_servers_address_rules_hold_whatever_the_worker_checked(origin: str) -> None:
    """A worker taken over skips its own checks: the server refuses 127.0.0.1 unless configured
    (Redis, the gRPC port and the demo responders listen there)."""
    http = _server_http(allowed=False)
    budget = http.budget()
    reply = fetch_relay.answer(http, budget, _message("GET", f"{origin}/x"), tsa_url=None)
    assert reply == ("failed", "address not allowed", "fetch.allowed_networks")
    assert budget.refusals and budget.refusals[0].setting == "fetch.allowed_networks"
    assert _Answers.hits == []


@pytest.mark.parametrize(
    ("method", "path", "purpose", "body", "ctype", "problem"),
    [
        ("PUT", "/x", "OCSP", b"", "", "not a fetch kyso makes"),
        ("GET", "/x", "metrics", b"", "", "not a fetch kyso makes"),
        ("GET", "/x", "OCSP", b"body", "", "request body too large"),
        ("POST", "/x", "OCSP", b"x" * (fetch_relay.BODY_LIMIT + 1), "", "request body too large"),
        ("POST", "/x", "OCSP", b"x", "a\r\nHost: redis", "a header holds a line break"),
        (
            "GET",
            "/" + "x" * fetch_relay.URL_LIMIT,
            "CRL",
            b"",
            "",
            "a field of the request is too long",
        ),
        # the TSA's address is exempt from the address rules: only the configured one
        ("POST", "/other-tsa", "TSA", b"q", "", "not the configured time-stamp server"),
    ],
)
def test_a_request_no_honest_worker_makes_is_refused_without_a_fetch(
    origin: str, method: str, path: str, purpose: str, body: bytes, ctype: str, problem: str
) -> None:
    http = _server_http()
    reply = fetch_relay.answer(
        http,
        http.budget(),
        _message(method, origin + path, purpose, body, ctype),
        tsa_url=f"{origin}/tsa",
    )
    assert reply == ("failed", problem, "fetch policy")
    assert _Answers.hits == []


def test_the_configured_tsa_is_reached(origin: str) -> None:
    http = _server_http(allowed=False)  # the TSA is exempt from the address rules
    reply = fetch_relay.answer(
        http, http.budget(), _message("POST", f"{origin}/tsa", "TSA", b"q"), tsa_url=f"{origin}/tsa"
    )
    assert reply[0] == "ok" and reply[3] == b"seen:q"


def test_a_workers_relayed_fetcher_round_trips(origin: str) -> None:
    """The worker's side: its fetch arrives as the server's answer; a refusal by the server
    is the worker's FetchFailed naming the setting, kept for its report."""
    server = _server_http(allowed=False)
    server_budget = server.budget()

    def ask(message: tuple[Any, ...]) -> Any:
        message = check_shape(loads(pickle.dumps(message)))
        return fetch_relay.answer(server, server_budget, message, tsa_url=f"{origin}/tsa")

    worker = fetch_relay.RelayedHttp(FetchSettings(allowed_networks=("0.0.0.0/0",)), ask)

    async def run() -> None:
        budget = worker.budget()
        got = await worker.post(
            f"{origin}/tsa", Purpose.TSA, b"q", content_type="x/y", accept="a/b", budget=budget
        )
        assert got.content == b"seen:q" and budget.bytes == 6
        with pytest.raises(FetchFailed) as err:
            await worker.get(f"{origin}/ocsp", Purpose.OCSP, accept="a/b", budget=budget)
        assert err.value.setting == "fetch.allowed_networks"
        assert [r.setting for r in budget.refusals] == ["fetch.allowed_networks"]

    asyncio.run(run())
    assert _Answers.hits == ["POST /tsa"]


def _ocsp_der() -> bytes:
    return bytes(ocsp.OCSPResponse({"response_status": "try_later"}).dump())


def test_a_rogue_worker_may_offer_the_shared_cache_only_what_the_server_fetched(
    origin: str, tmp_path: Any
) -> None:
    """The server's side of a worker's pipe (WorkerPool._wait), with a scripted worker on the
    real pipe: an OCSP answer it did not get through the server (replayed, or from another
    time) is dropped; one the server fetched for this job is shared."""
    import multiprocessing

    from kyso.pki.revocation_cache import RevocationCache
    from kyso.server.settings import Settings
    from kyso.server.worker_pool import WorkerPool, _Worker

    served = _ocsp_der()
    _Answers.body = served
    cache = RevocationCache(None)
    settings = Settings(home=tmp_path, fetch=FetchSettings(allowed_networks=("127.0.0.1/32",)))
    pool = WorkerPool(settings, cache, http=HttpFetcher(settings.fetch))
    server_end, worker_end = multiprocessing.Pipe(duplex=True)

    def rogue() -> None:
        replayed = bytes(ocsp.OCSPResponse({"response_status": "internal_error"}).dump())
        worker_end.send(("cache_put", "ocsp:forged", replayed, None))
        worker_end.send(("http", "GET", f"{origin}/ocsp", "OCSP", "a/b", b"", ""))
        reply = worker_end.recv()
        worker_end.send(("cache_put", "ocsp:fetched", reply[3], None))
        worker_end.send(("ok", b"report", "", 0, False))

    thread = threading.Thread(target=rogue)
    thread.start()
    try:
        worker = _Worker(process=None, conn=server_end, pid=1)
        answer = pool._wait(worker, time.monotonic() + 10, threading.Event(), pool.http.budget())
    finally:
        thread.join(5)
        pool.close()
    assert answer[0] == "ok"
    parse = ocsp.OCSPResponse.load
    assert cache.lookup("ocsp:forged", parse) is None
    entry = cache.lookup("ocsp:fetched", parse)
    assert entry is not None and entry.der == served
