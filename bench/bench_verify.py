"""Verification speed: kyso through gRPC vs ``pdfsig`` (one process per file) vs pyHanko's
``validate_pdf_signature`` with difference analysis, side by side in one run.

Run: ``python bench/bench_verify.py [--repeat N] [--no-pyhanko-vgca]``

Cases
* one-page PDF signed with the test PKI (certomancer responders on 127.0.0.1), revocation answered
  from kyso's cache (warm): p50/p95 of ``Verifier.Verify``;
* the same with a cold revocation cache (a fresh fetcher backend before every call): the extra time
  is the OCSP fetch from the local responder;
* the 6-signature VGCA document ``50-2026-ND-CP.pdf`` (offline: the VGCA responders are not
  reachable here), difference analysis included.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grpc
from asn1crypto import pem
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from kyso.pki.revocation_cache import fetcher_backend
from kyso.pki.settings import FetchSettings
from kyso.server.app import running_server
from kyso.server.settings import ClientSettings, Settings
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.access import admin_client_table, authorised, write_admin_token
from tests.integration.documents import make_pdf
from tests.pki import TestPki
from trust_store import TrustStoreSettings
from verifier.settings import VerifierSettings

SHARED = Path(__file__).resolve().parents[2] / "shared"
VGCA_DOC = SHARED / "corpus" / "vn-gov-vgca" / "50-2026-ND-CP.pdf"


def _timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name:58s} p50 {statistics.median(values):9.1f} ms   p95 {_p(values, 0.95):9.1f} ms"
        f"   (n={len(values)})"
    )


def _sign(pki: TestPki, pdf: bytes) -> bytes:
    signer = signers.SimpleSigner.load(
        str(pki.key_path("personal")),
        str(pki.cert_path("personal")),
        ca_chain_files=[str(p) for p in pki.chain_paths("personal")],
    )
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name="Sig1")
    return signers.sign_pdf(w, meta, signer=signer).getvalue()  # type: ignore[no-any-return]


def _config(home: Path, trust: list[Path]) -> Settings:
    trust_dir = home / "trust"
    trust_dir.mkdir(parents=True)
    for path in trust:
        data = path.read_bytes()
        (trust_dir / f"{hashlib.sha256(pem.unarmor(data)[2]).hexdigest()}.pem").write_bytes(data)
    write_admin_token(home / "auth" / "tokens")  # the client of tests.access, every role
    return Settings(
        home=home,
        workers=4,
        trust_store=TrustStoreSettings(path=trust_dir),
        verifier=VerifierSettings(fetch_revocation=True),
        # The benchmark's responders are on 127.0.0.1, which the fetch layer refuses by default.
        fetch=FetchSettings(allowed_networks=("127.0.0.1/32",)),
        clients=(ClientSettings(**admin_client_table([])),),
    )


def _pdfsig(nss: Path, path: Path, repeat: int) -> list[float]:
    def run() -> None:
        subprocess.run(["pdfsig", "-nssdir", str(nss), str(path)], capture_output=True, check=False)

    return _timed(run, repeat)


def _pyhanko(pki: TestPki, data: bytes, repeat: int, trust: list[Any]) -> list[float]:
    def run() -> None:
        reader = PdfFileReader(BytesIO(data), strict=False)
        for sig in reader.embedded_signatures:
            vc = ValidationContext(trust_roots=trust, allow_fetching=True)
            validate_pdf_signature(sig, vc, skip_diff=False)

    return _timed(run, repeat)


def _raw_ocsp(pki: TestPki, repeat: int) -> list[float]:
    """The same two OCSP round trips kyso makes cold (signer at "ca", "ca" at "root"), bare."""
    import requests
    from pyhanko_certvalidator.authority import AuthorityWithCert
    from pyhanko_certvalidator.fetchers.common_utils import format_ocsp_request

    jobs = []
    for label, issuer in (("ca", "root"), ("personal", "ca")):
        req = format_ocsp_request(
            pki.cert(label),
            AuthorityWithCert(pki.cert(issuer)),
            certid_hash_algo="sha256",
            request_nonces=True,
        )
        jobs.append((pki.ocsp_url(issuer), req.dump()))

    def run() -> None:
        for url, body in jobs:
            requests.post(
                url, data=body, headers={"Content-Type": "application/ocsp-request"}, timeout=10
            ).raise_for_status()

    return _timed(run, repeat)


def _fast_responder() -> None:
    """Make the certomancer test responder load its signing key once, like a real responder.

    certomancer re-parses the responder's RSA private key for every OCSP/CRL answer (~35 ms in
    ``load_der_private_key``), which would swamp what kyso itself spends on a cold fetch. This
    only touches the benchmark process; kyso never loads private keys while verifying.
    """
    import functools

    from cryptography.hazmat.primitives import serialization

    original = serialization.load_der_private_key

    @functools.lru_cache(maxsize=64)
    def _cached(data: bytes, password: bytes | None = None) -> Any:
        return original(data, password)

    def load(data: bytes, password: bytes | None = None, **kwargs: Any) -> Any:
        return _cached(bytes(data), password) if not kwargs else original(data, password, **kwargs)

    serialization.load_der_private_key = load  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="calls per one-page case")
    parser.add_argument("--repeat-vgca", type=int, default=5)
    parser.add_argument(
        "--stock-responder",
        action="store_true",
        help="keep certomancer's responder as is (re-loads its key for every answer, ~35 ms)",
    )
    parser.add_argument(
        "--no-pyhanko-vgca", action="store_true", help="skip pyHanko on 50-2026 (~20 s)"
    )
    ns = parser.parse_args()
    if not ns.stock_responder:
        _fast_responder()

    with tempfile.TemporaryDirectory(prefix="kyso-bench-") as tmp:
        root = Path(tmp)
        pki = TestPki(root / "pki").start()
        signed = _sign(pki, make_pdf(["Công văn thử nghiệm hiệu năng"]))
        one_page = root / "one-page.pdf"
        one_page.write_bytes(signed)
        trust = [pki.root_path, *sorted((SHARED / "trust").glob("*.pem"))]
        config = _config(root / "home", trust)
        with running_server(config) as (address, ctx):
            channel = authorised(
                grpc.insecure_channel(
                    address, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
                )
            )
            stub = pb_grpc.VerifierStub(channel)
            request = pb.VerifyRequest(document=signed)

            def verify() -> None:
                report = stub.Verify(request, timeout=30)
                assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi

            verify()  # warm: cache filled, code paths loaded
            warm = _timed(verify, ns.repeat)

            def cold() -> None:
                ts = ctx.settings.trust_store
                ctx.revocation = fetcher_backend(
                    None,
                    fallback_ttl=ts.revocation_fallback_ttl_seconds,
                    stale_grace=ts.revocation_stale_grace_seconds,
                    namespace=ts.redis_namespace,
                    fetch=ctx.settings.fetch,
                )
                verify()

            cold_times = _timed(cold, max(20, ns.repeat // 5))

            vgca = VGCA_DOC.read_bytes()
            vgca_request = pb.VerifyRequest(
                document=vgca, options=pb.VerifyOptions(fetch_revocation=False)
            )

            def verify_vgca() -> None:
                report = stub.Verify(vgca_request, timeout=60)
                assert len(report.signatures) == 6
                assert report.indication != pb.INDICATION_TOTAL_FAILED

            verify_vgca()
            vgca_times = _timed(verify_vgca, ns.repeat_vgca)
            channel.close()

        raw_ocsp = _raw_ocsp(pki, max(20, ns.repeat // 5))
        pdfsig_one = _pdfsig(pki.nss_db, one_page, max(10, ns.repeat // 10))
        pdfsig_vgca = _pdfsig(pki.nss_db, VGCA_DOC, ns.repeat_vgca)
        pyhanko_one = _pyhanko(pki, signed, max(10, ns.repeat // 10), [pki.cert("root")])
        pyhanko_vgca: list[float] = []
        if not ns.no_pyhanko_vgca:
            from asn1crypto import x509

            vgca_roots = [
                x509.Certificate.load(pem.unarmor(p.read_bytes())[2])
                for p in sorted((SHARED / "trust").glob("*.pem"))
            ]
            pyhanko_vgca = _pyhanko(pki, vgca, 1, vgca_roots)
        pki.close()

    print(
        f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; responder: "
        f"{'certomancer as is' if ns.stock_responder else 'certomancer, signing key loaded once'}"
    )
    print(_line("kyso gRPC Verify, one page, revocation cached", warm))
    print(_line("kyso gRPC Verify, one page, cold OCSP (local responder)", cold_times))
    print(_line("  bare HTTP: the same 2 OCSP requests to the responder", raw_ocsp))
    print(_line("pdfsig (one process per file), one page", pdfsig_one))
    print(_line("pyHanko validate_pdf_signature + diff, one page", pyhanko_one))
    print(_line("kyso gRPC Verify, 50-2026-ND-CP (6 signatures)", vgca_times))
    print(_line("pdfsig, 50-2026-ND-CP", pdfsig_vgca))
    if pyhanko_vgca:
        print(_line("pyHanko validate_pdf_signature + diff, 50-2026-ND-CP", pyhanko_vgca))
    k1 = statistics.median(warm)
    kv = statistics.median(vgca_times)
    extra = statistics.median(cold_times) - k1
    print(
        f"cold OCSP adds {extra:.1f} ms (p50), of which the responder round trips take "
        f"{statistics.median(raw_ocsp):.1f} ms; kyso's own cost of a cold fetch: "
        f"{extra - statistics.median(raw_ocsp):.1f} ms"
    )
    print(
        f"ratio one page: pdfsig/kyso {statistics.median(pdfsig_one) / k1:.1f}x, "
        f"pyHanko/kyso {statistics.median(pyhanko_one) / k1:.1f}x"
    )
    line = f"ratio 50-2026: pdfsig/kyso {statistics.median(pdfsig_vgca) / kv:.2f}x"
    if pyhanko_vgca:
        line += f", pyHanko/kyso {statistics.median(pyhanko_vgca) / kv:.1f}x"
    print(line)


if __name__ == "__main__":
    main()
