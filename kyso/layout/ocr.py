"""Pages without a text layer, read by Tesseract with its Vietnamese model.

The page is rendered by PDFium as the reader sees it (/Rotate applied, annotations left out)
at ``dpi`` (200–300: Decree 30/2020 Appendix I Part II asks scans for at least 200 dpi), in
grey, and handed to the ``tesseract`` command (Debian ``tesseract-ocr`` and
``tesseract-ocr-vie``) on its standard input; its TSV output gives words with pixel boxes,
turned back into view and user space. One Tesseract thread (``OMP_THREAD_LIMIT=1``): the
service's workers are the parallelism.

Raises :class:`OcrUnavailable` when tesseract or its Vietnamese model is missing and
:class:`OcrError` when it fails or runs past ``timeout``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from functools import cache

import pypdfium2 as pdfium

from kyso.layout.geometry import Rect
from kyso.layout.text import OCR, PDFIUM_LOCK, Line, PageText, Word, nfc, split_row

LANGUAGE = "vie"
MIN_CONFIDENCE = 30.0  # Tesseract's word confidence (0-100) below which a word is noise


class OcrError(Exception):
    """Tesseract failed or ran out of time (``timed_out``)."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


class OcrUnavailable(OcrError):
    """No tesseract command, or no Vietnamese model for it."""


@cache
def available() -> bool:
    """True when ``tesseract`` runs and lists the Vietnamese model (checked once)."""
    exe = shutil.which("tesseract")
    if exe is None:
        return False
    try:
        out = subprocess.run(
            [exe, "--list-langs"], capture_output=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return LANGUAGE.encode() in out.split()


def render(pdf: pdfium.PdfDocument, index: int, dpi: int) -> bytes:
    """Page ``index`` as a greyscale PNG at ``dpi``, as the reader sees it."""
    with PDFIUM_LOCK:
        page = pdf[index]
        try:
            bitmap = page.render(scale=dpi / 72, grayscale=True, draw_annots=False)
            try:
                image = bitmap.to_pil().copy()  # owns its pixels once the bitmap is closed
            finally:
                bitmap.close()
        finally:
            page.close()
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def read_page_ocr(
    pdf: pdfium.PdfDocument, page: PageText, *, dpi: int = 200, timeout: float = 10.0
) -> PageText:
    """``page`` (read from the text layer and found empty) with its lines read by OCR."""
    if not available():
        raise OcrUnavailable("tesseract with the Vietnamese model (tesseract-ocr-vie) is missing")
    started = time.perf_counter()
    png = render(pdf, page.number - 1, dpi)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        proc = subprocess.run(
            # tessedit_do_invert=0: no second pass looking for white-on-black text (faster)
            [
                "tesseract",
                "stdin",
                "stdout",
                "-l",
                LANGUAGE,
                "--psm",
                "3",
                "-c",
                "tessedit_do_invert=0",
                "tsv",
            ],
            input=png,
            capture_output=True,
            timeout=max(timeout, 0.1),
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrError("tesseract ran out of time", timed_out=True) from exc
    except OSError as exc:
        raise OcrUnavailable(f"tesseract cannot run: {type(exc).__name__}") from exc
    if proc.returncode != 0:
        raise OcrError(f"tesseract failed with status {proc.returncode}")
    lines = parse_tsv(proc.stdout.decode("utf-8", errors="replace"), page, 72 / dpi)
    out = PageText(
        geometry=page.geometry,
        lines=lines,
        source=OCR,
        text_chars=page.text_chars,
        image_share=page.image_share,
        sideways_chars=0,
        ocr_seconds=time.perf_counter() - started,
        widget_words=page.widget_words,
    )
    return out


def parse_tsv(tsv: str, page: PageText, points_per_pixel: float) -> list[Line]:
    """Tesseract TSV → lines. Level 5 rows are words (block, paragraph, line numbers, left,
    top, width, height, confidence, text); Tesseract's own lines are kept (it separates
    columns into blocks), in reading order as seen."""
    words: dict[tuple[str, str, str], list[Word]] = {}
    g = page.geometry
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = nfc(cols[11].strip())
        try:
            left, top, width, height = (float(c) for c in cols[6:10])
            conf = float(cols[10])
        except ValueError:
            continue
        if not text or conf < MIN_CONFIDENCE:
            continue
        s = points_per_pixel
        view = Rect(left * s, top * s, (left + width) * s, (top + height) * s)
        words.setdefault((cols[2], cols[3], cols[4]), []).append(
            Word(text, g.to_user(view), view, None, None)
        )
    lines = [line for ws in words.values() for line in split_row(ws, page.number)]
    lines.sort(key=lambda ln: (ln.view.y1, ln.view.x0))
    return lines


__all__ = ["LANGUAGE", "OcrError", "OcrUnavailable", "available", "read_page_ocr", "render"]
