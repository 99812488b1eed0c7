"""Signing speed: kyso through gRPC (real server process, SoftHSM2 key) vs pyHanko used the
obvious way (``SimpleSigner.load`` + ``sign_pdf`` per document), side by side in one run.

Run: ``python bench/bench_sign.py [--requests N] [--stream-mb 200] [--no-stream]``

Cases
* one-page PDF, PAdES B-B, visible personal signature at a rectangle:
  p50/p95 latency of sequential ``Signer.Sign`` calls, and throughput with 8 concurrent
  clients (8 calls in flight); the baseline signs the same document in this process;
* a large PDF (default 200 MB) through ``SignStream``: wall time against the time to
  SHA-256 the file, and the server's peak RSS (VmHWM of a fresh server process).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers

from bench.load import descendants
from kyso.demo.images import signature_png
from kyso.demo.pki import free_port
from kyso.v1 import signer_pb2 as pb
from kyso.v1 import signer_pb2_grpc as pb_grpc
from tests.access import ADMIN_CLIENT, authorised, write_admin_token
from tests.integration.documents import make_pdf
from tests.pki import TestPki, make_softhsm_token

RECT = (350.0, 150.0, 500.0, 210.0)
CHUNK = 1024 * 1024
STREAM_CHUNK = CHUNK  # what the CLI sends (kyso.cli.channel.CHUNK)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _config(
    home: Path, pki: TestPki, token, image: Path, reuse_port: bool = False, cage: bool = True
) -> Path:
    trust = home / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    (trust / "root.pem").write_bytes(pki.root_path.read_bytes())
    chain = ", ".join(f'"{p}"' for p in pki.chain_paths("personal"))
    org_chain = ", ".join(f'"{p}"' for p in pki.chain_paths("organisation"))
    name = "kyso-reuseport" if reuse_port else "kyso"
    path = home / (name + ("" if cage else "-nocage") + ".toml")
    path.write_text(
        f"""home = "{home}"
max_document_bytes = {300 * CHUNK}
workers = 16
reuse_port = {"true" if reuse_port else "false"}

[signer]
tsa_url = "{pki.tsa_url}"

[process_pool]
size = {"2" if cage else "0"}  # 0: the PDF work in the server process, without the cage

[fetch]
allowed_networks = ["127.0.0.1/32"]  # the test PKI's responders (refused unless configured)
aia_hosts = ["{pki.base_url.removeprefix("http://")}"]

[trust_store]
path = "{trust}"

[[keys]]
name = "personal"
backend = "pkcs11"
profiles = ["personal"]
module = "{token.module}"
token_label = "{token.token_label}"
key_label = "personal"
pin_env = "{token.pin_env}"
consent = "none"  # measures signing; the owner's code is docs/security.md's business
certificate = "{pki.cert_path("personal")}"
chain = [{chain}]
image = "{image}"

[[keys]]
name = "organisation"
backend = "pkcs11"
profiles = ["attachment"]
module = "{token.module}"
token_label = "{token.token_label}"
key_label = "organisation"
pin_env = "{token.pin_env}"
certificate = "{pki.cert_path("organisation")}"
chain = [{org_chain}]

[[clients]]
name = "{ADMIN_CLIENT}"
token = true
roles = ["signer"]
keys = ["personal", "organisation"]
max_concurrent = 256  # the benchmark's clients all call as this one (docs/security.md)
rate_per_second = 100000.0
burst = 100000
""",
        encoding="utf-8",
    )
    write_admin_token(home / "auth" / "tokens")  # the client of tests.access
    return path


class _Server:
    """``kyso serve`` in a child process (its own GIL, as in production)."""

    def __init__(self, config: Path, home: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.address = f"127.0.0.1:{self.port}"
        env = {**os.environ, "KYSO_HOME": str(home), "PYTHONPATH": str(Path.cwd())}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kyso.cli.main",
                "serve",
                "--config",
                str(config),
                "--listen",
                self.address,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.channel = authorised(
            grpc.insecure_channel(
                self.address,
                options=[
                    ("grpc.max_receive_message_length", 512 * CHUNK),
                    ("grpc.max_send_message_length", 512 * CHUNK),
                ],
            )
        )
        deadline = time.monotonic() + 60
        health = health_pb2_grpc.HealthStub(self.channel)
        while True:
            try:
                if (
                    health.Check(
                        health_pb2.HealthCheckRequest(service="kyso.v1.Signer"), timeout=1
                    ).status
                    == health_pb2.HealthCheckResponse.SERVING
                ):
                    break
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("kyso server did not start")
            time.sleep(0.2)
        self.stub = pb_grpc.SignerStub(self.channel)

    def vm(self, field: str) -> int:
        """A /proc/<pid>/status value in KiB (VmHWM: peak RSS, VmRSS: current)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the server process and the cage's workers below
        it (a worker that has ended takes its time with it: none ends during a run)."""
        total = 0
        for pid in [self.proc.pid, *descendants(self.proc.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.channel.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _request(document: bytes) -> pb.SignRequest:
    x1, y1, x2, y2 = RECT
    return pb.SignRequest(
        document=document,
        key="personal",
        options=pb.SignOptions(
            level=pb.PADES_B_B,
            placement=pb.SignPlacement(rect=pb.PageRect(page=1, x1=x1, y1=y1, x2=x2, y2=y2)),
        ),
    )


def _clients(address: str, count: int) -> list[pb_grpc.SignerStub]:
    """One channel (one TCP connection) per client, as separate client processes would have;
    SO_REUSEPORT spreads connections, not calls, over the server processes."""
    return [
        pb_grpc.SignerStub(
            authorised(
                grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
            )
        )
        for _ in range(count)
    ]


def bench_throughput(
    server: _Server, address: str, document: bytes, total: int, clients: int = 8
) -> tuple[float, float]:
    """``clients`` client threads, each with its own channel and one blocking call at a time.
    Returns signatures/s and the server's CPU milliseconds per signature (``server``'s
    process and its workers)."""
    request = _request(document)
    stubs = _clients(address, clients)
    for stub in stubs:  # warm-up: every server process loads its key and caches
        for _ in range(10):
            stub.Sign(request)
    errors: list[BaseException] = []
    per_client = total // clients

    def _client(stub: pb_grpc.SignerStub) -> None:
        try:
            for _ in range(per_client):
                stub.Sign(request)
        except grpc.RpcError as err:
            errors.append(err)

    threads = [threading.Thread(target=_client, args=(s,)) for s in stubs]
    cpu, t = server.cpu_seconds(), time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t
    cpu_ms = 1000 * (server.cpu_seconds() - cpu) / (per_client * clients)
    if errors:
        raise RuntimeError(f"{len(errors)} failed: {errors[0]}")
    return per_client * clients / wall, cpu_ms


def bench_unary(server: _Server, document: bytes, n: int) -> list[float]:
    request = _request(document)
    for _ in range(20):  # warm-up: keys, precheck cache, image cache
        server.stub.Sign(request)
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        server.stub.Sign(request)
        lat.append((time.perf_counter() - t) * 1000)
    return lat


def bench_baseline(pki: TestPki, document: bytes, n: int) -> list[float]:
    key, cert = str(pki.key_path("personal")), str(pki.cert_path("personal"))
    chain = [str(p) for p in pki.chain_paths("personal")]
    lat = []
    for i in range(n):
        t = time.perf_counter()
        signer = signers.SimpleSigner.load(key, cert, ca_chain_files=chain)
        w = IncrementalPdfFileWriter(BytesIO(document))
        meta = signers.PdfSignatureMetadata(
            field_name=f"Sig{i}", subfilter=fields.SigSeedSubFilter.PADES
        )
        spec = fields.SigFieldSpec(f"Sig{i}", box=RECT)  # type: ignore[arg-type]
        signers.sign_pdf(w, meta, signer=signer, new_field_spec=spec)
        lat.append((time.perf_counter() - t) * 1000)
    return lat


def make_big_pdf(base: bytes, path: Path, megabytes: int) -> None:
    """``base`` plus an incremental update holding one incompressible stream, written in chunks
    (never the whole file in memory)."""
    reader = PdfFileReader(BytesIO(base))
    size = int(reader.trailer["/Size"])
    root = reader.trailer.raw_get("/Root")
    prev = reader.last_startxref
    with path.open("wb") as f:
        f.write(base)
        offset = f.tell()
        length = megabytes * CHUNK
        f.write(b"\n%d 0 obj\n<< /Length %d >>\nstream\n" % (size, length))
        offset += 1
        left = length
        while left:
            n = min(CHUNK, left)
            f.write(os.urandom(n))
            left -= n
        f.write(b"\nendstream\nendobj\n")
        xref = f.tell()
        f.write(b"xref\n%d 1\n%010d 00000 n \n" % (size, offset))
        f.write(
            b"trailer\n<< /Size %d /Root %d %d R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
            % (size + 1, root.idnum, root.generation, prev, xref)
        )


def _sha256_seconds(big: Path) -> float:
    t = time.perf_counter()
    h = hashlib.sha256()
    with big.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return time.perf_counter() - t


def bench_stream(
    config: Path, home: Path, big: Path, out: Path, update_only: bool, runs: int = 2
) -> dict[str, Any]:
    """``runs`` streams on one fresh server process: the first is cold (the process has never
    held 200 MiB), the next ones are what a long-running server does."""
    sha_s = _sha256_seconds(big)
    server = _Server(config, home)
    times = []
    try:
        x1, y1, x2, y2 = RECT
        header = pb.SignStreamHeader(
            key="personal",
            size=big.stat().st_size,
            return_update_only=update_only,
            options=pb.SignOptions(
                level=pb.PADES_B_B,
                placement=pb.SignPlacement(rect=pb.PageRect(page=1, x1=x1, y1=y1, x2=x2, y2=y2)),
            ),
        )
        # warm-up on a small document so key loading and precheck are not timed
        server.stub.Sign(_request(make_pdf(["warm-up"])))
        rss_before = server.vm("VmRSS")

        def requests() -> Iterator[pb.SignStreamRequest]:
            yield pb.SignStreamRequest(header=header)
            with big.open("rb") as f:
                while chunk := f.read(STREAM_CHUNK):
                    yield pb.SignStreamRequest(chunk=chunk)

        for _ in range(runs):
            t = time.perf_counter()
            with out.open("wb") as f:
                if update_only:  # the signed PDF is the document plus the update
                    with big.open("rb") as src:
                        shutil.copyfileobj(src, f, CHUNK)
                for msg in server.stub.SignStream(requests(), timeout=600):
                    if msg.WhichOneof("part") == "chunk":
                        f.write(msg.chunk)
            times.append(time.perf_counter() - t)
        peak = server.vm("VmHWM")
    finally:
        server.close()
    return {
        "sha256_s": sha_s,
        "times": times,
        "peak_rss_mb": peak / 1024,
        "rss_before_mb": rss_before / 1024,
        "out_mb": out.stat().st_size / CHUNK,
    }


def _echo_server(port: int) -> None:
    """The transport floor: a gRPC server (own process, same options and thread pool as kyso)
    that spools a raw-bytes stream to a temp file and sends the file back, no protobuf,
    no PDF work."""
    from concurrent import futures

    def _echo(chunks: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
        with tempfile.TemporaryFile() as spool:
            for chunk in chunks:
                spool.write(chunk)
            spool.seek(0)
            while chunk := spool.read(STREAM_CHUNK):
                yield chunk

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16),
        options=[
            ("grpc.max_receive_message_length", 512 * CHUNK),
            ("grpc.max_send_message_length", 512 * CHUNK),
        ],
    )
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "bench.Echo", {"Echo": grpc.stream_stream_rpc_method_handler(_echo)}
            ),
        )
    )
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    server.wait_for_termination()


def bench_echo(big: Path, out: Path, runs: int = 2) -> list[float]:
    """Seconds to send ``big`` through the echo server and write what comes back to ``out``
    (as the SignStream client does), per run."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--echo-server", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    channel = grpc.insecure_channel(
        f"127.0.0.1:{port}",
        options=[
            ("grpc.max_receive_message_length", 512 * CHUNK),
            ("grpc.max_send_message_length", 512 * CHUNK),
        ],
    )
    try:
        grpc.channel_ready_future(channel).result(timeout=60)
        echo = channel.stream_stream("/bench.Echo/Echo")

        def chunks() -> Iterator[bytes]:
            with big.open("rb") as f:
                while chunk := f.read(STREAM_CHUNK):
                    yield chunk

        times = []
        for _ in range(runs):
            t = time.perf_counter()
            with out.open("wb") as f:
                for chunk in echo(chunks(), timeout=600):
                    f.write(chunk)
            times.append(time.perf_counter() - t)
            assert out.stat().st_size == big.stat().st_size
        return times
    finally:
        channel.close()
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--baseline", type=int, default=30)
    parser.add_argument("--stream-mb", type=int, default=200)
    parser.add_argument("--no-stream", action="store_true")
    parser.add_argument(
        "--only",
        choices=("unary", "stream", "attachment"),
        help="run one part only: unary Sign (with the baseline), SignStream, "
        "or ATTACHMENT-profile signatures",
    )
    parser.add_argument("--echo-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="also measure N server processes sharing the port (0/1: skip)",
    )
    ns = parser.parse_args()
    if ns.echo_server:
        _echo_server(ns.echo_server)
        return
    with tempfile.TemporaryDirectory(prefix="kyso-bench-sign-") as tmp_name:
        tmp = Path(tmp_name)
        pki = TestPki(tmp / "pki").start()
        try:
            token = make_softhsm_token(tmp / "hsm", pki, labels=("personal", "organisation"))
            image = signature_png(tmp / "signature.png")
            home = tmp / "home"
            home.mkdir()
            config = _config(home, pki, token, image)
            document = make_pdf(
                [
                    "QUYẾT ĐỊNH",
                    "Về việc ban hành Quy chế công tác văn thư",
                    "Ủy ban nhân dân tỉnh Sóc Trăng",
                ]
            )
            print(f"document: one A4 page, {len(document)} bytes; PAdES B-B, visible signature")
            if ns.only in (None, "unary"):
                _unary_part(ns, pki, token, image, home, config, document)
            if ns.only in (None, "attachment"):
                _attachment_part(config, home, document, ns.requests)
            if ns.only in (None, "stream") and not ns.no_stream:
                _stream_part(config, home, document, tmp, ns.stream_mb)
        finally:
            pki.close()


def _unary_part(
    ns: argparse.Namespace,
    pki: TestPki,
    token,
    image: Path,
    home: Path,
    config: Path,
    document: bytes,
) -> None:
    base = bench_baseline(pki, document, ns.baseline)
    total = max(ns.requests * 2, 400)
    measured: dict[bool, tuple[list[float], float, float]] = {}
    for cage in (False, True):  # side by side: the PDF work in the server, then in the cage
        server = _Server(_config(home, pki, token, image, cage=cage), home)
        try:
            lat = bench_unary(server, document, ns.requests)
            rate, cpu_ms = bench_throughput(server, server.address, document, total)
        finally:
            server.close()
        measured[cage] = (lat, rate, cpu_ms)
    multi = 0.0
    if ns.processes > 1:
        shared = _config(home, pki, token, image, reuse_port=True)
        servers = [_Server(shared, home, free_port())]
        try:
            servers += [_Server(shared, home, servers[0].port) for _ in range(ns.processes - 1)]
            multi, _ = bench_throughput(servers[0], servers[0].address, document, total)
        finally:
            for s in servers:
                s.close()
    b50, b95 = statistics.median(base), _pct(base, 0.95)
    print(
        f"baseline pyHanko (load + sign_pdf, in process): p50 {b50:.1f} ms  "
        f"p95 {b95:.1f} ms  ({1000 / b50:.0f}/s sequential)"
    )
    for cage, title in ((False, "in the server process"), (True, "in the cage (2 workers)")):
        lat, rate_c, cpu_c = measured[cage]
        print(
            f"kyso Sign via gRPC (SoftHSM2), PDF work {title}: p50 "
            f"{statistics.median(lat):.1f} ms  p95 {_pct(lat, 0.95):.1f} ms; 8 clients "
            f"{rate_c:.0f} signatures/s, {cpu_c:.1f} ms CPU per signature (server + workers)"
        )
    k50, in_process50 = statistics.median(measured[True][0]), statistics.median(measured[False][0])
    rate, cpu_ms = measured[True][1], measured[True][2]
    print(
        f"the cage against the server process: p50 {k50 / in_process50:.2f}x, "
        f"throughput {rate / measured[False][1]:.2f}x, CPU per signature "
        f"{cpu_ms / measured[False][2]:.2f}x"
    )
    if multi:
        print(
            f"kyso throughput, 8 concurrent clients:          {multi:.0f} signatures/s "
            f"({ns.processes} server processes, SO_REUSEPORT)"
        )
        rate = max(rate, multi)
    print(
        f"ratio p50 baseline/kyso: {b50 / k50:.1f}x; "
        f"throughput kyso/baseline: {rate / (1000 / b50):.1f}x"
    )


def bench_attachment(server: _Server, document: bytes, n: int) -> tuple[list[float], int]:
    """Sequential ``Sign`` calls with the ATTACHMENT profile (text box in an embedded font)."""
    request = pb.SignRequest(
        document=document,
        key="organisation",
        options=pb.SignOptions(
            profile=pb.PROFILE_ATTACHMENT, level=pb.PADES_B_B, document_number="123/QĐ-UBND"
        ),
    )
    for _ in range(10):
        server.stub.Sign(request)
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        server.stub.Sign(request)
        lat.append((time.perf_counter() - t) * 1000)
    return lat, len(server.stub.Sign(request).document) - len(document)


def _attachment_part(config: Path, home: Path, document: bytes, n: int) -> None:
    server = _Server(config, home)
    try:
        lat, added = bench_attachment(server, document, n)
    finally:
        server.close()
    print(
        f"kyso Sign via gRPC, ATTACHMENT profile:       p50 {statistics.median(lat):.1f} ms  "
        f"p95 {_pct(lat, 0.95):.1f} ms  (the signature adds {added} bytes)"
    )


def _stream_part(config: Path, home: Path, document: bytes, tmp: Path, megabytes: int) -> None:
    big, out = tmp / "big.pdf", tmp / "big-signed.pdf"
    make_big_pdf(document, big, megabytes)
    size_mb = big.stat().st_size / CHUNK
    sha_s = _sha256_seconds(big)
    echo = bench_echo(big, out)
    print(
        f"sha256 of the {size_mb:.0f} MiB file (page cache warm): {sha_s:.2f} s; "
        f"target 3x = {3 * sha_s:.2f} s"
    )
    print(
        f"bare gRPC echo of the file ({STREAM_CHUNK // CHUNK} MiB chunks, spooled to a temp "
        f"file, sent back, written to a file; fresh process): first {echo[0]:.2f} s, "
        f"then {echo[1]:.2f} s"
    )
    for update_only in (False, True):
        r = bench_stream(config, home, big, out, update_only)
        what = "update only back" if update_only else "whole PDF back"
        first, *later = r["times"]
        print(
            f"SignStream {size_mb:.0f} MiB ({what}): first {first:.2f} s, then "
            f"{min(later):.2f} s (ratio to sha256 {first / r['sha256_s']:.1f}x / "
            f"{min(later) / r['sha256_s']:.1f}x); server peak RSS {r['peak_rss_mb']:.0f} MiB "
            f"(idle after warm-up {r['rss_before_mb']:.0f} MiB)"
        )


if __name__ == "__main__":
    main()
