"""The cage's cost and gain: one-page Verify through gRPC with the worker pool vs in-process
(``[process_pool] size = 0``), side by side in one run.

Run: ``python bench/bench_cage.py [--repeat N] [--seconds S] [--clients C] [--size N]``

* latency: one client, p50/p95 of ``Verifier.Verify`` of a one-page signed PDF (revocation from
  the cache), in-process and through the pool;
* throughput: ``--clients`` concurrent clients for ``--seconds`` each, verifications per second,
  in-process (one process: the GIL) and through the pool (``--size`` workers, default: the
  CPUs); the ratio is printed.

Each mode runs its own server (the same settings but ``process_pool``) in this process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import grpc
from bench_verify import SHARED, _config, _fast_responder, _line, _sign, _timed

from kyso.server.app import running_server
from kyso.server.pool_settings import ProcessPoolSettings
from kyso.v1 import verifier_pb2 as pb
from kyso.v1 import verifier_pb2_grpc as pb_grpc
from tests.access import authorised
from tests.integration.documents import make_pdf
from tests.pki import TestPki


def _throughput(address: str, request: Any, clients: int, seconds: float) -> float:
    """Verifications per second of ``clients`` threads, each with its own channel."""
    done = [0] * clients
    stop = time.monotonic() + seconds
    barrier = threading.Barrier(clients)

    def client(i: int) -> None:
        channel = authorised(grpc.insecure_channel(address))
        stub = pb_grpc.VerifierStub(channel)
        stub.Verify(request, timeout=30)  # connected and warm
        barrier.wait()
        while time.monotonic() < stop:
            report = stub.Verify(request, timeout=30)
            assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi
            done[i] += 1
        channel.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started)


def _wait_pool(ctx: Any, size: int) -> None:
    end = time.monotonic() + 120
    while ctx.pool is not None and len(ctx.pool.pids()) < size and time.monotonic() < end:
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300, help="calls of the latency case")
    parser.add_argument("--seconds", type=float, default=15.0, help="each throughput run")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--size", type=int, default=os.cpu_count() or 1, help="pool workers")
    ns = parser.parse_args()
    _fast_responder()
    results: dict[str, tuple[list[float], float]] = {}
    with tempfile.TemporaryDirectory(prefix="kyso-bench-cage-") as tmp:
        root = Path(tmp)
        pki = TestPki(root / "pki").start()
        signed = _sign(pki, make_pdf(["Công văn thử nghiệm hiệu năng"]))
        request = pb.VerifyRequest(document=signed)
        trust = [pki.root_path, *sorted((SHARED / "trust").glob("*.pem"))]
        for mode, size in (("in-process (size=0)", 0), (f"pool (size={ns.size})", ns.size)):
            base = _config(root / f"home-{size}", trust)
            pool = ProcessPoolSettings(size=size, max_size=max(1, size))
            config = base.model_copy(update={"workers": 16, "process_pool": pool})
            with running_server(config) as (address, ctx):
                _wait_pool(ctx, size)
                channel = authorised(grpc.insecure_channel(address))
                stub = pb_grpc.VerifierStub(channel)

                def verify(stub: Any = stub) -> None:
                    report = stub.Verify(request, timeout=30)
                    assert report.indication == pb.INDICATION_TOTAL_PASSED, report.summary_vi

                for _ in range(max(20, 4 * max(1, size))):
                    verify()  # warm: every worker's cache filled, code paths loaded
                latency = _timed(verify, ns.repeat)
                channel.close()
                rate = _throughput(address, request, ns.clients, ns.seconds)
                results[mode] = (latency, rate)
    print(f"machine: {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at the end")
    for mode, (latency, _) in results.items():
        print(_line(f"kyso gRPC Verify, one page, {mode}", latency))
    for mode, (_, rate) in results.items():
        print(f"{'throughput, ' + str(ns.clients) + ' clients, ' + mode:58s} {rate:9.1f} /s")
    (inproc_lat, inproc_rate), (pool_lat, pool_rate) = results.values()
    print(
        f"ratio: pool/in-process throughput {pool_rate / inproc_rate:.2f}x; "
        f"p50 latency pool {statistics.median(pool_lat):.1f} ms vs "
        f"in-process {statistics.median(inproc_lat):.1f} ms"
    )


if __name__ == "__main__":
    main()
