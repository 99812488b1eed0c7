"""``kyso serve`` as a subprocess, the way a user starts it: read until "serving on", stop with
SIGTERM, require exit 0 and scan everything it printed (tests.log_scan)."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.log_scan import scan_output


@contextmanager
def kyso_serve(
    args: list[str],
    env: dict[str, str],
    *,
    label: str = "the output of kyso serve",
    start_timeout: float = 90,
    stop_timeout: float = 30,
) -> Iterator[tuple[str, list[str]]]:
    """``kyso serve --listen 127.0.0.1:0 ARGS`` under ``env``; yields its gRPC address and its
    output so far (the list grows until the process ends). Fails the test when it does not
    print "serving on" within ``start_timeout`` seconds, exits early, or ends non-zero."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kyso.cli", "serve", "--listen", "127.0.0.1:0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []

    def _pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=_pump, daemon=True).start()
    try:
        address = None
        while address is None:
            try:
                line = lines.get(timeout=start_timeout)
            except queue.Empty:
                pytest.fail(
                    f"kyso serve did not start within {start_timeout} s:\n" + "".join(output)
                )
            if line is None:
                pytest.fail("kyso serve exited:\n" + "".join(output))
            output.append(line)
            if line.startswith("kyso: serving on "):
                address = line.split("serving on ", 1)[1].strip()
        yield address, output
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        while (line := lines.get(timeout=5)) is not None:
            output.append(line)
        scan_output(label, "".join(output))
        assert code == 0, "".join(output)
