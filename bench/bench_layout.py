"""Layout checking speed (issue 10): Verify of a one-page signed Decree 30 document with and
without the layout report, side by side in one run (calls interleaved), the difference and the
ratio; the layout check alone in process; OCR of a scanned A4 page.

Run: ``python bench/bench_layout.py [--repeat N]``

Targets: the layout report adds at most 5 ms to Verify of a one-page document with a text layer;
OCR of a scanned A4 page takes at most 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))

import grpc
from bench_verify import SHARED, _config, _fast_responder, _line, _sign
from decree30_documents import CORRECT, build, scanned
from pyhanko.pdf_utils.reader import PdfFileReader

from kyso.layout import ocr
from kyso.layout.text import open_document, read_page
from kyso.pdf import hex_strings
from kyso.server.app import running_server
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.access import authorised
from tests.pki import TestPki
from verifier.layout.check import LayoutOptions, check_layout
from verifier.layout.policy import default_layout_policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="Verify calls per case")
    parser.add_argument("--repeat-ocr", type=int, default=3, help="OCR runs of the scanned page")
    ns = parser.parse_args()
    _fast_responder()
    with tempfile.TemporaryDirectory(prefix="kyso-bench-layout-") as tmp:
        root = Path(tmp)
        pki = TestPki(root / "pki").start()
        signed = _sign(pki, build(CORRECT))
        trust = [pki.root_path, *sorted((SHARED / "trust").glob("*.pem"))]
        with running_server(_config(root / "home", trust)) as (address, _ctx):
            stub = pb_grpc.VerifierStub(authorised(grpc.insecure_channel(address)))

            def call(layout: bool) -> float:
                request = pb.VerifyRequest(
                    document=signed, options=pb.VerifyOptions(check_layout=layout)
                )
                start = time.perf_counter()
                report = stub.Verify(request, timeout=30)
                elapsed = (time.perf_counter() - start) * 1000
                assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
                assert report.HasField("layout") == layout
                return elapsed

            for _ in range(10):  # warm: revocation cache, code paths, fonts
                call(True), call(False)
            with_layout, without = [], []
            for _ in range(ns.repeat):  # interleaved: both see the same machine load
                with_layout.append(call(True))
                without.append(call(False))
    # the layout check alone as Verify runs it: pyHanko's reader already open (with kyso's
    # hex-string reader installed, as in the server), the signer names already known
    hex_strings.install()
    policy, options = default_layout_policy(), LayoutOptions(ocr=False)
    reader = PdfFileReader(BytesIO(signed), strict=False)
    names = {"Sig1": ("Nguyễn Thị Hồng Nhung", "Ủy ban nhân dân tỉnh Sóc Trăng")}
    alone = []
    for _ in range(ns.repeat):
        start = time.perf_counter()
        check_layout(signed, policy, options, reader=reader, names=names)
        alone.append((time.perf_counter() - start) * 1000)
    a, b = statistics.median(with_layout), statistics.median(without)
    print("one-page Decree 30 document (text layer), signed, Verify through gRPC:")
    print(_line("  Verify without layout", without))
    print(_line("  Verify with layout", with_layout))
    print(f"  added by layout (p50): {a - b:.2f} ms   ratio with/without: {a / b:.3f}")
    # the fastest call of each: what a call costs when no other process takes the cores
    fa, fb = min(with_layout), min(without)
    print(f"  added by layout (fastest call of each): {fa - fb:.2f} ms ({fb:.1f} -> {fa:.1f} ms)")
    print(_line("  layout check alone, in process (pages, rules, widgets)", alone))
    print(f"  layout check alone, fastest call: {min(alone):.2f} ms")
    if not ocr.available():
        print("OCR: tesseract with the Vietnamese model is not installed: skipped")
        return
    page_pdf = scanned(build(CORRECT))
    pdf = open_document(page_pdf)
    page = read_page(pdf, 0)
    for dpi in (200, 300):
        times = []
        for _ in range(ns.repeat_ocr):
            start = time.perf_counter()
            ocr.read_page_ocr(pdf, page, dpi=dpi, timeout=60)
            times.append((time.perf_counter() - start) * 1000)
        print(_line(f"OCR of a scanned A4 page at {dpi} dpi (render + tesseract vie)", times))


if __name__ == "__main__":
    main()
