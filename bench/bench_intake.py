"""Intake of an edXML package vs Verify of the PDF inside it, side by side in one run.

Run: ``python bench/bench_intake.py [--repeat N]``

The package is Fixture A of edxml.md (tests/edxml_packages.py) carrying one one-page PDF signed
with the test PKI (certomancer responders on 127.0.0.1, revocation answered from kyso's warm
cache). Calls alternate (Verify, Intake, Verify, ...) on the same server so both see the same
machine load; p50/p95 of each, the difference of the medians and their ratio are printed.
Issue 13's target: Intake ≤ Verify + 5 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import grpc
from bench_verify import SHARED, _config, _fast_responder, _line, _p, _sign

from kyso.server.app import running_server
from kyso.v1 import intake_pb2 as ipb
from kyso.v1 import intake_pb2_grpc as ipb_grpc
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.access import authorised
from tests.edxml_packages import File, package
from tests.integration.documents import make_pdf
from tests.pki import TestPki


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="calls of each kind")
    ns = parser.parse_args()
    _fast_responder()
    with tempfile.TemporaryDirectory(prefix="kyso-bench-") as tmp:
        root = Path(tmp)
        pki = TestPki(root / "pki").start()
        signed = _sign(pki, make_pdf(["Số: 15/QĐ-UBND", "Công văn thử nghiệm hiệu năng"]))
        edxml = package([File("15-QD-UBND.pdf", signed)])
        trust = [pki.root_path, *sorted((SHARED / "trust").glob("*.pem"))]
        with running_server(_config(root / "home", trust)) as (address, _ctx):
            channel = authorised(grpc.insecure_channel(address))
            verify = pb_grpc.VerifierStub(channel)
            intake = ipb_grpc.IntakeStub(channel)
            v_req = pb.VerifyRequest(document=signed)
            i_req = ipb.IntakeRequest(package=edxml)
            first = intake.Intake(i_req, timeout=60)  # warm both paths (revocation cache)
            assert first.attachments[0].validation.indication == pb.INDICATION_TOTAL_PASSED
            verify.Verify(v_req, timeout=60)
            v_ms, i_ms = [], []
            for _ in range(ns.repeat):
                t = time.perf_counter()
                verify.Verify(v_req, timeout=60)
                v_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                intake.Intake(i_req, timeout=60)
                i_ms.append((time.perf_counter() - t) * 1000)
    v50, i50 = statistics.median(v_ms), statistics.median(i_ms)
    print(f"PDF {len(signed)} bytes, package {len(edxml)} bytes")
    print(_line("Verifier.Verify (one-page signed PDF)", v_ms))
    print(_line("Intake.Intake (edXML package with that PDF)", i_ms))
    print(
        f"{'intake - verify (p50)':58s} {i50 - v50:+9.1f} ms   ratio {i50 / v50:.3f}"
        f"   (p95 difference {_p(i_ms, 0.95) - _p(v_ms, 0.95):+.1f} ms)"
    )


if __name__ == "__main__":
    main()
