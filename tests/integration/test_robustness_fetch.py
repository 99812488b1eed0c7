"""Outbound fetches against real hostile HTTP servers, through the real gRPC server (issue 9).

Items 1, 2, 3 and 8 of "Found": dripping responders wedging the thread pool, requests to
URLs a hostile document chooses (SSRF), unbounded response bodies, an unbounded
PrepareSignature, a TSA that never answers, and SIGTERM with a request stuck in a fetch.
The hostile servers (:mod:`tests.integration.hostile_http`) record every connection, so "no
request was made" is checked on the wire. Fetch limits are small here ([fetch]
timeout_seconds = 1) so each test takes seconds.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import Any

import grpc
import pytest
from asn1crypto import keys as akeys
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from kyso.v1 import signer_pb2 as spb
from kyso.v1 import signer_pb2_grpc as spb_grpc
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.access import admin_channel
from tests.integration.documents import make_pdf
from tests.integration.hostile_http import HostileHttp

MiB = 1024 * 1024
FETCH = {"timeout_seconds": 1.0, "max_response_bytes": 1 * MiB, "max_seconds_per_request": 8.0}
NOW = dt.datetime.now(dt.UTC)


# ----------------------------------------------------------------------------- hostile PKI
def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        ]
    )


def _cert(
    subject: str,
    issuer: str,
    key: ec.EllipticCurvePrivateKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    ocsp: str | None = None,
    crl: str | None = None,
    ca_issuers: str | None = None,
) -> x509.Certificate:
    usage = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    usage.update(
        {"key_cert_sign": True, "crl_sign": True}
        if ca
        else {"digital_signature": True, "content_commitment": True}
    )
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    access = []
    if ocsp:
        access.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp)
            )
        )
    if ca_issuers:
        access.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(ca_issuers)
            )
        )
    if access:
        b = b.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    if crl:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl)], None, None, None)
        b = b.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _a(c: x509.Certificate) -> ax509.Certificate:
    return ax509.Certificate.load(c.public_bytes(serialization.Encoding.DER))


def _pem(c: x509.Certificate) -> bytes:
    return c.public_bytes(serialization.Encoding.PEM)


class HostilePki:
    """A trusted root (in the server's trust store) and leaves whose URLs point anywhere."""

    def __init__(self, directory: Path) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.root = _cert("kyso robustness test root", "kyso robustness test root", self.key,
                          self.key, ca=True)  # fmt: skip
        self.root_path = directory / "hostile-root.pem"
        self.root_path.write_bytes(_pem(self.root))
        self.document = make_pdf(["QUYẾT ĐỊNH", "Về việc kiểm thử", "Nguyễn Thị Hồng Nhung"])

    def leaf(self, name: str, **urls: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """A signer certificate issued by the trusted root, with the given OCSP/CRL/AIA URLs."""
        key = ec.generate_private_key(ec.SECP256R1())
        return _cert(name, "kyso robustness test root", key, self.key, ca=False, **urls), key

    def signed(
        self,
        cert: x509.Certificate,
        key: ec.EllipticCurvePrivateKey,
        extra: list[x509.Certificate] = (),  # type: ignore[assignment]
    ) -> bytes:
        """The test document signed (B-B, pyHanko) by ``cert`` with ``extra`` in the CMS."""
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        signer = signers.SimpleSigner(
            signing_cert=_a(cert),
            signing_key=akeys.PrivateKeyInfo.load(der),
            cert_registry=SimpleCertificateStore.from_certs([_a(c) for c in extra]),
        )
        w = IncrementalPdfFileWriter(BytesIO(self.document))
        out = signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name="Sig1"), signer=signer)
        return out.getvalue()


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileHttp]:
    server = HostileHttp("127.0.0.1")  # 127.0.0.1 is an allowed network in the test config
    yield server
    server.close()


@pytest.fixture(scope="module")
def hostile_pki(tmp_path_factory: pytest.TempPathFactory) -> HostilePki:
    return HostilePki(tmp_path_factory.mktemp("hostile-pki"))


@pytest.fixture(scope="module")
def kyso_config(config_factory: Any, tmp_path_factory: Any, hostile_pki: HostilePki) -> Any:
    return config_factory.make(
        tmp_path_factory.mktemp("kyso-robust"), trust=[hostile_pki.root_path], fetch=FETCH
    )


@pytest.fixture(scope="module")
def stub(grpc_channel: Any) -> pb_grpc.VerifierStub:
    return pb_grpc.VerifierStub(grpc_channel)


@pytest.fixture(scope="module")
def good(pki: Any, hostile_pki: HostilePki) -> bytes:
    """A document signed by the test PKI's personal key: TOTAL_PASSED when the server is well."""
    signer = signers.SimpleSigner.load(
        str(pki.key_path("personal")),
        str(pki.cert_path("personal")),
        ca_chain_files=[str(p) for p in pki.chain_paths("personal")],
    )
    w = IncrementalPdfFileWriter(BytesIO(hostile_pki.document))
    return signers.sign_pdf(
        w, signers.PdfSignatureMetadata(field_name="Sig1"), signer=signer
    ).getvalue()


def _health(channel: grpc.Channel, timeout: float) -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    return stub.Check(health_pb2.HealthCheckRequest(), timeout=timeout).status  # type: ignore[no-any-return]


def _warnings(report: pb.ValidationReport) -> str:
    return " | ".join(f"{w.code}: {w.message_en}" for w in report.warnings)


class _PeakRss:
    """This process's (the in-process server's) resident set, sampled every 5 ms."""

    def __init__(self) -> None:
        self.start = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# ----------------------------------------------------------------------------- tests
def test_sixteen_dripping_requests_do_not_wedge_the_server(
    stub: Any, grpc_channel: Any, hostile: HostileHttp, hostile_pki: HostilePki, good: bytes
) -> None:
    """Found 1: each fetch ends at fetch.timeout_seconds in total, whatever the drip rate, so
    16 such requests (the whole thread pool) leave health and a normal Verify answering."""
    cert, key = hostile_pki.leaf(
        "Hostile signer (drip)", ocsp=hostile.url("drip", "ocsp"), crl=hostile.url("drip", "crl")
    )
    bad = hostile_pki.signed(cert, key)
    started = time.monotonic()
    futures = [stub.Verify.future(pb.VerifyRequest(document=bad), timeout=30) for _ in range(16)]
    time.sleep(0.3)  # all 16 are holding a worker thread in a dripping fetch now
    t = time.monotonic()
    assert _health(grpc_channel, timeout=4) == health_pb2.HealthCheckResponse.SERVING
    assert time.monotonic() - t < 3.0
    t = time.monotonic()
    normal = stub.Verify(pb.VerifyRequest(document=good), timeout=6)
    assert normal.indication == pb.INDICATION_TOTAL_PASSED, normal.summary_vi
    assert time.monotonic() - t < 4.0
    reports = [f.result() for f in futures]
    assert time.monotonic() - started < 12.0
    for report in reports:
        assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
        assert report.signatures[0].sub_indication == pb.SUB_INDICATION_TRY_LATER
        assert "fetch.timeout_seconds" in _warnings(report)
    assert any(mode == "drip" for mode, _ in hostile.hits)  # the fetches were made, and cut


@pytest.mark.parametrize("how", ["cancelled", "deadline"])
def test_an_ended_request_releases_its_thread_within_half_a_second(
    make_config: Callable[..., Any], hostile: HostileHttp, hostile_pki: HostilePki, how: str
) -> None:
    """Deadlines end work: one worker thread, fetches allowed 30 s; the client cancels (or its
    deadline passes) while the fetch drips: the thread is free within 0.5 s after."""
    from kyso.server.app import running_server

    slow = {**FETCH, "timeout_seconds": 30.0, "max_seconds_per_request": 30.0}
    settings = make_config(workers=1, trust=[hostile_pki.root_path], fetch=slow)
    cert, key = hostile_pki.leaf("Hostile signer (cancel)", ocsp=hostile.url("drip", "c-ocsp"))
    bad = hostile_pki.signed(cert, key)
    with running_server(settings) as (address, _), admin_channel(address) as channel:
        verify = pb_grpc.VerifierStub(channel).Verify
        if how == "cancelled":
            call = verify.future(pb.VerifyRequest(document=bad), timeout=30)
            time.sleep(1.0)
            call.cancel()
        else:  # fetching stops shortly before the deadline: a report, in time
            report = verify(pb.VerifyRequest(document=bad), timeout=1.0)
            assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
            assert "request deadline" in _warnings(report)
        ended = time.monotonic()
        status = _health(channel, timeout=5)  # the only worker thread answers it
        assert status == health_pb2.HealthCheckResponse.SERVING
        assert time.monotonic() - ended < 0.5


def test_a_huge_response_body_is_cut_off_at_the_limit(
    stub: Any, hostile: HostileHttp, hostile_pki: HostilePki
) -> None:
    """Found 3: a CRL URL answering 256 MiB: the body is streamed and dropped after
    fetch.max_response_bytes (1 MiB here); memory stays flat."""
    cert, key = hostile_pki.leaf("Hostile signer (flood)", crl=hostile.url("flood", "crl"))
    bad = hostile_pki.signed(cert, key)
    before = len(hostile.flood_sent)
    with _PeakRss() as rss:
        report = stub.Verify(pb.VerifyRequest(document=bad), timeout=20)
    assert rss.peak - rss.start < 64 * MiB, (rss.start, rss.peak)
    assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
    assert "fetch.max_response_bytes" in _warnings(report)
    deadline = time.monotonic() + 5
    while len(hostile.flood_sent) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hostile.flood_sent[before:] and max(hostile.flood_sent[before:]) < 64 * MiB


def test_no_request_for_certificates_that_reach_no_anchor(
    stub: Any, hostile: HostileHttp, hostile_pki: HostilePki
) -> None:
    """Found 2: an untrusted certificate's AIA, and OCSP for a chain ending at an untrusted
    root, are not fetched (127.0.0.1 is an allowed network: only the trust rule stops them)."""
    before = hostile.hit_count()
    missing_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    aia = _cert("Hostile signer (AIA)", "Missing issuer", leaf_key, missing_key, ca=False,
                ca_issuers=hostile.url("blackhole", "ca.cer"),
                ocsp=hostile.url("blackhole", "aia-leaf-ocsp"))  # fmt: skip
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _cert("Untrusted root", "Untrusted root", root_key, root_key, ca=True)
    inter = _cert("Untrusted inter", "Untrusted root", missing_key, root_key, ca=True,
                  ocsp=hostile.url("blackhole", "inter-ocsp"))  # fmt: skip
    leaf = _cert("Hostile signer (prefetch)", "Untrusted inter", leaf_key, missing_key,
                 ca=False, ocsp=hostile.url("blackhole", "leaf-ocsp"),
                 crl=hostile.url("blackhole", "leaf-crl"))  # fmt: skip
    for pdf in (
        hostile_pki.signed(aia, leaf_key),
        hostile_pki.signed(leaf, leaf_key, [inter, root]),
    ):
        t = time.monotonic()
        report = stub.Verify(pb.VerifyRequest(document=pdf), timeout=20)
        assert time.monotonic() - t < 5.0
        assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
        assert report.signatures[0].sub_indication == pb.SUB_INDICATION_NO_CERTIFICATE_CHAIN_FOUND
    time.sleep(0.3)
    assert hostile.hits[before:] == []


def test_no_request_to_a_private_address_not_configured(stub: Any, hostile_pki: HostilePki) -> None:
    """Found 2: a trusted chain whose responders are on 127.0.0.2 (loopback, not in
    fetch.allowed_networks): refused before connecting, named in the report."""
    private = HostileHttp("127.0.0.2")
    try:
        cert, key = hostile_pki.leaf(
            "Hostile signer (private)",
            ocsp=private.url("blackhole", "ocsp"),
            crl=private.url("blackhole", "crl"),
        )
        report = stub.Verify(pb.VerifyRequest(document=hostile_pki.signed(cert, key)), timeout=20)
        time.sleep(0.3)
        assert private.hits == []
    finally:
        private.close()
    assert report.indication == pb.INDICATION_INDETERMINATE, report.summary_vi
    assert report.signatures[0].sub_indication == pb.SUB_INDICATION_TRY_LATER
    assert "fetch.allowed_networks" in _warnings(report)


def _prepare(channel: grpc.Channel, document: bytes, cert: x509.Certificate) -> Any:
    options = spb.SignOptions(
        profile=spb.PROFILE_PERSONAL,
        level=spb.PADES_B_B,
        placement=spb.SignPlacement(rect=spb.PageRect(page=1, x1=300, y1=100, x2=500, y2=180)),
    )
    request = spb.PrepareSignatureRequest(
        document=document, certificate=_pem(cert), options=options
    )
    return spb_grpc.SignerStub(channel).PrepareSignature(request, timeout=15)


def test_prepare_signature_precheck_is_bounded_and_asks_no_stranger(
    grpc_channel: Any, hostile: HostileHttp, hostile_pki: HostilePki
) -> None:
    """Found 1-2 on the signer: the precheck of a client-supplied certificate follows the
    same rules (no AIA to an unlisted host) and its fetches end at the fetch limits."""
    before = hostile.hit_count()
    missing_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    stranger = _cert("Prepare signer (AIA drip)", "Missing issuer", leaf_key, missing_key,
                     ca=False, ca_issuers=hostile.url("drip", "prepare-ca.cer"))  # fmt: skip
    t = time.monotonic()
    with pytest.raises(grpc.RpcError) as refused:
        _prepare(grpc_channel, hostile_pki.document, stranger)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert time.monotonic() - t < 3.0
    assert hostile.hits[before:] == []
    # A trusted certificate whose responders drip: refused once the fetches are cut off.
    trusted, _ = hostile_pki.leaf(
        "Prepare signer (OCSP drip)",
        ocsp=hostile.url("drip", "prepare-ocsp"),
        crl=hostile.url("drip", "prepare-crl"),
    )
    t = time.monotonic()
    with pytest.raises(grpc.RpcError) as unknown:
        _prepare(grpc_channel, hostile_pki.document, trusted)
    assert unknown.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "CERT_REVOCATION_UNKNOWN" in str(unknown.value.trailing_metadata()), unknown.value
    assert time.monotonic() - t < 5.0


def test_prepare_signature_precheck_runs_in_the_cage(
    config_factory: Any,
    tmp_path: Path,
    hostile: HostileHttp,
    hostile_pki: HostilePki,
) -> None:
    """§1 on the signer: the precheck of a client-supplied certificate (path building over its
    chain, revocation fetches) runs in a worker of the cage. A trusted certificate whose OCSP
    and CRL responders drip keeps the precheck fetching; the worker doing it is killed (as
    the OS's OOM killer would): that PrepareSignature fails UNAVAILABLE VERIFY_WORKER_LOST
    (in the server's own thread it would have gone on to CERT_REVOCATION_UNKNOWN), and the
    pool heals."""
    from kyso.server.app import running_server
    from kyso.server.status import error_info

    settings = config_factory.make(
        tmp_path / "home",
        trust=[hostile_pki.root_path],
        fetch=FETCH,
        process_pool={"size": 1, "max_size": 1},
    )
    trusted, _ = hostile_pki.leaf(
        "Prepare signer (caged precheck)",
        ocsp=hostile.url("drip", "caged-ocsp"),
        crl=hostile.url("drip", "caged-crl"),
    )
    with running_server(settings) as (address, ctx), admin_channel(address) as channel:
        deadline = time.monotonic() + 60
        while not ctx.pool.pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        (pid,) = ctx.pool.pids()
        before = hostile.hit_count()
        with ThreadPoolExecutor(1) as calls:
            call = calls.submit(_prepare, channel, hostile_pki.document, trusted)
            while hostile.hit_count() == before and time.monotonic() < deadline:
                time.sleep(0.01)  # the worker has begun fetching
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(grpc.RpcError) as lost:
                call.result(timeout=30)
        assert lost.value.code() == grpc.StatusCode.UNAVAILABLE
        assert error_info(lost.value)[0] == "VERIFY_WORKER_LOST"
        while ctx.pool.pids() in ([], [pid]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ctx.pool.pids() and pid not in ctx.pool.pids()  # replaced
        with pytest.raises(grpc.RpcError) as unknown:  # the same precheck, to its end
            _prepare(channel, hostile_pki.document, trusted)
        assert error_info(unknown.value)[0] == "CERT_REVOCATION_UNKNOWN"


@pytest.mark.parametrize("mode", ["blackhole", "drip", "flood", "down"])
def test_b_t_signing_with_a_silent_tsa_is_refused_unavailable(
    make_config: Callable[..., Any], hostile: HostileHttp, mode: str
) -> None:
    """Found 5: the TSA is down, never answers, drips or floods: B-T is refused UNAVAILABLE
    TSA_UNAVAILABLE within fetch.timeout_seconds, not after minutes, never downgraded to B-B."""
    from kyso.demo.pki import free_port
    from kyso.server.app import running_server

    url = f"http://127.0.0.1:{free_port()}/tsa" if mode == "down" else hostile.url(mode, "tsa")
    settings = make_config(tsa_url=url, fetch=FETCH)
    document = make_pdf(["QUYẾT ĐỊNH", "Dấu thời gian"])
    with running_server(settings) as (address, _):
        with admin_channel(address) as channel:
            request = spb.SignRequest(
                document=document,
                key="personal",
                options=spb.SignOptions(
                    profile=spb.PROFILE_PERSONAL,
                    level=spb.PADES_B_T,
                    placement=spb.SignPlacement(
                        rect=spb.PageRect(page=1, x1=300, y1=100, x2=500, y2=180)
                    ),
                ),
            )
            t = time.monotonic()
            with pytest.raises(grpc.RpcError) as err:
                spb_grpc.SignerStub(channel).Sign(request, timeout=20)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE, err.value
            assert "TSA_UNAVAILABLE" in str(err.value.trailing_metadata())
            assert time.monotonic() - t < 4.0


def _serving(address: str, timeout: float) -> bool:
    with admin_channel(address) as channel:
        try:
            return _health(channel, timeout) == health_pb2.HealthCheckResponse.SERVING
        except grpc.RpcError:
            return False


def test_sigterm_with_a_request_stuck_in_a_fetch_exits_within_the_grace(
    config_factory: Any, tmp_path: Path, hostile: HostileHttp, hostile_pki: HostilePki
) -> None:
    """Found 8: SIGTERM while a Verify waits on a dripping responder (fetches allowed 60 s):
    readiness goes NOT_SERVING, the request gets shutdown_grace_seconds, then the process
    exits; a new ``kyso serve`` can start on the same port at once."""
    from kyso.demo.pki import free_port

    slow = {**FETCH, "timeout_seconds": 60.0, "max_seconds_per_request": 60.0}
    port = free_port()
    settings = config_factory.make(
        tmp_path / "home",
        keys=[],
        trust=[hostile_pki.root_path],
        fetch=slow,
        listen=f"127.0.0.1:{port}",
        shutdown_grace_seconds=1.0,
    )
    config = settings.home / "kyso.toml"
    address = f"127.0.0.1:{port}"
    cert, key = hostile_pki.leaf("Hostile signer (SIGTERM)", ocsp=hostile.url("drip", "term-ocsp"))
    bad = hostile_pki.signed(cert, key)

    logs: list[Path] = []

    def serve() -> subprocess.Popen[bytes]:
        logs.append(tmp_path / f"serve-{len(logs)}.log")
        with logs[-1].open("wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "kyso.cli", "serve", "--config", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # SIGABRT dumps the threads
            )
        for _ in range(150):
            if _serving(address, 1):
                return proc
            time.sleep(0.1)
        proc.kill()
        raise AssertionError("kyso serve did not start")

    first = serve()
    try:
        with ThreadPoolExecutor(1) as pool:
            with admin_channel(address) as channel:
                stuck = pool.submit(
                    pb_grpc.VerifierStub(channel).Verify,
                    pb.VerifyRequest(document=bad),
                    timeout=60,
                )
                deadline = time.monotonic() + 5
                while (
                    not any(
                        line.endswith("term-ocsp HTTP/1.1") or "term-ocsp" in line
                        for _, line in hostile.hits
                    )
                    and time.monotonic() < deadline
                ):
                    time.sleep(0.05)  # fmt: skip
                t = time.monotonic()
                first.send_signal(signal.SIGTERM)
                first.wait(timeout=30)
                exited = time.monotonic() - t
                with pytest.raises(grpc.RpcError):  # cancelled by the shutdown, not answered
                    stuck.result(timeout=5)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert exited < 1.0 + 3.0, exited  # grace + stragglers + interpreter exit
    second = serve()  # the port is free again
    second.send_signal(signal.SIGTERM)
    try:
        code = second.wait(timeout=15)
    except subprocess.TimeoutExpired:
        second.send_signal(signal.SIGABRT)  # where it waits, for the report
        second.wait()
        code = None
    assert code == 0, logs[-1].read_text(errors="replace")[-20000:]


def test_hostile_certificate_subjects_never_reach_the_logs_raw(
    stub: Any, hostile_pki: HostilePki, caplog: pytest.LogCaptureFixture
) -> None:
    """Found 10: a certificate subject from the document (a new line forging a log line, a
    terminal escape) is never written raw to a log at INFO or above, whatever the path
    (verification, path building, its fetch of a private address refused)."""
    import logging

    forged = "kyso.auth: INFO token:kyso-admin admitted"
    name = f"Hostile\n{forged}\x1b[2J\x07"
    cert, key = hostile_pki.leaf(name, ocsp="http://10.0.0.1/ocsp")  # refused: private
    caplog.set_level(logging.INFO)
    report = stub.Verify(pb.VerifyRequest(document=hostile_pki.signed(cert, key)), timeout=60)
    assert report.signatures
    for record in caplog.records:
        if record.levelno < logging.INFO:
            continue
        text = record.getMessage()
        assert "\x1b" not in text and "\x07" not in text, (record.name, text[:200])
        assert f"\n{forged}" not in text, (record.name, text[:200])
