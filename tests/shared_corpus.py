"""Where ``../shared`` (the public conformance corpus, the VGCA trust files and the verification
cases) lives.

Paths and the corpus manifest only. Whether a missing ``../shared`` skips or fails a test is
decided in one place, ``_require_shared`` behind the ``shared_dir``/``corpus_dir``/
``shared_trust_dir``/``shared_cases_dir`` fixtures of ``tests/conftest.py``: under CI (``CI``
set and not ``false``/``0``) it fails, elsewhere it skips with the reason. Parametrised tests
use :func:`corpus_params` so that a missing corpus still yields one test that asks a fixture,
never an empty parameter set that pytest would silently skip.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"
TRUST = SHARED / "trust"
MANIFEST = CORPUS / "MANIFEST.md"
CASES = SHARED / "cases"  # verification cases from real use, with their own PKI and MANIFEST.md

#: Stands for every corpus file when ../shared is missing (its test then skips or fails).
MISSING = "<../shared missing>"

_ROW = re.compile(r"^\|\s*\d+\s*\|\s*`([^`]+)`\s*\|.*\|\s*\*\*([a-z-]+)\*\*\s*\|")


def manifest_rows() -> list[tuple[str, str]]:
    """``(relative path, expected verdict)`` for every row of MANIFEST.md; [] when it is absent."""
    if not MANIFEST.is_file():
        return []
    rows = []
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        m = _ROW.match(line)
        if m:
            rows.append((m.group(1), m.group(2)))
    return rows


def corpus_params(values: Iterable[Any], width: int = 1) -> list[Any]:
    """``values`` for ``pytest.mark.parametrize`` (``width`` argument names), or one placeholder
    when the corpus is missing, so that the test still runs and its corpus fixture decides."""
    listed = list(values)
    if listed and CORPUS.is_dir():
        return listed
    return [pytest.param(*[MISSING] * width, id="shared-missing")]
