"""The session's log scan can fail: a planted secret, PIN or document bytes is found."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.log_scan import DOCUMENT_MARKER, CollectingHandler, LogScanner, register_secret

REPO = Path(__file__).resolve().parents[2]
PLANT = "TEST_LOGSCAN_PLANT"  # set only in the child session of the last test


def _logger(scanner: LogScanner, name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # this scanner only, not the session's
    logger.addHandler(CollectingHandler(scanner))
    return logger


def test_a_registered_secret_in_a_log_record_is_found_and_not_repeated() -> None:
    scanner = LogScanner()
    secret = secrets.token_urlsafe(16)
    scanner.register_secret(secret, "the TOTP secret of key demo")
    log = _logger(scanner, "kyso.test.plant-one")
    log.info("nothing to see")
    assert scanner.findings() == []
    log.info("consent checked with %s", secret)
    found = scanner.findings()
    assert len(found) == 1
    assert found[0].startswith("the TOTP secret of key demo found in the log record kyso.test.")
    assert secret not in "".join(found)


def test_a_pin_variable_an_exception_and_subprocess_output_are_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scanner = LogScanner()
    pin = secrets.token_hex(8)
    monkeypatch.setenv("TEST_KYSO_PLANTED_PIN", pin)
    log = _logger(scanner, "kyso.test.plant-two")
    try:
        raise ValueError(f"C_Login failed with {pin}")
    except ValueError:
        log.exception("login failed")  # in the traceback only
    server_log = tmp_path / "serve.log"
    server_log.write_text(f"kyso: serving\n{DOCUMENT_MARKER}\n", encoding="utf-8")
    scanner.add_file("the output of kyso serve", server_log)
    scanner.add_text("the stderr of kyso sign", b"%PDF-1.7 ... " + DOCUMENT_MARKER.encode())
    found = scanner.findings()
    assert any(
        f.startswith("the value of $TEST_KYSO_PLANTED_PIN found in the log record") for f in found
    )
    assert "document bytes (the test document marker) found in the output of kyso serve" in found
    assert "document bytes (the test document marker) found in the stderr of kyso sign" in found


def test_short_values_are_not_secrets() -> None:
    scanner = LogScanner()
    scanner.register_secret("1234")
    scanner.add_text("x", "PIN 1234")
    assert scanner.findings() == []


@pytest.mark.skipif(not os.environ.get(PLANT), reason="planted only in the child session")
def test_planted_leak() -> None:
    secret = os.environ[PLANT]
    register_secret(secret, "the planted secret")
    logging.getLogger("kyso.test.plant").warning("leaking %s", secret)


@pytest.mark.parametrize(
    "workers",
    [[], ["-n", "1"]],
    ids=["one-process", "xdist-worker"],  # scripts/test.sh runs the suite with pytest-xdist
)
def test_a_planted_secret_fails_the_whole_session(workers: list[str]) -> None:
    secret = secrets.token_urlsafe(12)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *workers,
            f"{Path(__file__).relative_to(REPO)}::test_planted_leak",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, PLANT: secret},
        timeout=120,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, out
    assert "1 passed" in out and "LOG SCAN FAILED" in out
    assert "the planted secret found in the log record kyso.test.plant" in out
    assert secret not in out.replace(f"{PLANT}", "")  # named, never repeated
