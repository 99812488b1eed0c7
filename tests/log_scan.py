"""The session's log scan: no PIN, registered secret or document bytes in any log (issue 8, 6).

Every log record of the test process (the in-process servers) and the output of every
subprocess server a test starts are kept; at the end of the session each is searched for

* the values of the test PIN variables (``TEST_KYSO_*``: the SoftHSM2 user PIN, the PKCS#12
  passphrase) and any value given to :func:`register_secret` (bearer tokens, TOTP secrets);
* :data:`DOCUMENT_MARKER`, a string every test document carries in its page content, so
  document bytes that reach a log are found.

A finding fails the session (``tests/conftest.py``, ``pytest_sessionfinish``) and is reported
by its label and source only: the report never repeats the secret.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

#: In the content stream of every test document (tests/integration/documents.py).
DOCUMENT_MARKER = "KYSO-TEST-DOCUMENT-BYTES-5f1c9a"
#: Environment variables whose values are test secrets (the PINs of tests/pki and conftest).
SECRET_VARIABLE_PREFIX = "TEST_KYSO_"
#: How the texts of log records are named (names are only looked for in those).
RECORD_SOURCE = "the log record "
#: Shorter values are not scanned for: they would match by chance.
MIN_SECRET_LENGTH = 6


@dataclass
class LogScanner:
    """Collects texts (log records, subprocess output) and the secrets to look for in them."""

    secrets: dict[str, str] = field(default_factory=dict)  # value -> label
    names: dict[str, str] = field(default_factory=dict)  # personal name -> label (log records)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (source, text)
    files: list[tuple[str, Path]] = field(default_factory=list)  # read when scanning
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def register_secret(self, value: str | bytes, label: str = "a registered secret") -> None:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        if len(text) >= MIN_SECRET_LENGTH:
            with self._lock:
                self.secrets.setdefault(text, label)

    def register_personal_name(self, name: str, label: str = "a personal name") -> None:
        """A name that INFO (and higher) log records must not carry (``log_personal_names``
        off, the default); subprocess output is not searched for it."""
        if len(name) >= MIN_SECRET_LENGTH:
            with self._lock:
                self.names.setdefault(name, label)

    def add_text(self, source: str, text: str | bytes) -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if text:
            with self._lock:
                self.texts.append((source, text))

    def add_file(self, source: str, path: Path) -> None:
        with self._lock:
            self.files.append((source, path))

    def secrets_from_environment(self) -> None:
        for name, value in os.environ.items():
            if name.startswith(SECRET_VARIABLE_PREFIX):
                self.register_secret(value, f"the value of ${name}")

    def findings(self) -> list[str]:
        """One line per (secret, source) found: its label and where, never the value."""
        self.secrets_from_environment()
        needles = dict(self.secrets)
        needles.setdefault(DOCUMENT_MARKER, "document bytes (the test document marker)")
        sources = list(self.texts)
        for source, path in self.files:
            try:
                sources.append((source, path.read_text(encoding="utf-8", errors="replace")))
            except OSError:
                continue
        out: list[str] = []
        for source, text in sources:
            names = self.names if source.startswith(RECORD_SOURCE) else {}
            for value, label in {**needles, **names}.items():
                if value in text:
                    out.append(f"{label} found in {source}")
        return sorted(set(out))


class CollectingHandler(logging.Handler):
    """Keeps every record, formatted with its exception, for :meth:`LogScanner.findings`."""

    def __init__(self, scanner: LogScanner) -> None:
        super().__init__(logging.DEBUG)
        self.scanner = scanner
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:
            text = f"{record.msg!s} {record.args!r}"
        self.scanner.add_text(f"{RECORD_SOURCE}{record.name}:{record.lineno}", text)


#: The session's scanner (conftest installs its handler and checks it at the end).
SCANNER = LogScanner()


def register_secret(value: str | bytes, label: str = "a registered secret") -> None:
    """Fail the session if ``value`` reaches a log (a bearer token, a TOTP secret...)."""
    SCANNER.register_secret(value, label)


def scan_output(source: str, text: str | bytes) -> None:
    """Scan a subprocess's output (stderr of a ``kyso serve``) at the end of the session."""
    SCANNER.add_text(source, text)


def scan_file(source: str, path: Path) -> None:
    """Scan a file (a subprocess server's log) at the end of the session."""
    SCANNER.add_file(source, path)


__all__ = [
    "DOCUMENT_MARKER",
    "SCANNER",
    "CollectingHandler",
    "LogScanner",
    "register_secret",
    "scan_file",
    "scan_output",
]
