"""Mixed load on a real ``kyso serve`` (issue 9 §8): N clients, 70 % Verify / 30 % Sign.

Run: ``python bench/load.py [--clients 32] [--seconds 600] [--sign-share 0.3]
[--hostile-every 100] [--json OUT]``

* Starts its own test PKI (certomancer responders on 127.0.0.1), a SoftHSM2 token with the
  personal key, and ``kyso serve`` in a child process on a free port; clients call it through
  gRPC (``grpc.aio``, one channel each, one call in flight each) with the tests' admin token
  (``tests.access``: the ``signer`` role is required to sign).
* Sign: a one-page PDF, PAdES B-B, visible signature at a rectangle, key ``personal``
  (RSA-2048 on SoftHSM2). Verify: a document kyso signed, expected TOTAL_PASSED (anything else
  counts as an error), revocation online (cached).
* Reports p50/p95/p99/max per method, errors by status, and the RSS of the server's process
  tree (the server and any child process) sampled every ``--sample-seconds`` (10); the RSS is
  *flat* when, over the second half of the run, max and min differ by at most 10 %. With the
  cage the tree's size follows the number of live workers, so the server process alone (the
  one that lives as long as the service; workers are replaced) and the number of processes
  below it are reported too.
* ``--hostile-every K``: first a clean run, then (on a fresh server) the same run where every
  K-th request is a hostile Verify (the generators of tests/integration/hostile_documents.py
  in turn: certificate-set tampering, object-stream bombs, a million declared objects,
  thousands of signature fields, a long /Contents, deep nesting); the others' p99 is
  compared with the clean run's (target: within 2x). A hostile request only counts as an
  error if it gets INTERNAL or UNKNOWN, or no answer at all within its deadline.

The tests run a 60-second version (tests/integration/test_load.py). Numbers in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kyso.demo.pki import free_port
from kyso.v1 import signer_pb2 as spb
from kyso.v1 import signer_pb2_grpc as sgrpc
from kyso.v1 import verifier_pb2 as vpb
from kyso.v1 import verifier_pb2_grpc as vgrpc
from tests.access import ADMIN_TOKEN, bearer

MiB = 1024 * 1024
RECT = (300.0, 100.0, 500.0, 180.0)
PASSED = vpb.INDICATION_TOTAL_PASSED
OPTIONS = [
    ("grpc.max_receive_message_length", 64 * MiB),
    ("grpc.max_send_message_length", 64 * MiB),
]


# -- the server ------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def process_rss_mb(pid: int) -> float:
    """RSS of ``pid`` alone, MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the cage's forkserver and workers, ...)."""
    found, todo = [], _children(pid)
    while todo:
        p = todo.pop()
        found.append(p)
        todo += _children(p)
    return found


def tree_rss_mb(pid: int) -> float:
    """RSS of ``pid`` and all its descendants, MiB (0 for processes already gone)."""
    return sum(process_rss_mb(p) for p in [pid, *descendants(pid)])


class ServeProcess:
    """``kyso serve --config CONFIG --listen 127.0.0.1:<free port>`` in a child process."""

    def __init__(self, config: Path, log: Path | None = None) -> None:
        self.address = f"127.0.0.1:{free_port()}"
        self._log = open(log, "ab") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kyso.cli",
                "serve",
                "--config",
                str(config),
                "--listen",
                self.address,
            ],
            stdout=self._log,
            stderr=self._log,
        )
        channel = grpc.insecure_channel(self.address)
        health = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + 90
        try:
            while True:
                try:
                    status = health.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                    if status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError("kyso serve did not start")
                time.sleep(0.2)
        finally:
            channel.close()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not subprocess.DEVNULL:
            self._log.close()  # type: ignore[union-attr]


# -- the load --------------------------------------------------------------------------------
@dataclass
class Workload:
    unsigned: bytes  # what Sign signs
    signed: bytes  # what Verify verifies (TOTAL_PASSED)
    key: str = "personal"
    hostile: Sequence[tuple[str, bytes]] = ()  # (name, document) sent every hostile_every


@dataclass
class LoadResult:
    clients: int
    seconds: float
    sign_share: float
    hostile_every: int
    latencies: dict[str, list[float]] = field(default_factory=dict)  # method -> seconds
    errors: dict[str, int] = field(default_factory=dict)  # "method:STATUS" -> count
    hostile: dict[str, int] = field(default_factory=dict)  # "name:result" -> count
    rss: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MiB)
    # the server process alone, and how many processes ran below it, at each sample
    server_rss: list[tuple[float, float]] = field(default_factory=list)
    below: list[int] = field(default_factory=list)
    wall: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def percentile(self, method: str, q: float) -> float:
        """``q`` quantile (0-1) of ``method``'s latencies, ms (nearest rank)."""
        values = sorted(self.latencies.get(method, []))
        if not values:
            return float("nan")
        return 1000 * values[min(len(values) - 1, round(q * (len(values) - 1)))]

    def rss_spread(self, samples: list[tuple[float, float]] | None = None) -> float:
        """(max - min) / min of the RSS samples (default: the tree's) of the run's second half."""
        samples = self.rss if samples is None else samples
        half = [mb for t, mb in samples if t >= self.seconds / 2] or [mb for _, mb in samples]
        return (max(half) - min(half)) / min(half) if half and min(half) > 0 else float("nan")

    def lines(self, title: str) -> list[str]:
        out = [
            f"{title}: {self.clients} clients, {self.seconds:.0f} s, sign share "
            f"{self.sign_share:.0%}"
            + (f", hostile every {self.hostile_every}" if self.hostile_every else "")
        ]
        for method in ("Verify", "Sign"):
            n = len(self.latencies.get(method, []))
            out.append(
                f"  {method:6s} n={n:6d} {n / max(self.wall, 1e-9):6.1f}/s  "
                f"p50 {self.percentile(method, 0.50):7.1f} ms  "
                f"p95 {self.percentile(method, 0.95):7.1f} ms  "
                f"p99 {self.percentile(method, 0.99):7.1f} ms  "
                f"max {self.percentile(method, 1.0):7.1f} ms"
            )
        out.append(f"  errors: {self.error_count} {self.errors or ''}")
        if self.hostile_every:
            out.append(f"  hostile requests: {sum(self.hostile.values())} {self.hostile}")
        out.append(
            "  server tree RSS MiB every sample: "
            + " ".join(f"{mb:.0f}" for _t, mb in self.rss)
            + f"; second half spread {self.rss_spread():.1%} (flat: <= 10%)"
        )
        if self.server_rss:
            # With the cage the tree's size follows how many workers are alive; the server
            # process is the one that lives as long as the service (workers are replaced).
            out.append(
                "  server process RSS MiB every sample: "
                + " ".join(f"{mb:.0f}" for _t, mb in self.server_rss)
                + f"; second half spread {self.rss_spread(self.server_rss):.1%} (flat: <= 10%)"
            )
            out.append("  processes below it every sample: " + " ".join(map(str, self.below)))
        return out


def _sign_request(w: Workload, level: str = "B-B", rect: tuple[float, ...] = RECT) -> Any:
    x1, y1, x2, y2 = rect
    return spb.SignRequest(
        document=w.unsigned,
        key=w.key,
        options=spb.SignOptions(
            level={"B-B": spb.PADES_B_B, "B-T": spb.PADES_B_T}[level],
            placement=spb.SignPlacement(rect=spb.PageRect(page=1, x1=x1, y1=y1, x2=x2, y2=y2)),
        ),
    )


async def run_load(
    address: str,
    workload: Workload,
    *,
    clients: int = 32,
    seconds: float = 600.0,
    sign_share: float = 0.3,
    hostile_every: int = 0,
    sample_seconds: float = 10.0,
    rss: Callable[[], float] | None = None,
    server_pid: int | None = None,
    token: str = ADMIN_TOKEN,
    timeout: float = 60.0,
    seed: int = 1,
) -> LoadResult:
    """``clients`` concurrent clients for ``seconds``; see the module docstring."""
    import random

    result = LoadResult(clients, seconds, sign_share, hostile_every)
    result.latencies = {"Verify": [], "Sign": []}
    metadata = bearer(token)
    sign_request = _sign_request(workload)
    verify_request = vpb.VerifyRequest(document=workload.signed)
    hostile = [(n, vpb.VerifyRequest(document=d)) for n, d in workload.hostile]
    counter = 0
    started = time.perf_counter()
    stop_at = started + seconds

    def error(key: str) -> None:
        result.errors[key] = result.errors.get(key, 0) + 1

    async def client(i: int) -> None:
        nonlocal counter
        rnd = random.Random(seed * 1000 + i)
        async with grpc.aio.insecure_channel(address, options=OPTIONS) as channel:
            signer, verifier = sgrpc.SignerStub(channel), vgrpc.VerifierStub(channel)
            while time.perf_counter() < stop_at:
                counter += 1
                if hostile and hostile_every and counter % hostile_every == 0:
                    name, req = hostile[(counter // hostile_every) % len(hostile)]
                    t = time.perf_counter()
                    try:
                        r = await verifier.Verify(req, timeout=timeout, metadata=metadata)
                        outcome = vpb.Indication.Name(r.indication)
                    except grpc.aio.AioRpcError as err:
                        outcome = err.code().name
                        # The server's own verification deadline is an answer; the client's
                        # deadline passing is not.
                        late = time.perf_counter() - t >= timeout
                        if late or err.code() in (
                            grpc.StatusCode.INTERNAL,
                            grpc.StatusCode.UNKNOWN,
                        ):
                            error(f"hostile:{name}:{outcome}")
                    key = f"{name}:{outcome.removeprefix('INDICATION_')}"
                    result.hostile[key] = result.hostile.get(key, 0) + 1
                    continue
                method = "Sign" if rnd.random() < sign_share else "Verify"
                t = time.perf_counter()
                try:
                    if method == "Sign":
                        s = await signer.Sign(sign_request, timeout=timeout, metadata=metadata)
                        if len(s.document) <= len(workload.unsigned):
                            error("Sign:SHORT_DOCUMENT")
                            continue
                    else:
                        v = await verifier.Verify(
                            verify_request, timeout=timeout, metadata=metadata
                        )
                        if v.indication != PASSED:
                            error(f"Verify:{vpb.Indication.Name(v.indication)}")
                            continue
                except grpc.aio.AioRpcError as err:
                    error(f"{method}:{err.code().name}")
                    continue
                result.latencies[method].append(time.perf_counter() - t)

    async def sampler() -> None:
        if rss is None:
            return
        while True:
            now = time.perf_counter()
            result.rss.append((now - started, rss()))
            if server_pid is not None:
                result.server_rss.append((now - started, process_rss_mb(server_pid)))
                result.below.append(len(descendants(server_pid)))
            if now >= stop_at:
                return
            await asyncio.sleep(min(sample_seconds, max(0.0, stop_at - now)))

    await asyncio.gather(sampler(), *(client(i) for i in range(clients)))
    result.wall = time.perf_counter() - started
    return result


# -- the documents ---------------------------------------------------------------------------
def hostile_documents(signed: bytes) -> list[tuple[str, bytes]]:
    """One instance of each hostile kind, built from ``signed`` (a B-T signature: its
    /Contents gap holds the added certificates; all under 1 MB but the /Contents case)."""
    from tests.fuzzing.pdf_mutations import Seed, deep_nesting
    from tests.integration import hostile_documents as h

    class _Fixed:
        def choice(self, options: Sequence[Any]) -> Any:
            return options[-1]

    nesting = deep_nesting(_Fixed(), Seed.of("signed", signed), ())  # type: ignore[arg-type]
    docs = [
        ("certs-8-rsa", h.inject_certificates(signed, 8, kind="rsa")),
        ("certs-20-ec", h.inject_certificates(signed, 20, kind="ec")),
        ("objstm-token-bomb-32MiB", h.objstm_token_bomb(signed, 32 * MiB)),
        ("objstm-20000-objects", h.objstm_many_objects(signed, 20_000)),
        ("declared-300000-objects", h.declared_size(signed, 300_000)),
        ("signature-fields-2000", h.signature_fields(signed, 2000)),
        ("deep-nesting-100000", nesting.data),
        ("contents-4MB", h.long_contents(signed, 4 * MiB)),
    ]
    return docs


def _config(home: Path, pki: Any, token: Any, verifier: str = "", clients: int = 32) -> Path:
    """kyso.toml: the personal key on the token, the test root trusted, the admin client;
    ``verifier``: lines of a ``[verifier]`` table."""
    import hashlib

    from asn1crypto import pem

    from kyso.demo.images import signature_png
    from tests.access import admin_client_table, write_admin_token

    trust = home / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    data = pki.root_path.read_bytes()
    (trust / f"{hashlib.sha256(pem.unarmor(data)[2]).hexdigest()}.pem").write_bytes(data)
    image = signature_png(home / "signature.png")
    chain = ", ".join(f'"{p}"' for p in pki.chain_paths("personal"))
    client = admin_client_table(["personal"])
    roles = ", ".join(f'"{r}"' for r in client["roles"])
    host_port = pki.base_url.removeprefix("http://")
    path = home / "kyso.toml"
    path.write_text(
        f"""home = "{home}"

[signer]
tsa_url = "{pki.tsa_url}"

[trust_store]
path = "{trust}"

[verifier]
{verifier}

[fetch]
allowed_networks = ["127.0.0.1/32"]
aia_hosts = ["{host_port}"]

[[keys]]
name = "personal"
backend = "pkcs11"
profiles = ["personal"]
module = "{token.module}"
token_label = "{token.token_label}"
key_label = "personal"
pin_env = "{token.pin_env}"
consent = "none"
certificate = "{pki.cert_path("personal")}"
chain = [{chain}]
image = "{image}"

# One identity stands for every calling service here: its limits let all the clients in.
[[clients]]
name = "{client["name"]}"
token = true
roles = [{roles}]
keys = ["personal"]
max_concurrent = {max(64, clients * 2)}
rate_per_second = 100000.0
burst = 100000
""",
        encoding="utf-8",
    )
    write_admin_token(home / "auth" / "tokens")
    return path


def signed_by(address: str, document: bytes, level: str = "B-B", token: str = ADMIN_TOKEN) -> bytes:
    """``document`` signed by the server at ``address`` (``level``, visible; a document
    already signed gets its next signature below the last)."""
    rect = RECT if b"/ByteRange" not in document else (300.0, 200.0, 500.0, 280.0)
    with grpc.insecure_channel(address, options=OPTIONS) as channel:
        w = Workload(unsigned=document, signed=b"")
        answer = sgrpc.SignerStub(channel).Sign(
            _sign_request(w, level, rect), timeout=60, metadata=bearer(token)
        )
    return bytes(answer.document)


def one_run(config: Path, workload: Workload, log: Path | None = None, **kwargs: Any) -> LoadResult:
    """A fresh ``kyso serve`` for one :func:`run_load`; warm-up (5 s of calls) not counted."""
    server = ServeProcess(config, log)
    try:
        asyncio.run(
            run_load(
                server.address,
                workload,
                clients=min(8, kwargs.get("clients", 32)),
                seconds=5.0,
                rss=None,
            )
        )
        return asyncio.run(
            run_load(
                server.address,
                workload,
                rss=lambda: tree_rss_mb(server.pid),
                server_pid=server.pid,
                **kwargs,
            )
        )
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--sign-share", type=float, default=0.3)
    parser.add_argument("--hostile-every", type=int, default=0, metavar="K")
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    parser.add_argument(
        "--hostile-only", action="store_true", help="with --hostile-every: skip the clean run"
    )
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    ns = parser.parse_args()

    from tests.integration.documents import make_pdf
    from tests.pki import TestPki, make_softhsm_token

    with tempfile.TemporaryDirectory(prefix="kyso-load-") as tmp_name:
        tmp = Path(tmp_name)
        pki = TestPki(tmp / "pki").start()
        try:
            token = make_softhsm_token(tmp / "hsm", pki, labels=("personal",))
            home = tmp / "home"
            home.mkdir()
            config = _config(home, pki, token, clients=ns.clients)
            unsigned = make_pdf(["Công văn thử nghiệm tải", "Ủy ban nhân dân tỉnh Sóc Trăng"])
            setup = ServeProcess(config)
            try:
                signed = signed_by(setup.address, unsigned)
                signed_bt = signed_by(setup.address, unsigned, level="B-T")
            finally:
                setup.close()
            workload = Workload(unsigned=unsigned, signed=signed)
            common = dict(
                clients=ns.clients,
                seconds=ns.seconds,
                sign_share=ns.sign_share,
                sample_seconds=ns.sample_seconds,
            )
            print(
                f"load: documents {len(unsigned)} bytes (Sign), {len(signed)} bytes (Verify); "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            results: dict[str, Any] = {}
            clean = None
            if not ns.hostile_only:
                clean = one_run(config, workload, tmp / "serve-clean.log", **common)
                print("\n".join(clean.lines("clean")), flush=True)
                results["clean"] = asdict(clean)
            if ns.hostile_every:
                hostile_workload = Workload(unsigned, signed, hostile=hostile_documents(signed_bt))
                dirty = one_run(
                    config,
                    hostile_workload,
                    tmp / "serve-hostile.log",
                    hostile_every=ns.hostile_every,
                    **common,
                )
                print("\n".join(dirty.lines("hostile")), flush=True)
                for method in ("Verify", "Sign") if clean else ():
                    a, b = clean.percentile(method, 0.99), dirty.percentile(method, 0.99)
                    print(f"  {method} p99 hostile/clean: {b / a:.2f}x (target <= 2x)")
                results["hostile"] = asdict(dirty)
            print(f"load average at the end {os.getloadavg()[0]:.1f}")
            if ns.json:
                ns.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
        finally:
            pki.close()


if __name__ == "__main__":
    main()
