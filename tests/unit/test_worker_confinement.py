"""The cage's confinement on the real kernel: a process confined as a worker is (Landlock)
reads code and configuration only, writes its scratch directory only, reaches no other
process and binds no port; and what a worker is given holds no secret (issue 9 §1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kyso.server import worker_confinement
from kyso.server.settings import Settings

pytestmark = pytest.mark.skipif(
    worker_confinement.landlock_abi() < 1, reason="this kernel offers no Landlock"
)

_PROBE = r"""
import json, os, socket, sys
from kyso.server import worker_confinement as wc
home, scratch, allowed, parent = sys.argv[1:5]
listener = socket.create_server(("127.0.0.1", 0))  # a TCP server the worker may not reach
abi = wc.confine(wc.Confinement("landlock", scratch, (allowed, *map(os.path.realpath, sys.path))))
out = {"abi": abi}
def attempt(name, action):
    try:
        action()
        out[name] = "allowed"
    except PermissionError:
        out[name] = "denied"
    except OSError as exc:
        out[name] = f"error {exc.errno}"
attempt("read_home", lambda: open(os.path.join(home, "pin")).read())
attempt("list_home", lambda: os.listdir(home))
attempt("read_allowed", lambda: open(os.path.join(allowed, "policy.toml")).read())
attempt("write_scratch", lambda: open(os.path.join(scratch, "x"), "w").write("x"))
attempt("write_home", lambda: open(os.path.join(home, "new"), "w").write("x"))
attempt("parent_environ", lambda: open(f"/proc/{parent}/environ", "rb").read())
attempt("own_status", lambda: open("/proc/self/status").read())
attempt("signal_parent", lambda: os.kill(int(parent), 0))
attempt("list_tmp", lambda: os.listdir("/tmp"))
attempt("proc_net_unix", lambda: open("/proc/net/unix").read())
def bind():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
    finally:
        s.close()
attempt("bind_tcp", bind)
attempt("connect_tcp", lambda: socket.create_connection(listener.getsockname(), timeout=2).close())
import kyso.server.verify_jobs  # code from sys.path still imports
import subprocess
def pdftotext():
    subprocess.run(["pdftotext", "-v"], capture_output=True, check=True)
attempt("run_pdftotext", pdftotext)
print(json.dumps(out))
"""


def test_a_confined_process_reaches_only_what_a_worker_needs(tmp_path: Path) -> None:
    home, scratch, allowed = tmp_path / "home", tmp_path / "scratch", tmp_path / "policies"
    for d in (home, scratch, allowed):
        d.mkdir()
    (home / "pin").write_text("1234")
    (allowed / "policy.toml").write_text("x = 1")
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(home), str(scratch), str(allowed), str(os.getpid())],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["abi"] >= 1
    assert out["read_allowed"] == out["write_scratch"] == out["own_status"] == "allowed"
    assert out["run_pdftotext"] == "allowed"
    assert out["read_home"] == out["list_home"] == out["write_home"] == "denied", out
    assert out["list_tmp"] == out["proc_net_unix"] == "denied", out
    assert out["parent_environ"] == "denied", out  # Landlock's ptrace rule: another domain
    if out["abi"] >= 4:
        assert out["bind_tcp"] == out["connect_tcp"] == "denied", out
    if out["abi"] >= 6:
        assert out["signal_parent"] == "denied", out


def test_a_worker_is_given_no_secret(tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    settings = Settings(
        home=tmp_path,
        redis_url="redis://:s3cret@127.0.0.1:6379/0",
        keys=[
            {
                "name": "seal",
                "backend": "pkcs11",
                "module": "/usr/lib/softhsm/libsofthsm2.so",
                "module_env": {"SOFTHSM2_CONF": "/var/lib/kyso/softhsm2.conf"},
                "token_label": "t",
                "key_label": "k",
                "pin_env": "SEAL_PIN",
                "certificate": str(cert),
                "profiles": ["organisation"],
            }
        ],
    )
    given = worker_confinement.worker_settings(settings)
    text = given.model_dump_json()
    for secret in ("s3cret", "SEAL_PIN", "softhsm2.conf", "libsofthsm2"):
        assert secret not in text
    assert given.keys[0].name == "seal" and given.keys[0].certificate == cert
    assert str(cert) in worker_confinement.read_paths(settings)


def test_the_environment_is_scrubbed_in_memory_too() -> None:
    probe = (
        "import os\n"
        "from kyso.server.worker_confinement import scrub_environment\n"
        "scrub_environment()\n"
        "raw = open('/proc/self/environ', 'rb').read()\n"
        "print('KEEP' in os.environ, 'SEAL_PIN' in os.environ, b'p1n-v4lue' in raw)\n"
    )
    env = {**os.environ, "SEAL_PIN": "p1n-v4lue", "LC_KEEP": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", probe.replace("'KEEP'", "'LC_KEEP'")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert proc.stdout.split() == ["True", "False", "False"], proc.stderr


def test_a_secret_under_a_read_rule_is_found(tmp_path: Path) -> None:
    """A home (or key file) inside what workers may read — the code, the interpreter, the
    system — would hand its secrets to a taken-over worker: the pool refuses to start."""
    code = tmp_path / "code"
    (code / "home").mkdir(parents=True)
    inside = Settings(home=code / "home")
    outside = Settings(home=tmp_path)
    assert worker_confinement.exposed(inside, (str(code),)) == [str((code / "home").resolve())]
    assert worker_confinement.exposed(outside, (str(code),)) == []
    assert "" not in worker_confinement.read_paths(outside)
