"""Changes-after-signing analysis: kyso vs pyHanko's stock difference analysis.

Run: ``python bench/bench_diff.py [--repeat N] [--no-pyhanko] [FILE ...]``
(defaults: the two 6-signature government documents of the shared corpus).
Both sides open the file, find every signature and judge the changes after
each one; pyHanko with ``DEFAULT_DIFF_POLICY`` (what ``validate_pdf_signature``
does), kyso with ``verifier.diff_analysis``. Prints best-of-N wall time and the
ratio.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY

from kyso.pdf import hex_strings
from verifier.diff_analysis import analyse_document

# as the server does at start-up (kyso.server.app): pyHanko's own hex-string reader spends
# ~60 ms on the six /Contents of 50-2026 before any analysis starts; both sides get it
hex_strings.install()

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "vn-gov-vgca"
DEFAULT_FILES = [CORPUS / "50-2026-ND-CP.pdf", CORPUS / "QD2179-BKHCN-6sig.pdf"]


def _kyso(data: bytes) -> list[str]:
    reader = PdfFileReader(BytesIO(data), strict=False)
    analysis = analyse_document(reader)
    levels = []
    for sig in reader.embedded_signatures:
        byte_range = sig.sig_object["/ByteRange"]
        end = int(byte_range[2]) + int(byte_range[3])
        summary = analysis.changes_after(analysis.revision_of_offset(end))
        levels.append(summary.level.name)
    return levels


def _pyhanko(data: bytes) -> list[str]:
    reader = PdfFileReader(BytesIO(data), strict=False)
    levels = []
    for sig in reader.embedded_signatures:
        sig.coverage = sig.evaluate_signature_coverage()
        result = sig.evaluate_modifications(DEFAULT_DIFF_POLICY)
        level = getattr(result, "modification_level", None)
        levels.append(level.name if level is not None else type(result).__name__)
    return levels


def _best(fn: Callable[[bytes], list[str]], data: bytes, repeat: int) -> tuple[float, list[str]]:
    best = float("inf")
    out: list[str] = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(data)
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--repeat", type=int, default=3, help="kyso runs (best is kept)")
    parser.add_argument("--no-pyhanko", action="store_true", help="skip the slow baseline")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # pyHanko logs every suspicious revision with a traceback
    for path in args.files:
        data = path.read_bytes()
        kyso_t, kyso_levels = _best(_kyso, data, args.repeat)
        print(f"{path.name} ({len(data) / 1e6:.1f} MB)")
        print(f"  kyso     {kyso_t * 1000:8.1f} ms  {kyso_levels}")
        if not args.no_pyhanko:
            py_t, py_levels = _best(_pyhanko, data, 1)
            print(f"  pyHanko  {py_t * 1000:8.1f} ms  {py_levels}")
            print(f"  ratio    {py_t / kyso_t:8.1f}x faster")


if __name__ == "__main__":
    main()
