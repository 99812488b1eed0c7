"""Bad input gets a clear status, no output; big documents stream; one token serves 16 at once."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from documents import decree30_pdf, make_pdf
from test_sign_support import RECT_SMALL, pyhanko_check, rpc_error, sign, stub

from kyso.server.app import running_server
from kyso.server.status import error_info
from kyso.v1 import signer_pb2 as pb
from tests.access import admin_channel


def _rect_sign(channel, document, **extra):
    return sign(
        channel, document, level=pb.PADES_B_B, placement=pb.SignPlacement(rect=RECT_SMALL), **extra
    )


def _encrypted(tmp_path: Path) -> bytes:
    src, dst = tmp_path / "plain.pdf", tmp_path / "enc.pdf"
    src.write_bytes(decree30_pdf())
    subprocess.run(
        ["qpdf", "--encrypt", "user", "owner", "256", "--", str(src), str(dst)], check=True
    )
    return dst.read_bytes()


@pytest.mark.parametrize(
    ("name", "status", "code", "problem"),
    [
        ("not-pdf", grpc.StatusCode.INVALID_ARGUMENT, "NOT_A_PDF", "no %PDF- header"),
        ("empty", grpc.StatusCode.INVALID_ARGUMENT, "NOT_A_PDF", "(empty)"),
        ("truncated", grpc.StatusCode.INVALID_ARGUMENT, "NOT_A_PDF", "truncated"),
        ("garbage-xref", grpc.StatusCode.INVALID_ARGUMENT, "NOT_A_PDF", "damaged"),
        ("encrypted", grpc.StatusCode.INVALID_ARGUMENT, "DOCUMENT_ENCRYPTED", ""),
    ],
)
def test_bad_documents(grpc_channel, tmp_path, name, status, code, problem):
    good = decree30_pdf()
    document = {
        "not-pdf": b"PK\x03\x04 this is a zip, not a PDF" * 10,
        "empty": b"",
        "truncated": good[: len(good) // 2],
        "garbage-xref": good[:200] + b"\x00" * 500 + good[-100:],
        "encrypted": _encrypted(tmp_path) if name == "encrypted" else b"",
    }[name]
    assert rpc_error(lambda: _rect_sign(grpc_channel, document)) == (status, code)
    with pytest.raises(grpc.RpcError) as info:  # the refusal says what is wrong, as Verify does
        _rect_sign(grpc_channel, document)
    assert problem in (info.value.details() or "")
    # the server keeps serving
    assert _rect_sign(grpc_channel, good).document


def test_unknown_key(grpc_channel):
    # A key the client may not use, configured or not: the guard does not say which keys exist.
    assert rpc_error(lambda: _rect_sign(grpc_channel, decree30_pdf(), key="no-such-key")) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "KEY_NOT_PERMITTED",
    )


def test_anchor_not_found(grpc_channel):
    def call():
        return sign(
            grpc_channel,
            decree30_pdf(),
            level=pb.PADES_B_B,
            placement=pb.SignPlacement(anchor_text="Trần Văn Không Có"),
        )

    assert rpc_error(call) == (grpc.StatusCode.NOT_FOUND, "ANCHOR_NOT_FOUND")


def test_bad_placement_and_image(grpc_channel):
    bad_page = pb.SignPlacement(rect=pb.PageRect(page=7, x1=1, y1=1, x2=100, y2=100))
    assert rpc_error(
        lambda: sign(grpc_channel, decree30_pdf(), level=pb.PADES_B_B, placement=bad_page)
    ) == (grpc.StatusCode.INVALID_ARGUMENT, "PLACEMENT_INVALID")
    assert rpc_error(
        lambda: _rect_sign(grpc_channel, decree30_pdf(), image_png=b"\x89PNG not really")
    ) == (grpc.StatusCode.INVALID_ARGUMENT, "IMAGE_INVALID")


_BAD_RECTS = {
    "x2-infinite": pb.PageRect(page=1, x1=0, y1=0, x2=float("inf"), y2=480),
    "x1-nan": pb.PageRect(page=1, x1=float("nan"), y1=0, x2=100, y2=480),
    "inverted": pb.PageRect(page=1, x1=500, y1=150, x2=350, y2=210),
    "negative": pb.PageRect(page=1, x1=-300, y1=-200, x2=-100, y2=-100),
    "off-the-right-edge": pb.PageRect(page=1, x1=500, y1=150, x2=900, y2=210),
    "page-0": pb.PageRect(page=0, x1=350, y1=150, x2=500, y2=210),
}


@pytest.mark.parametrize("name", sorted(_BAD_RECTS))
def test_a_rectangle_off_the_page_is_refused_by_every_rpc(grpc_channel, pki, config_factory, name):
    """Sign, SignStream and PrepareSignature share the signer's one check: PLACEMENT_INVALID."""
    document = decree30_pdf()
    options = pb.SignOptions(level=pb.PADES_B_B, placement=pb.SignPlacement(rect=_BAD_RECTS[name]))
    refused = (grpc.StatusCode.INVALID_ARGUMENT, "PLACEMENT_INVALID")
    assert (
        rpc_error(
            lambda: sign(grpc_channel, document, level=options.level, placement=options.placement)
        )
        == refused
    )

    def requests():
        yield pb.SignStreamRequest(
            header=pb.SignStreamHeader(key="personal", options=options, size=len(document))
        )
        yield pb.SignStreamRequest(chunk=document)

    assert rpc_error(lambda: list(stub(grpc_channel).SignStream(requests(), timeout=60))) == (
        refused
    )
    prepare = pb.PrepareSignatureRequest(
        document=document,
        certificate=pki.cert_path("personal").read_bytes(),
        chain=[p.read_bytes() for p in pki.chain_paths("personal")],
        options=pb.SignOptions(
            image_png=config_factory.signature_image.read_bytes(),
            level=pb.PADES_B_B,
            placement=options.placement,
        ),
    )
    assert rpc_error(lambda: stub(grpc_channel).PrepareSignature(prepare, timeout=60)) == refused


def test_an_explicitly_empty_anchor_is_refused_not_replaced(grpc_channel):
    """The oneof tells a set-but-empty anchor from none: the signer's name is not used for it."""
    for anchor in ("", "  "):
        placement = pb.SignPlacement(anchor_text=anchor)
        assert placement.WhichOneof("where") == "anchor_text"
        assert rpc_error(
            lambda p=placement: sign(grpc_channel, decree30_pdf(), level=pb.PADES_B_B, placement=p)
        ) == (grpc.StatusCode.INVALID_ARGUMENT, "ANCHOR_INVALID")


@pytest.mark.parametrize("declared", [10, "one more", "one less"])
def test_sign_stream_refuses_a_body_that_is_not_the_declared_size(grpc_channel, declared):
    document = decree30_pdf()
    size = {"one more": len(document) + 1, "one less": len(document) - 1}.get(declared, declared)

    def requests():
        yield pb.SignStreamRequest(
            header=pb.SignStreamHeader(
                key="personal",
                size=size,
                options=pb.SignOptions(
                    level=pb.PADES_B_B, placement=pb.SignPlacement(rect=RECT_SMALL)
                ),
            )
        )
        for i in range(0, len(document), 8192):
            yield pb.SignStreamRequest(chunk=document[i : i + 8192])

    with pytest.raises(grpc.RpcError) as caught:
        list(stub(grpc_channel).SignStream(requests(), timeout=60))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(caught.value)[0] == "STREAM_SIZE_MISMATCH"
    assert f"{size} bytes" in caught.value.details()
    assert f"{len(document)}" in caught.value.details()


def test_over_the_size_limit(make_config):
    config = make_config(max_document_bytes=20_000, max_stream_bytes=30_000)
    with running_server(config) as (address, _), admin_channel(address) as channel:
        big = make_pdf([f"Dòng thử nghiệm số {i} của văn bản dài" for i in range(400)])
        assert len(big) > 30_000
        assert rpc_error(lambda: _rect_sign(channel, big)) == (
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "DOCUMENT_TOO_LARGE",
        )
        chunks = [big[i : i + 8192] for i in range(0, len(big), 8192)]

        def requests():
            yield pb.SignStreamRequest(header=pb.SignStreamHeader(key="personal"))
            for c in chunks:
                yield pb.SignStreamRequest(chunk=c)

        assert rpc_error(lambda: list(stub(channel).SignStream(requests()))) == (
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "DOCUMENT_TOO_LARGE",
        )


def test_sign_stream_larger_than_a_grpc_message(grpc_channel, pki, assert_pdfsig_ok, tmp_path):
    """6 MB (over gRPC's 4 MiB default message) in 1 MiB chunks; the answer comes back in chunks."""
    import os
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(BytesIO(decree30_pdf()))
    blob = w.add_object(generic.StreamObject(stream_data=os.urandom(6 * 1024 * 1024)))
    w.root["/KysoTestBlob"] = blob
    w.update_root()
    buf = BytesIO()
    w.write(buf)
    document = buf.getvalue()

    def requests():
        yield pb.SignStreamRequest(
            header=pb.SignStreamHeader(
                key="personal",
                size=len(document),
                options=pb.SignOptions(
                    level=pb.PADES_B_B, placement=pb.SignPlacement(rect=RECT_SMALL)
                ),
            )
        )
        for i in range(0, len(document), 1024 * 1024):
            yield pb.SignStreamRequest(chunk=document[i : i + 1024 * 1024])

    responses = list(stub(grpc_channel).SignStream(requests(), timeout=120))
    assert responses[0].WhichOneof("part") == "signature"
    assert all(r.WhichOneof("part") == "chunk" for r in responses[1:])
    assert len(responses) > 2
    signed = b"".join(r.chunk for r in responses[1:])
    assert signed.startswith(document)  # an incremental update: the original is untouched
    assert responses[0].signature.size == len(signed)
    assert_pdfsig_ok(signed, expected_signatures=1)

    # return_update_only: only the incremental update comes back; document + update is the PDF
    def update_requests():
        first = next(requests())
        first.header.return_update_only = True
        yield first
        for i in range(0, len(document), 1024 * 1024):
            yield pb.SignStreamRequest(chunk=document[i : i + 1024 * 1024])

    responses = list(stub(grpc_channel).SignStream(update_requests(), timeout=120))
    update = b"".join(r.chunk for r in responses[1:])
    assert 0 < len(update) < 200_000
    assert responses[0].signature.size == len(document) + len(update)
    assert_pdfsig_ok(document + update, expected_signatures=1)


def test_stream_without_header(grpc_channel):
    def requests():
        yield pb.SignStreamRequest(chunk=b"%PDF-1.7")

    assert rpc_error(lambda: list(stub(grpc_channel).SignStream(requests()))) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "STREAM_HEADER_REQUIRED",
    )


def test_sixteen_parallel_requests_on_one_token(grpc_channel, pki, assert_pdfsig_ok):
    documents = [
        make_pdf([f"Văn bản số {i:02d}/UBND-VP", "Ủy ban nhân dân tỉnh Sóc Trăng"])
        for i in range(16)
    ]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda d: _rect_sign(grpc_channel, d), documents))
    assert len({r.signature.sha256 for r in results}) == 16
    for document, result in zip(documents, results, strict=True):
        assert result.document.startswith(document)
        assert_pdfsig_ok(result.document, expected_signatures=1)
    pyhanko_check(results[0].document, pki.cert("root"), 1)


def test_token_sessions_reopened_after_a_token_error(grpc_channel, kyso_context, assert_pdfsig_ok):
    """Close every PKCS#11 session under the pool (as a token reset does): the next signature
    gets SessionHandleInvalid, the pool re-opens and logs in again, and the request succeeds."""
    service = kyso_context.signing
    _rect_sign(grpc_channel, decree30_pdf())
    (pool,) = service.keys._pools.values()
    generation = pool._generation
    for session in list(pool._sessions):
        session.close()
    result = _rect_sign(grpc_channel, decree30_pdf())
    assert_pdfsig_ok(result.document, expected_signatures=1)
    assert pool._generation == generation + 1
