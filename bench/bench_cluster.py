"""Scale-out: Sign throughput through nginx (``grpc_pass``) to 1, 2 and 3 kyso replicas
sharing a private redis-server and one SoftHSM2 token (bench/cluster.py), side by side in one
run, and one replica called directly (no nginx) as the baseline; the ratio to it is printed.

Run: ``python bench/bench_cluster.py [--calls 120] [--clients 6]``

Each case: ``--clients`` callers, each with its own channel (as separate client processes
would have), send ``--calls`` PAdES B-B visible signatures of a one-page PDF in all, after a
warm-up of ``--clients`` calls per replica. On a 2-core machine the replicas compete for the same
cores, so the point is the shape of the curve and that nothing is lost, not the number.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grpc

from bench.cluster import Cluster, standalone
from kyso.v1 import signer_pb2 as pb
from kyso.v1 import signer_pb2_grpc as pb_grpc
from tests.access import authorised
from tests.integration.documents import decree30_pdf

RECT = pb.PageRect(page=1, x1=350, y1=150, x2=500, y2=210)


def _request(document: bytes) -> pb.SignRequest:
    return pb.SignRequest(
        document=document,
        key="personal",
        options=pb.SignOptions(level=pb.PADES_B_B, placement=pb.SignPlacement(rect=RECT)),
    )


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (/proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _pids(cluster: Cluster) -> list[int]:
    return [r.proc.pid for r in cluster.replicas if r.proc is not None]


def _throughput(address: str, token: str, calls: int, clients: int, warm: int) -> float:
    """Signatures per second through ``address`` with ``clients`` callers."""
    document = decree30_pdf()
    channels = [authorised(grpc.insecure_channel(address), token) for _ in range(clients)]
    stubs = [pb_grpc.SignerStub(c) for c in channels]
    try:
        for i in range(warm):
            stubs[i % clients].Sign(_request(document), timeout=120)
        per_client = [calls // clients + (i < calls % clients) for i in range(clients)]

        def run(index: int) -> int:
            for _ in range(per_client[index]):
                stubs[index].Sign(_request(document), timeout=120)
            return per_client[index]

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            done = sum(pool.map(run, range(clients)))
        return done / (time.perf_counter() - start) if done else 0.0
    finally:
        for channel in channels:
            channel.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=120)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--max-replicas", type=int, default=3)
    ns = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}")
    print(f"{ns.calls} Sign calls (PAdES B-B, visible, one-page PDF), {ns.clients} clients")
    with tempfile.TemporaryDirectory(prefix="kyso-bench-cluster-") as tmp:
        with standalone(Path(tmp) / "one", 1) as (first, token):
            warm = ns.clients
            _throughput(first.replicas[0].address, token, 0, ns.clients, warm)  # warm-up only
            cpu = _cpu_seconds(_pids(first))
            direct = _throughput(first.replicas[0].address, token, ns.calls, ns.clients, 0)
            cpu = (_cpu_seconds(_pids(first)) - cpu) / ns.calls
            print(
                f"baseline: 1 replica, direct (no nginx): {direct:6.1f} signatures/s, "
                f"replica CPU {cpu * 1000:.1f} ms per signature"
            )
            cpu = _cpu_seconds(_pids(first))
            rates = {1: _throughput(_address(first), token, ns.calls, ns.clients, 0)}
            _report(1, rates[1], direct, first, _cpu_seconds(_pids(first)) - cpu, ns.calls)
        for count in range(2, ns.max_replicas + 1):
            with standalone(Path(tmp) / f"n{count}", count) as (cluster, token):
                _throughput(_address(cluster), token, 0, ns.clients, ns.clients * count)
                cpu = _cpu_seconds(_pids(cluster))
                rates[count] = _throughput(_address(cluster), token, ns.calls, ns.clients, 0)
                cpu = _cpu_seconds(_pids(cluster)) - cpu
                _report(count, rates[count], direct, cluster, cpu, ns.calls)
    print(f"load average after: {os.getloadavg()}")


def _address(cluster: Cluster) -> str:
    assert cluster.nginx is not None
    return cluster.nginx.address


def _report(
    count: int, rate: float, direct: float, cluster: Cluster, cpu: float, calls: int
) -> None:
    """One line: throughput, its ratio to the baseline, the replicas' CPU per signature (all
    replicas together: flat when a replica adds no work to the others) and the spread."""
    assert cluster.nginx is not None
    served = cluster.nginx.served_by()
    spread = ", ".join(f"{served[r.address]}" for r in cluster.replicas)
    print(
        f"nginx -> {count} replica(s): {rate:6.1f} signatures/s, "
        f"{rate / direct:4.2f}x the baseline, replica CPU {cpu / calls * 1000:.1f} ms per "
        f"signature; calls per replica (warm-up included): {spread}"
    )


if __name__ == "__main__":
    main()
