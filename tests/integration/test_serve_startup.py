"""``kyso serve`` start-up failures: one line on stderr, exit status 3, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kyso.cli.channel import EXIT_ERROR
from tests.log_scan import scan_output


def _serve(config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "kyso.cli", "serve", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )
    scan_output("the stderr of kyso serve", done.stderr)
    return done


@pytest.mark.parametrize("where", ["--listen", "listen"])
def test_an_address_in_use_is_one_line_naming_it_and_the_setting(
    tmp_path: Path, where: str
) -> None:
    """C5: a port already taken was a gRPC RuntimeError traceback (and gRPC's own log line)."""
    config = tmp_path / "kyso.toml"
    config.write_text(f'home = "{tmp_path / "home"}"\n', encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        if where == "--listen":
            done = _serve(config, "--listen", address)
        else:
            done = _serve(config, KYSO_LISTEN=address)
    assert done.returncode == EXIT_ERROR, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("kyso: CONFIG_INVALID: ")
    assert f"{where}: cannot listen on {address}: the address is in use" in done.stderr
