"""A real ``kyso serve``'s workers hold no secret and are confined (issue 9 §1): a PIN in the
server's environment reaches neither the forkserver nor a worker, not even in the memory of
their environment block; the workers run with no_new_privs under Landlock; and the demo still
verifies and signs through them (tests/integration/test_demo.py signs at B-LT)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from kyso.demo.pki import free_port
from kyso.server import worker_confinement
from tests.integration.serve_process import kyso_serve


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(p) for p in text]
    return out


def _environ(pid: int) -> bytes:
    return Path(f"/proc/{pid}/environ").read_bytes()


def _memory_holds(pid: int, needle: bytes) -> bool:
    """Whether any readable mapping of ``pid`` holds ``needle`` (as root, /proc/PID/mem)."""
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if "r" not in perms or "[vvar" in line or "[vsyscall" in line:
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    return True
            except (OSError, ValueError, OverflowError):
                continue
    return False


def _server_pid(home: Path) -> int:
    needle = f"KYSO_HOME={home}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            if b"kyso.cli\x00serve" in cmd and needle in _environ(int(entry.name)):
                return int(entry.name)
        except OSError:
            continue
    raise AssertionError("kyso serve's process not found")


@pytest.mark.skipif(os.geteuid() != 0, reason="reads other processes' /proc/PID/environ")
def test_workers_hold_no_pin_and_are_confined(tmp_path: Path) -> None:
    pin = "pin-" + secrets.token_hex(8)
    env = {
        **os.environ,
        "KYSO_HOME": str(tmp_path / "home"),
        "KYSO_DEMO_PKI_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
        "SEAL_TOKEN_PIN": pin,  # what an operator's pin_env would hold
    }
    env.pop("SOFTHSM2_CONF", None)
    with kyso_serve([], env, start_timeout=90) as (address, output):
        server = _server_pid(tmp_path / "home")
        assert pin.encode() in _environ(server)  # the test can fail: the server has it
        forkserver = [
            p for p in _children(server) if b"forkserver" in Path(f"/proc/{p}/cmdline").read_bytes()
        ]
        assert len(forkserver) == 1
        workers = _children(forkserver[0])
        assert workers, "no warm worker"
        assert _memory_holds(server, pin.encode())  # the scan can find it where it is
        for pid in [*forkserver, *workers]:
            assert not _memory_holds(pid, pin.encode()), pid  # not even in a heap
            assert pin.encode() not in _environ(pid), pid
            assert b"SEAL_TOKEN_PIN" not in _environ(pid), pid
        for pid in workers:
            status = Path(f"/proc/{pid}/status").read_text()
            assert "NoNewPrivs:\t1" in status, status
        # the demo still verifies through confined workers
        sample = tmp_path / "home" / "demo" / "mau-quyet-dinh.pdf"
        proc = subprocess.run(
            [sys.executable, "-m", "kyso.cli", "--server", address, "layout", str(sample)],
            capture_output=True,
            text=True,
            timeout=120,
            env={k: v for k, v in env.items() if k != "KYSO_TOKEN"},
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    text = "".join(output)
    if worker_confinement.landlock_abi() >= 1:
        assert "confined by Landlock" in text, text
