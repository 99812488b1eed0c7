"""Local-directory store: a real SIGKILL of `kyso serve` amid writes never leaves a mix."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from pathlib import Path

import grpc

from kyso.demo.pki import free_port
from kyso.server.tokens import add_token
from kyso.v1 import trust_store_pb2 as pb
from tests.integration.test_trust_support import (
    call,
    make_certificate,
    start_server,
    wait_ready,
    write_server_config,
)
from trust_store.backends.local import load_local


def _hammer(address: str, token: str, stop: threading.Event, done: list[int]) -> None:
    """Add and remove certificates as fast as the server takes them, until it dies."""
    certs = [make_certificate(f"Root {i} (crash test)")[0] for i in range(6)]
    with grpc.insecure_channel(address) as ch:
        n = 0
        while not stop.is_set():
            try:
                resp = call(
                    ch,
                    "Add",
                    pb.AddTrustCertificateRequest(certificate=certs[n % 6], reason="load"),
                    token,
                )
                call(
                    ch,
                    "Remove",
                    pb.RemoveTrustCertificateRequest(
                        sha256=resp.added[0].sha256, reason="load", confirm_anchor_in_use=True
                    ),
                    token,
                )
                done.append(resp.version)
                n += 1
            except grpc.RpcError:
                return


def _applied_states(audit_log: Path) -> dict[int, set[str]]:
    """Store content per version, as the audit chain recorded it when the change was applied."""
    states: dict[int, set[str]] = {}
    for line in audit_log.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["outcome"] == "applied":
            states[entry["version"]] = set(entry["after"])
    return states


def test_sigkill_during_writes_leaves_old_or_new_version(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "trust").mkdir(parents=True)
    first, _, _ = make_certificate("Root gốc (crash test)")
    (home / "trust" / "root.pem").write_bytes(first)
    token = add_token(home / "auth" / "officer-tokens", "alice")
    audit_log = home / "audit" / "trust-store.log"
    rng = random.Random(4)
    versions_seen: list[int] = []
    for round_no in range(4):
        port = free_port()
        config = write_server_config(home, port)
        log = tmp_path / f"serve-{round_no}.log"
        proc = start_server(config, log)
        address = f"127.0.0.1:{port}"
        try:
            wait_ready(address, proc, log)
            with grpc.insecure_channel(address) as ch:
                listed = call(ch, "List", pb.ListTrustCertificatesRequest(), token)
            on_disk = load_local(home / "trust")
            # After the restart the server serves exactly what survived on disk.
            assert listed.version == on_disk.version
            assert {c.sha256 for c in listed.certificates} == {e.sha256 for e in on_disk.entries}
            stop, done = threading.Event(), []
            worker = threading.Thread(target=_hammer, args=(address, token, stop, done))
            worker.start()
            deadline = time.monotonic() + 10
            while len(done) < 3 + rng.randrange(5) and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.random() * 0.05)  # land somewhere inside a write
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            stop.set()
            worker.join(timeout=20)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        assert done, "the server made no change before it was killed"
        snapshot = load_local(home / "trust")  # raises if a version directory is incomplete
        states = _applied_states(audit_log)
        assert snapshot.version in states
        # Never a mix: exactly the content the chain recorded for that version.
        assert {e.sha256 for e in snapshot.entries} == states[snapshot.version]
        newest = max(states)
        assert snapshot.version in (newest, newest - 1)
        assert snapshot.version >= max(done)  # nothing acknowledged to a client was lost
        versions_seen.append(snapshot.version)
    assert versions_seen == sorted(versions_seen) and versions_seen[-1] > versions_seen[0]
    # The restart recovered cleanly and the chain is intact.
    from tests.integration.test_trust_support import kyso_cli

    verified = kyso_cli("audit", "verify", "--file", str(audit_log))
    assert verified.returncode == 0, verified.stdout
