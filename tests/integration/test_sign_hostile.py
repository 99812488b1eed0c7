"""Hostile documents sent to be signed (issue 9 "Done when"): the reproducers of "Found" §5-§6
(tests/integration/hostile_documents.py) through ``Sign``, ``SignStream`` and
``PrepareSignature`` of the real server.

Each gets a refusal or a signed document, never INTERNAL; the server's work for it ends by the
caller's deadline plus 0.5 s (its CPU quiet afterwards), and the server tree grows by less than
300 MB. A signing caller is authenticated (issue 8), but the document it signs may have come
from outside (a seal over a document signed elsewhere), so its parsing is held to the same
bounds as Verify's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from test_cage import RSS_BUDGET_MB, _TreePeak
from test_deadlines import QUIET_CPU, _tracker
from test_sign_support import RECT_SMALL

from kyso.v1 import signer_pb2 as spb
from kyso.v1 import signer_pb2_grpc as spb_grpc
from tests.access import admin_channel
from tests.integration import hostile_documents as hostile
from tests.pki import run_pdfsig

MiB = 1024 * 1024
DEADLINE = 3.0

#: name -> (document from a valid B-T signed one); each is about 1 MB or less
KINDS: dict[str, Callable[[bytes], bytes]] = {
    "objstm-token-bomb": lambda s: hostile.objstm_token_bomb(s, 255 * MiB),
    "objstm-many-objects": lambda s: hostile.objstm_many_objects(s, 100_000),
    "declared-size": lambda s: hostile.declared_size(s, 2_000_000),
    "signature-fields": lambda s: hostile.signature_fields(s, 6_000),
    "long-contents": lambda s: hostile.long_contents(s, 900_000),
}


@pytest.fixture(scope="module")
def signed_bt(kyso_server: str, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return hostile.signed_at_b_t(kyso_server, tmp_path_factory.mktemp("sign-hostile"))


@pytest.fixture(scope="module")
def stub(kyso_server: str) -> Iterator[Any]:
    with admin_channel(kyso_server) as channel:
        yield spb_grpc.SignerStub(channel)


def _options(config_factory: Any) -> spb.SignOptions:
    return spb.SignOptions(
        profile=spb.PROFILE_PERSONAL,
        level=spb.PADES_B_B,
        placement=spb.SignPlacement(rect=RECT_SMALL),
        image_png=config_factory.signature_image.read_bytes(),
    )


def _bounded(ctx: Any, call: Callable[[], Any]) -> tuple[str, float, float, Any]:
    """The call's outcome ("signed" or the status name), seconds taken, tree growth (MB) and
    answer; asserts the server's work ended by the deadline plus 0.5 s and its CPU is quiet
    after."""
    start = time.monotonic()
    answer: Any = None
    with _TreePeak() as peak:
        try:
            answer = call()
            outcome = "signed"
        except grpc.RpcError as err:
            outcome = err.code().name
    took = time.monotonic() - start
    assert _tracker(ctx).wait_idle(max(0.0, start + DEADLINE + 0.5 - time.monotonic())), (
        "the server still works on the request after its deadline"
    )
    cpu = time.process_time()
    time.sleep(1.0)
    used = time.process_time() - cpu
    assert used < QUIET_CPU, f"{used:.2f} CPU-s in the second after the call ended"
    return outcome, took, peak.growth_mb, answer


ALLOWED = {"signed", "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("rpc", ["Sign", "SignStream", "PrepareSignature"])
def test_hostile_document_to_sign_is_bounded(
    stub: Any,
    _kyso_running: tuple[str, Any],
    signed_bt: bytes,
    pki: Any,
    config_factory: Any,
    kind: str,
    rpc: str,
) -> None:
    document = KINDS[kind](signed_bt)
    assert len(document) <= 1.1 * MiB, len(document)
    _address, ctx = _kyso_running
    options = _options(config_factory)
    if rpc == "Sign":
        request = spb.SignRequest(document=document, key="personal", options=options)
        call: Callable[[], Any] = lambda: stub.Sign(request, timeout=DEADLINE)  # noqa: E731
    elif rpc == "SignStream":

        def parts() -> Iterator[spb.SignStreamRequest]:
            header = spb.SignStreamHeader(key="personal", options=options)
            yield spb.SignStreamRequest(header=header)
            yield spb.SignStreamRequest(chunk=document)

        call = lambda: list(stub.SignStream(parts(), timeout=DEADLINE))  # noqa: E731
    else:
        prepare = spb.PrepareSignatureRequest(
            document=document,
            certificate=pki.cert_path("personal").read_bytes(),
            chain=[p.read_bytes() for p in pki.chain_paths("personal")],
            options=options,
        )
        call = lambda: stub.PrepareSignature(prepare, timeout=DEADLINE)  # noqa: E731
    outcome, took, growth, answer = _bounded(ctx, call)
    print(f"{rpc} {kind}: {outcome} in {took:.2f} s, tree +{growth:.0f} MB")
    assert outcome in ALLOWED, outcome
    assert took < DEADLINE + 0.5, took
    assert growth < RSS_BUDGET_MB, growth
    if rpc == "Sign" and outcome == "signed":
        # kyso's own signature (the last) is what pdfsig accepts; the hostile document's
        # earlier ones may be broken on purpose (long-contents) or repeated (signature-fields)
        report = run_pdfsig(pki.nss_db, answer.document)
        last = report.split("Signature #")[-1]
        assert "Signature is Valid." in last and "Certificate is Trusted." in last, last
