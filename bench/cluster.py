"""kyso scaled out on one machine without containers: N ``kyso serve`` replicas sharing a
private redis-server and one SoftHSM2 token, behind Debian's nginx (``grpc_pass`` over HTTP/2),
all on 127.0.0.1 and free ports.

What ``deploy/`` runs in Kubernetes or compose, as plain processes: the replicas are stateless
apart from Redis (trust store, revocation cache, pending two-step signatures, signing audit
stream, key counters; docs/operations.md, "Deployment and scaling"), and nginx spreads gRPC
calls over them, one HTTP/2 stream per call, and retries the next replica when one refuses
the connection.

Run: ``python bench/cluster.py [--replicas 3]`` prints the nginx address and an admin token,
then serves until Ctrl-C (a test PKI on 127.0.0.1, a fresh SoftHSM2 token, the key
``personal``). Try it with
``KYSO_TOKEN=<token> kyso sign --server 127.0.0.1:<port> --key personal doc.pdf``.
Used by ``tests/integration/test_cluster.py`` and ``bench/bench_cluster.py``.

Every process is started here and stopped here, by its own pid.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kyso.demo.pki import free_port

REPO = Path(__file__).resolve().parents[1]
#: Largest request nginx passes on (kyso's own limit, max_document_bytes, is 100 MiB).
BODY_LIMIT = "100m"
_UPSTREAM = re.compile(r'upstream="([^"]*)"')


def _q(value: object) -> str:
    """A TOML basic string (paths on this machine carry no quotes or backslashes)."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def replica_config(
    home: Path,
    port: int,
    health_port: int,
    *,
    redis_url: str,
    namespace: str,
    shared: Path,
    pki: Any,
    token: Any,
    image: Path,
    admin_client: str,
    tokens_file: Path,
) -> Path:
    """``home/kyso.toml`` of one replica: its own home, port and health-probe port; Redis, the
    namespace, the token (``token.module``/``token_label``/``pin_env``), the consent master
    key and the clients' tokens shared by all. ``pki`` is a :class:`tests.pki.TestPki`."""
    home.mkdir(parents=True, exist_ok=True)
    trust = home / "trust"
    trust.mkdir(exist_ok=True)
    (trust / "root.pem").write_bytes(pki.root_path.read_bytes())
    chain = ", ".join(_q(p) for p in pki.chain_paths("personal"))
    host_port = pki.base_url.removeprefix("http://")
    text = f"""home = {_q(home)}
listen = "127.0.0.1:{port}"
health_listen = "127.0.0.1:{health_port}"
redis_url = {_q(redis_url)}
tokens_file = {_q(tokens_file)}
shutdown_grace_seconds = 10

[signer]
consent_master_key_file = {_q(shared / "consent-master.key")}

[trust_store]
path = {_q(trust)}
redis_namespace = {_q(namespace)}
redis_poll_seconds = 0.2

[fetch]
allowed_networks = ["127.0.0.1/32"]
aia_hosts = [{_q(host_port)}]

[[keys]]
name = "personal"
backend = "pkcs11"
profiles = ["personal"]
module = {_q(token.module)}
token_label = {_q(token.token_label)}
key_label = "personal"
pin_env = {_q(token.pin_env)}
consent = "none"
certificate = {_q(pki.cert_path("personal"))}
chain = [{chain}]
image = {_q(image)}

[[clients]]
name = {_q(admin_client)}
token = true
roles = ["verifier", "signer", "security_officer", "auditor"]
keys = ["personal"]
"""
    path = home / "kyso.toml"
    path.write_text(text, encoding="utf-8")
    return path


def start_redis(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    """A private redis-server on 127.0.0.1:``port`` (AOF in ``workdir``), answering PING."""
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--dir", str(workdir), "--save", "", "--appendonly", "yes"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc
        except OSError:
            time.sleep(0.05)
    stop(proc)
    raise RuntimeError("redis-server did not start")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process started here, by its pid: ``sig``, then SIGKILL after ``timeout`` s."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def wait_serving(address: str, proc: subprocess.Popen[bytes] | None, timeout: float = 60) -> None:
    """Until the health service at ``address`` says SERVING (overall status)."""
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                status = health.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                if status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"process {proc.pid} exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{address} not SERVING within {timeout} s")
            time.sleep(0.2)


@dataclass
class Replica:
    """One ``kyso serve --config`` process."""

    name: str
    port: int
    health_port: int
    config: Path
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def probe_address(self) -> str:
        """The plaintext health-only listener (``health_listen``), as Kubernetes probes it."""
        return f"127.0.0.1:{self.health_port}"

    def start(self) -> None:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kyso.cli", "serve", "--config", str(self.config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
        )
        out.close()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            stop(self.proc, sig)


def nginx_config(prefix: Path, port: int, upstreams: Sequence[str]) -> str:
    """nginx.conf: HTTP/2 (h2c) on 127.0.0.1:``port``, ``grpc_pass`` to ``upstreams``.

    The access log's fields: ``$upstream_addr`` names the replica that served each call
    (several, comma-separated, when nginx tried the next one), ``$grpc_status`` the call's gRPC
    status code as the replica sent it in its trailers.
    """
    servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=5s;" for u in upstreams)
    user = ""
    if os.geteuid() == 0:  # workers otherwise drop to nobody, who cannot read the prefix
        user = f"user {pwd.getpwuid(0).pw_name};\n"
    return f"""# Generated by bench/cluster.py: a gRPC-aware load balancer for kyso replicas.
{user}daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format grpc '$time_iso8601 $request_uri $status grpc_status=$sent_trailer_grpc_status '
                    '$request_time upstream="$upstream_addr" upstream_status="$upstream_status"';
    access_log {prefix}/access.log grpc;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    client_max_body_size {BODY_LIMIT};
    upstream kyso {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port} http2;
        location / {{
            grpc_pass grpc://kyso;
            grpc_read_timeout 120s;
            grpc_send_timeout 120s;
            # a replica that refuses the connection (stopped, restarting): the next one
            grpc_next_upstream error timeout http_502 http_503;
            grpc_next_upstream_tries 3;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    """Debian's nginx in the foreground with a private prefix."""

    prefix: Path
    port: int
    upstreams: Sequence[str]
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.prefix / "access.log"

    def start(self) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise FileNotFoundError("nginx not found: install Debian's nginx (scripts/install.sh)")
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        conf = self.prefix / "nginx.conf"
        conf.write_text(nginx_config(self.prefix, self.port, self.upstreams), encoding="utf-8")
        log = (self.prefix / "stderr.log").open("ab")
        self.proc = subprocess.Popen(
            [binary, "-p", str(self.prefix), "-c", str(conf), "-e", str(self.prefix / "error.log")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.prefix / 'error.log').read_text()}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            time.sleep(0.05)
        raise RuntimeError("nginx did not listen")

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, signal.SIGQUIT)  # graceful: finish the calls under way

    def served_by(self) -> Counter[str]:
        """Replica address -> calls it answered (the last address of ``$upstream_addr``)."""
        counts: Counter[str] = Counter()
        for upstreams in self._upstreams():
            if upstreams and upstreams[-1] != "-":
                counts[upstreams[-1]] += 1
        return counts

    def _upstreams(self) -> Iterator[list[str]]:
        """Each logged call's ``$upstream_addr`` as a list (tried in that order)."""
        if not self.access_log.exists():
            return
        for line in self.access_log.read_text(errors="replace").splitlines():
            found = _UPSTREAM.search(line)
            if found:
                yield [a.strip() for a in re.split(r"[,:] (?=\d)", found[1]) if a.strip()]

    def retried(self) -> int:
        """Calls nginx passed to more than one replica (a refused connection, a 502)."""
        return sum(1 for upstreams in self._upstreams() if len(upstreams) > 1)


@dataclass
class Cluster:
    """Redis, ``count`` replicas and nginx under ``root``; a context manager."""

    root: Path
    pki: Any
    token: Any
    image: Path
    count: int = 3
    admin_client: str = "kyso-test-admin"
    tokens_file: Path | None = None
    redis_url: str = ""
    namespace: str = field(default_factory=lambda: f"kyso-cluster-{secrets.token_hex(4)}")
    replicas: list[Replica] = field(default_factory=list)
    nginx: Nginx | None = None
    _redis: subprocess.Popen[bytes] | None = None

    def start(self) -> Cluster:
        self.root.mkdir(parents=True, exist_ok=True)
        shared = self.root / "shared"
        shared.mkdir(exist_ok=True, mode=0o700)
        if not self.redis_url:
            port = free_port()
            self._redis = start_redis(port, self.root / "redis")
            self.redis_url = f"redis://127.0.0.1:{port}/0"
        tokens = self.tokens_file or shared / "tokens"
        for index in range(self.count):
            name = f"kyso-{index + 1}"
            port, health_port = free_port(), free_port()
            config = replica_config(
                self.root / name,
                port,
                health_port,
                redis_url=self.redis_url,
                namespace=self.namespace,
                shared=shared,
                pki=self.pki,
                token=self.token,
                image=self.image,
                admin_client=self.admin_client,
                tokens_file=tokens,
            )
            # the token's own SoftHSM2 configuration, whatever this process's environment
            # says now (an embedded demo started in this process points it elsewhere)
            env = {"SOFTHSM2_CONF": str(self.token.conf_path)}
            self.replicas.append(
                Replica(name, port, health_port, config, self.root / f"{name}.log", env)
            )
        # The first replica seeds Redis from its trust directory; the others follow it.
        self.replicas[0].start()
        wait_serving(self.replicas[0].probe_address, self.replicas[0].proc)
        for replica in self.replicas[1:]:
            replica.start()
        for replica in self.replicas[1:]:
            wait_serving(replica.probe_address, replica.proc)
        self.nginx = Nginx(self.root / "nginx", free_port(), [r.address for r in self.replicas])
        self.nginx.start()
        return self

    def close(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for replica in self.replicas:
            replica.stop()
        if self._redis is not None:
            stop(self._redis)

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def standalone(root: Path, count: int) -> Iterator[tuple[Cluster, str]]:
    """A test PKI, a fresh SoftHSM2 token and a cluster of ``count``; yields (cluster, token)."""
    from kyso.demo.images import signature_png
    from kyso.server.tokens import add_token
    from tests.pki import TestPki, make_softhsm_token

    pki = TestPki(root / "pki").start()
    try:
        token = make_softhsm_token(root / "hsm", pki, labels=("personal",))
        image = signature_png(root / "signature.png")
        tokens = root / "tokens"
        admin = add_token(tokens, "kyso-cluster-admin")
        with Cluster(
            root / "cluster",
            pki,
            token,
            image,
            count,
            admin_client="kyso-cluster-admin",
            tokens_file=tokens,
        ) as cluster:
            yield cluster, admin
    finally:
        pki.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=3)
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kyso-cluster-") as tmp:
        with standalone(Path(tmp), ns.replicas) as (cluster, admin):
            assert cluster.nginx is not None
            print(f"nginx (grpc_pass): {cluster.nginx.address}")
            for replica in cluster.replicas:
                print(f"{replica.name}: {replica.address} (log {replica.log})")
            print(f"redis: {cluster.redis_url}")
            print(f"admin token (roles: all; key: personal): {admin}")
            print(f"nginx access log: {cluster.nginx.access_log}")
            print("Ctrl-C stops everything")
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()


if __name__ == "__main__":
    main()
