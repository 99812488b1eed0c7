"""Helpers shared by the signing tests (no tests here): stubs, requests, independent checks."""

from __future__ import annotations

import subprocess
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

import grpc
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from kyso.server.status import error_info
from kyso.v1 import signer_pb2 as pb
from kyso.v1 import signer_pb2_grpc as pb_grpc

#: The signature block of tests/documents.decree30_pdf().
RECT_SMALL = pb.PageRect(page=1, x1=350, y1=150, x2=500, y2=210)


def stub(channel: grpc.Channel) -> pb_grpc.SignerStub:
    return pb_grpc.SignerStub(channel)


def sign(
    channel: grpc.Channel, document: bytes, key: str = "personal", **options: Any
) -> pb.SignResponse:
    return stub(channel).Sign(
        pb.SignRequest(document=document, key=key, options=pb.SignOptions(**options)), timeout=60
    )


def rpc_error(call: Any) -> tuple[grpc.StatusCode, str]:
    """Run ``call``; it must fail; return the status code and kyso's stable error code."""
    try:
        call()
    except grpc.RpcError as err:
        code, _ = error_info(err)
        return err.code(), code
    raise AssertionError("the call did not fail")


def pyhanko_check(pdf: bytes, root: Any, expected: int) -> list[Any]:
    """pyHanko's own validator: every signature intact, valid and trusted to ``root``."""
    reader = PdfFileReader(BytesIO(pdf))
    sigs = reader.embedded_regular_signatures
    assert len(sigs) == expected
    statuses = []
    for sig in sigs:
        vc = ValidationContext(trust_roots=[root], allow_fetching=True)
        status = validate_pdf_signature(sig, vc, ts_validation_context=vc)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.bottom_line, status.pretty_print_details()
        statuses.append(status)
    for ts in reader.embedded_timestamp_signatures:
        vc = ValidationContext(trust_roots=[root], allow_fetching=True)
        ts_status = validate_pdf_timestamp(ts, validation_context=vc)
        assert ts_status.intact and ts_status.valid and ts_status.trusted
    return statuses


def pdftotext(pdf: bytes, page: int = 1) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout


def widget_rects(pdf: bytes) -> dict[str, tuple[float, float, float, float]]:
    """Signature field name -> widget /Rect, read back with pyHanko."""
    reader = PdfFileReader(BytesIO(pdf))
    rects = {}
    for sig in reader.embedded_regular_signatures:
        field = sig.sig_field
        widget = field if "/Rect" in field else field["/Kids"][0].get_object()
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        rects[sig.field_name] = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    return rects


def bulky_pdf(base: bytes, extra_bytes: int) -> bytes:
    """``base`` with an incremental update carrying ``extra_bytes`` of incompressible data."""
    import os

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(BytesIO(base))
    w.root["/KysoTestBlob"] = w.add_object(
        generic.StreamObject(stream_data=os.urandom(extra_bytes))
    )
    w.update_root()
    out = BytesIO()
    w.write(out)
    return out.getvalue()
