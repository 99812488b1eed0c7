"""The signer's PDF work in the cage (issue 9 §1; kyso/server/sign_jobs.py), through the real
server: the worker does the document's work, the server's key makes the one raw signature.

The hostile documents are in test_sign_hostile.py; here: a worker killed in the middle of a
signature (the key unused, the pool heals), and the in-process path (``[process_pool] size =
0``) still signing what pdfsig accepts.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import grpc
import pytest
from test_cage import _wait_idle_workers
from test_sign_support import RECT_SMALL, rpc_error

from kyso.v1 import signer_pb2 as pb
from kyso.v1 import signer_pb2_grpc as pb_grpc
from tests.access import admin_channel
from tests.integration import hostile_documents as hostile
from tests.integration.documents import decree30_pdf


@pytest.fixture
def server(make_config: Callable[..., Any]) -> Callable[..., Any]:
    """``server(pool={...})``: a kyso server of its own, its signer stub, context and
    channel."""
    from kyso.server.app import running_server

    @contextmanager
    def _start(pool: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
        with (
            running_server(make_config(process_pool=pool)) as (address, ctx),
            admin_channel(address) as channel,
        ):
            yield pb_grpc.SignerStub(channel), ctx, channel

    return _start


def _request(document: bytes, level: int = pb.PADES_B_B) -> pb.SignRequest:
    options = pb.SignOptions(
        profile=pb.PROFILE_PERSONAL, level=level, placement=pb.SignPlacement(rect=RECT_SMALL)
    )
    return pb.SignRequest(document=document, key="personal", options=options)


@pytest.fixture(scope="module")
def heavy(kyso_server: str, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A signed document with 6,000 more signature fields: a second or two of the worker's
    CPU to read before it can be signed again."""
    signed = hostile.signed_at_b_t(kyso_server, tmp_path_factory.mktemp("sign-cage"))
    return hostile.signature_fields(signed, 6_000)


def test_a_worker_killed_mid_signature(server: Any, heavy: bytes, assert_pdfsig_ok: Any) -> None:
    """SIGKILL of the worker while it reads the document: UNAVAILABLE VERIFY_WORKER_LOST, the
    audit says refused, the key made no signature; the next Sign is done by a new worker."""
    with server({"signing_size": 1, "signing_max_size": 1}) as (stub, ctx, _):
        (pid,) = _wait_idle_workers(ctx, 1, pool=ctx.signing_pool)
        before = len(ctx.signing_audit.entries())
        with ThreadPoolExecutor(1) as pool:
            call = pool.submit(rpc_error, lambda: stub.Sign(_request(heavy), timeout=60))
            time.sleep(0.5)  # the 6,000 fields take seconds
            os.kill(pid, signal.SIGKILL)
            status, code = call.result(timeout=30)
        assert (status, code) == (grpc.StatusCode.UNAVAILABLE, "VERIFY_WORKER_LOST")
        entries = ctx.signing_audit.entries()[before:]
        assert [(e.result, e.code) for e in entries] == [("REFUSED", "VERIFY_WORKER_LOST")]
        assert pid not in ctx.signing_pool.pids()
        signed = stub.Sign(_request(decree30_pdf()), timeout=60).document
        assert_pdfsig_ok(signed, 1)


def test_signing_in_the_server_process_without_the_cage(
    server: Any, pki: Any, config_factory: Any, assert_pdfsig_ok: Any
) -> None:
    """``size = 0``: the PDF work in the server process, as before the cage: B-T and a
    two-step preparation both work, and pdfsig accepts the signature."""
    with server({"size": 0}) as (stub, ctx, _):
        assert ctx.pool is None and ctx.signing_pool is None and ctx.signing.isolate is None
        signed = stub.Sign(_request(decree30_pdf(), pb.PADES_B_T), timeout=60).document
        assert_pdfsig_ok(signed, 1)
        prepared = stub.PrepareSignature(
            pb.PrepareSignatureRequest(
                document=decree30_pdf(),
                certificate=pki.cert_path("personal").read_bytes(),
                chain=[p.read_bytes() for p in pki.chain_paths("personal")],
                options=pb.SignOptions(
                    placement=pb.SignPlacement(rect=RECT_SMALL),
                    image_png=config_factory.signature_image.read_bytes(),
                ),
            ),
            timeout=60,
        )
        assert prepared.signed_attributes and prepared.id


def test_signing_has_workers_of_its_own(server: Any, assert_pdfsig_ok: Any) -> None:
    """A Sign's PDF work runs in the signing pool, a Verify in the verification pool, and no
    worker is in both: a worker that read a document for Verify never does a signature's
    work (docs/security.md, Workers)."""
    from kyso.v1 import verifier_pb2 as vpb
    from kyso.v1 import verifier_pb2_grpc as vpb_grpc

    pool = {"size": 1, "max_size": 2, "signing_size": 1, "signing_max_size": 2}
    with server(pool) as (stub, ctx, channel):
        verifiers = _wait_idle_workers(ctx, 1)
        signers = _wait_idle_workers(ctx, 1, pool=ctx.signing_pool)
        assert not set(verifiers) & set(signers)
        signed = stub.Sign(_request(decree30_pdf()), timeout=60).document
        assert ctx.signing_pool.jobs == 1  # (the key's certificate precheck is verification)
        assert_pdfsig_ok(signed, 1)
        verified = ctx.pool.jobs
        verify = vpb_grpc.VerifierStub(channel).Verify
        verify(vpb.VerifyRequest(document=signed), timeout=60)
        assert (ctx.signing_pool.jobs, ctx.pool.jobs) == (1, verified + 1)
        assert not set(ctx.pool.pids()) & set(ctx.signing_pool.pids())


def test_a_fresh_signing_worker_for_each_signature(server: Any, assert_pdfsig_ok: Any) -> None:
    """``signing_requests_per_worker = 1``: no two signatures share a worker, so a document
    that took over one cannot do the next caller's PDF work; each result still verifies."""
    pool = {"signing_size": 1, "signing_max_size": 1, "signing_requests_per_worker": 1}
    with server(pool) as (stub, ctx, _):
        seen: list[int] = []
        for _ in range(3):
            (pid,) = _wait_idle_workers(ctx, 1, pool=ctx.signing_pool)
            seen.append(pid)
            assert_pdfsig_ok(stub.Sign(_request(decree30_pdf()), timeout=60).document, 1)
        assert len(set(seen)) == 3, seen
        assert ctx.signing_pool.replaced == 0  # retired, not lost
