"""A new user's first ``kyso serve`` on a busy host, and the kyso.toml it writes, copied
elsewhere (issue 12 §1): through the real ``kyso serve`` subprocess and the CLI.

* the demo PKI's port (``KYSO_DEMO_PKI_PORT``) held by another program at the first start:
  the responders take a free port, recorded in the data directory, and signing at B-LT (OCSP
  and CRL of the demo responders) works;
* that recorded port held at a later start: one line naming kyso and ``KYSO_DEMO_PKI_PORT``,
  exit 3; ``KYSO_DEMO_PKI_PORT=0`` then repairs the home (certificates issued again);
* the gRPC port held: one line, no traceback;
* the generated kyso.toml copied to another directory runs with ``SOFTHSM2_CONF`` unset
  (``module_env`` carries it) and signs.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kyso.cli.channel import EXIT_ERROR
from tests.integration.serve_process import kyso_serve
from tests.log_scan import register_secret, scan_output

SAMPLE = "mau-quyet-dinh.pdf"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "KYSO_HOME": str(home), "PYTHONUNBUFFERED": "1", **extra}
    env.pop("SOFTHSM2_CONF", None)  # what a new user's shell has
    env.pop("KYSO_TOKEN", None)  # the CLI uses the local credential of the home
    env.pop("KYSO_DEMO_PKI_PORT", None)
    env.update(extra)
    return env


@contextmanager
def _serving(home: Path, *args: str, **extra: str) -> Iterator[tuple[str, list[str]]]:
    """``kyso serve --listen 127.0.0.1:0 ARGS``; yields its address and its output so far."""
    with kyso_serve(list(args), _env(home, **extra)) as served:
        yield served


def _refused(home: Path, *args: str, **extra: str) -> str:
    """``kyso serve ARGS`` that must stop at start-up: its stderr, one line."""
    done = subprocess.run(
        [sys.executable, "-m", "kyso.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(home, **extra),
        check=False,
    )
    scan_output("the stderr of kyso serve", done.stderr)
    assert done.returncode == EXIT_ERROR, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "serving on" not in done.stdout
    return done.stderr


def _kyso(address: str, home: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kyso.cli", "--server", address, *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=_env(home),
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _sign_and_verify(address: str, home: Path, out: Path) -> None:
    """The demo draft signed at B-LT (the demo responders' OCSP/CRL/TSA answer), verified."""
    _kyso(
        address, home, "sign", str(home / "demo" / SAMPLE), "-o", str(out),
        "--key", "demo-personal", "--profile", "personal", "--level", "B-LT",
    )  # fmt: skip
    report = json.loads(_kyso(address, home, "verify", str(out), "--json"))
    assert report["indication"] == "TOTAL_PASSED", report["indication"]


def _hold(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (another program holding the port)."""
    sock = socket.socket()
    # SO_REUSEADDR: the port kyso's responders just served may still have TIME_WAIT sockets
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen()
    return sock


def _recorded_port(home: Path) -> int:
    return int(json.loads((home / "demo" / "state.json").read_text())["port"])


def test_busy_demo_port_first_start_later_start_and_repair(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with _hold() as taken:
        busy = taken.getsockname()[1]
        with _serving(home, KYSO_DEMO_PKI_PORT=str(busy)) as (address, output):
            text = "".join(output)
            recorded = _recorded_port(home)
            assert recorded != busy
            assert f"kyso: demo PKI port {busy} (KYSO_DEMO_PKI_PORT) is taken" in text, text
            assert (
                f"http://127.0.0.1:{recorded}/kyso-demo/tsa/tsa" in (home / "kyso.toml").read_text()
            )
            # what the first start tells a new user
            assert f"kyso: data directory {home}" in text
            assert "kyso: signing keys: demo-personal (personal), demo-organisation" in text
            assert f"kyso: configuration: {home / 'kyso.toml'}" in text
            assert f"kyso: sample draft to sign: {home / 'demo' / SAMPLE}" in text
            assert "kyso: next, in another shell: `kyso keys`" in text
            assert text.count("serving on") == 1, text
            toml = (home / "kyso.toml").read_text()
            assert f'listen = "{address}"' in toml  # the port --listen :0 got
            _register_secrets(home)
            _sign_and_verify(address, home, tmp_path / "first.pdf")

    # a later start: the recorded port held by someone else -> one line naming the setting
    with _hold(recorded):
        line = _refused(home, "--listen", "127.0.0.1:0")
        assert line.startswith("kyso: CONFIG_INVALID: ")
        assert f"another program holds 127.0.0.1:{recorded}" in line
        assert "KYSO_DEMO_PKI_PORT=0" in line
        # KYSO_DEMO_PKI_PORT repairs it: the certificates are issued again for a free port
        with _serving(home, KYSO_DEMO_PKI_PORT="0") as (address, output):
            text = "".join(output)
            assert "kyso: demo certificates issued again" in text, text
            assert "first start" not in text
            repaired = _recorded_port(home)
            assert repaired != recorded
            _sign_and_verify(address, home, tmp_path / "repaired.pdf")

    # the gRPC port held: one line, no traceback, naming the setting
    with _hold() as grpc_port:
        address = f"127.0.0.1:{grpc_port.getsockname()[1]}"
        line = _refused(home, "--listen", address)
        assert f"--listen: cannot listen on {address}: the address is in use" in line


def test_copied_config_signs_without_softhsm2_conf(tmp_path: Path) -> None:
    """The kyso.toml of the embedded defaults, copied elsewhere, runs with --config: the
    token is found through ``module_env`` (SOFTHSM2_CONF unset), the demo responders start
    (``demo_pki = true``), and a B-LT signature is made and verified."""
    home = tmp_path / "home"
    copy = tmp_path / "elsewhere" / "kyso.toml"
    copy.parent.mkdir()
    with _serving(home) as (address, _):
        _register_secrets(home)
        _readme_tour(address, home, tmp_path / "tour")
        # kyso trust status --json: the .proto's field names, numbers as numbers
        status = json.loads(_kyso(address, home, "trust", "status", "--json"))
        assert status["version"] == 1 and status["storage"] == "local", status
        assert status["degraded"] is False
        counters = [k for k in status if k.endswith(("_errors", "_hits", "_misses", "_served"))]
        assert len(counters) == 5 and all(type(status[k]) is int for k in counters), status
        shutil.copy(home / "kyso.toml", copy)
        # the copy run beside the embedded kyso: the demo responders are already served
        with _serving(home, "--config", str(copy)) as (beside, output):
            assert "already served on 127.0.0.1:" in "".join(output)
            _sign_and_verify(beside, home, tmp_path / "beside.pdf")
    check = subprocess.run(
        [sys.executable, "-m", "kyso.cli", "config", "check", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(home),
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert "valid" in check.stdout and "cấu hình hợp lệ" in check.stdout
    with _serving(home, "--config", str(copy)) as (address, output):
        assert "demo PKI responders" in "".join(output)
        assert _kyso(address, home, "health").strip() == "SERVING"
        _sign_and_verify(address, home, tmp_path / "copied.pdf")


def _readme_tour(address: str, home: Path, cwd: Path) -> None:
    """README.md's five-minute tour, its shell block as written, against this server (the
    CLI's default address is the only change: KYSO_SERVER)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    tour = readme[readme.index("## A five-minute tour") :]
    block = tour[tour.index("```sh\n") + 6 : tour.index("```\n", tour.index("```sh\n") + 6)]
    cwd.mkdir()
    env = _env(home, KYSO_SERVER=address)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-e", "-c", block],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "demo-personal" in done.stdout and "ĐÚNG THỂ THỨC" in done.stdout, done.stdout
    assert "HỢP LỆ" in done.stdout and (cwd / "bao-cao.pdf").exists()
    assert (cwd / "qd.ky2.pdf").exists()


def _register_secrets(home: Path) -> None:
    demo = home / "demo"
    for secret in (demo / "token" / "pin", demo / "pkcs12-passphrase", demo / "keys-passphrase"):
        if secret.exists():
            register_secret(secret.read_text().strip(), f"the demo secret {secret.name}")


# -- bad configurations: the documented messages, from kyso serve and kyso config check ----

_BAD = [
    (
        'redis_ulr = "redis://127.0.0.1:6379/0"\n',
        "redis_ulr: unknown setting; did you mean redis_url?",
    ),
    ('[[keys]]\nbackend = "pkcs12"\nkey_file = "k.p12"\n', "keys[0].name: required"),
    (
        '[verifier]\nrequest_timeout_seconds = "thirty"\n',
        "verifier.request_timeout_seconds: expected a number, got string",
    ),
]


@pytest.mark.parametrize(("text", "message"), _BAD)
def test_bad_config_is_one_line_from_serve_and_check(
    tmp_path: Path, text: str, message: str
) -> None:
    config = tmp_path / "kyso.toml"
    config.write_text(f'home = "{tmp_path / "home"}"\n' + text, encoding="utf-8")
    line = _refused(tmp_path / "home", "--config", str(config))
    assert line.startswith(f"kyso: CONFIG_INVALID: the configuration is invalid: {config}: ")
    assert message in line, line
    assert "(cấu hình kyso không hợp lệ: " in line  # the Vietnamese text says what to do
    check = subprocess.run(
        [sys.executable, "-m", "kyso.cli", "config", "check", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path / "home"),
        check=False,
    )
    assert check.returncode == 1
    assert check.stderr == line  # the same message as kyso serve
    assert not (tmp_path / "home").exists()  # nothing created


def test_config_check_of_a_good_file_and_environment_typos(tmp_path: Path) -> None:
    config = tmp_path / "kyso.toml"
    config.write_text(f'home = "{tmp_path}"\nlisten = "127.0.0.1:50051"\n', encoding="utf-8")
    run = [sys.executable, "-m", "kyso.cli", "config", "check", str(config)]
    good = subprocess.run(run, capture_output=True, text=True, timeout=60, env=_env(tmp_path))
    assert good.returncode == 0, good.stderr
    assert f"kyso: {config}: valid: listen 127.0.0.1:50051" in good.stdout
    bad = subprocess.run(
        run,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path, KYSO_REDIS_ULR="redis://127.0.0.1"),
    )
    assert bad.returncode == 1
    assert "KYSO_REDIS_ULR: unknown setting; did you mean KYSO_REDIS_URL?" in bad.stderr
