"""What the visual comparison costs: gRPC Verify with and without it, side by side in one run.

Run: ``python bench/bench_visual.py [--repeat N]``

Two servers in one process, identical but for ``[verifier] visual_comparison``; the calls
alternate between them so load on the machine falls on both alike.

Cases
* the 6-signature VGCA document ``50-2026-ND-CP.pdf`` (offline): five signatures followed by
  changes, which touch pages 1 and 30 (7 page renders at 50 dpi);
* ``QD2179-BKHCN-6sig.pdf`` (offline), 6 signatures on one page;
* a one-page document certified (P=2) by the test PKI, then signed in a new visible field and a
  field filled in (two signatures followed by changes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grpc
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm

from bench.bench_verify import _config
from kyso.server.app import running_server
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.access import authorised
from tests.integration.certified_documents import certify, fill_form, sign_new_visible
from tests.pki import TestPki
from verifier.settings import VerifierSettings

SHARED = Path(__file__).resolve().parents[2] / "shared"
VGCA = SHARED / "corpus" / "vn-gov-vgca"


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name:62s} p50 {statistics.median(values):8.1f} ms   p95 {_p(values, 0.95):8.1f} ms"
        f"   (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="calls per case and server")
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kyso-bench-visual-") as tmp:
        root = Path(tmp)
        pki = TestPki(root / "pki").start()
        signer = signers.SimpleSigner.load(
            str(pki.key_path("personal")),
            str(pki.cert_path("personal")),
            ca_chain_files=[str(p) for p in pki.chain_paths("personal")],
        )
        certified = certify(signer, MDPPerm.FILL_FORMS)
        generated = fill_form(sign_new_visible(certified, signer), signer)
        trust = [pki.root_path, *sorted((SHARED / "trust").glob("*.pem"))]
        on = _config(root / "on", trust)
        off = _config(root / "off", trust)
        off = off.model_copy(
            update={"verifier": VerifierSettings(fetch_revocation=True, visual_comparison=False)}
        )
        cases = {
            "50-2026-ND-CP (6 signatures)": (VGCA / "50-2026-ND-CP.pdf").read_bytes(),
            "QD2179-BKHCN-6sig (6 signatures)": (VGCA / "QD2179-BKHCN-6sig.pdf").read_bytes(),
            "certified P=2 + visible signature + form fill": generated,
        }
        times: dict[tuple[str, str], list[float]] = {}
        with running_server(on) as (addr_on, _), running_server(off) as (addr_off, _):
            stubs: dict[str, Any] = {}
            channels = []
            for label, addr in (("with", addr_on), ("without", addr_off)):
                channel = authorised(
                    grpc.insecure_channel(
                        addr, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
                    )
                )
                channels.append(channel)
                stubs[label] = pb_grpc.VerifierStub(channel)
            for name, data in cases.items():
                request = pb.VerifyRequest(
                    document=data, options=pb.VerifyOptions(fetch_revocation=False)
                )
                verdicts = {}
                for label, stub in stubs.items():
                    verdicts[label] = stub.Verify(request, timeout=60).indication  # warm
                assert verdicts["with"] == verdicts["without"], (name, verdicts)
                for _ in range(ns.repeat):
                    for label, stub in stubs.items():
                        start = time.perf_counter()
                        stub.Verify(request, timeout=60)
                        elapsed = (time.perf_counter() - start) * 1000
                        times.setdefault((name, label), []).append(elapsed)
            for channel in channels:
                channel.close()
        pki.close()
    print(
        f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; load {os.getloadavg()}"
    )
    for name in cases:
        with_v, without_v = times[(name, "with")], times[(name, "without")]
        print(_line(f"{name}, with visual comparison", with_v))
        print(_line(f"{name}, without", without_v))
        delta = statistics.median(with_v) - statistics.median(without_v)
        print(f"{'':62s} p50 difference {delta:+.1f} ms")


if __name__ == "__main__":
    main()
