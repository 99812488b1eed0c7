"""Seeds of the fuzzing harness: ../shared/corpus, ../shared/cases, tests/corpus, generated
documents (signed by kyso in the caller), the test PKI's and ../shared/trust's certificates,
and the shipped trust bundle."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from asn1crypto import pem as apem

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
PDF_DIRS = (SHARED / "corpus", SHARED / "cases", REPO / "tests" / "corpus")
BUNDLE = REPO / "trust_store" / "bundles" / "vn-gov"


def pdf_files(max_bytes: int, dirs: Iterable[Path] = PDF_DIRS) -> list[Path]:
    """Every ``*.pdf`` under ``dirs`` of at most ``max_bytes``, sorted by path."""
    return sorted(
        p for d in dirs if d.is_dir() for p in d.rglob("*.pdf") if p.stat().st_size <= max_bytes
    )


def certificates(pem_files: Iterable[Path]) -> list[bytes]:
    """The DER of every certificate in ``pem_files`` and in ../shared/trust."""
    paths = list(pem_files) + sorted((SHARED / "trust").glob("*.pem"))
    out = []
    for path in paths:
        data = path.read_bytes()
        if apem.detect(data):
            for _kind, _headers, der in apem.unarmor(data, multiple=True):
                out.append(der)
        else:
            out.append(data)
    return out


def bundle_seed() -> tuple[bytes, dict[str, bytes]]:
    """The shipped ``vn-gov`` bundle: (manifest.json, {file: bytes})."""
    files = {p.name: p.read_bytes() for p in BUNDLE.glob("*.pem")}
    return (BUNDLE / "manifest.json").read_bytes(), files
