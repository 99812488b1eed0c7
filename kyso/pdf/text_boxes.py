"""Word boxes of a PDF's pages, as poppler's ``pdftotext -bbox`` sees them.

Why poppler: it is the text extraction clerks' own tools use, robust to fonts and encodings
pyHanko would have to decode itself. One reader serves both sides: the signer looks for anchor
text to place a visible signature (``signer.placement``, lines) and the verifier asks what an
annotation added after signing covers (``verifier.annotation_overlap``, words).

Coordinates are poppler's: user-space units (poppler ignores /UserUnit), origin at the
top-left corner of the page's media box (crop box with ``crop_box=True``) as displayed, that is
after the page's /Rotate, y downwards. The output is read with one regular expression per
element (no XML parser: nothing in it is resolved or expanded), so hostile text cannot do more
than produce odd words.
Raises :class:`TextExtractionError` when poppler is missing, fails or runs out of time.
"""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_NUM = rb'"([-0-9.]+)"'
_PAGE = re.compile(rb'<page width="([-0-9.]+)" height="([-0-9.]+)"')
_LINE = re.compile(
    rb"<line xMin=" + _NUM + rb" yMin=" + _NUM + rb" xMax=" + _NUM + rb" yMax=" + _NUM
)
_WORD = re.compile(
    rb"<word xMin="
    + _NUM
    + rb" yMin="
    + _NUM
    + rb" xMax="
    + _NUM
    + rb" yMax="
    + _NUM
    + rb">([^<]*)</word>"
)
_TOKEN = re.compile(rb"<page |<line |<word ")


class TextExtractionError(Exception):
    """pdftotext is missing, failed, or ran out of time (``timed_out``)."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


@dataclass(frozen=True)
class WordBox:
    """One word and its box (points, top-left origin)."""

    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


@dataclass(frozen=True)
class TextLine:
    """A line of words as poppler's layout analysis groups them (``lines=True`` only)."""

    words: tuple[WordBox, ...]
    x_min: float
    y_min: float
    x_max: float
    y_max: float

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class PageText:
    """The words (and, with ``lines=True``, the lines) of one page."""

    number: int  # 1-based
    width: float
    height: float
    words: tuple[WordBox, ...]
    lines: tuple[TextLine, ...] = ()


def read_text_boxes(
    pdf: bytes | Path,
    *,
    first_page: int | None = None,
    last_page: int | None = None,
    lines: bool = False,
    timeout: float = 60.0,
    crop_box: bool = False,
) -> list[PageText]:
    """Pages ``first_page``..``last_page`` (default: all) of ``pdf`` (bytes or a file).

    ``lines`` runs poppler's layout analysis (``-bbox-layout``) to group words into lines;
    without it the words come in poppler's reading order (``-bbox``), which is cheaper.
    ``crop_box`` measures from the crop box (``-cropbox``) instead of the media box: the
    coordinates are then those of :class:`kyso.pdf.page_geometry.PageGeometry`'s view (the
    visible box, turned by the page's /Rotate; the page's ``width``/``height`` stay unrotated).
    """
    argv = ["pdftotext", "-q", "-bbox-layout" if lines else "-bbox"]
    if crop_box:
        argv.append("-cropbox")
    if first_page is not None:
        argv += ["-f", str(first_page)]
    if last_page is not None:
        argv += ["-l", str(last_page)]
    argv += [str(pdf) if isinstance(pdf, Path) else "-", "-"]
    try:
        # fixed argv; the document goes to stdin or is named as a file
        proc = subprocess.run(
            argv,
            input=pdf if isinstance(pdf, bytes) else None,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TextExtractionError("pdftotext timed out", timed_out=True) from exc
    except OSError as exc:
        raise TextExtractionError(f"pdftotext cannot run: {type(exc).__name__}") from exc
    if proc.returncode != 0:
        raise TextExtractionError(f"pdftotext failed with status {proc.returncode}")
    return _parse(proc.stdout, first_page or 1)


def _word(m: re.Match[bytes]) -> WordBox:
    x_min, y_min, x_max, y_max = (float(g) for g in m.groups()[:4])
    text = html.unescape(m.group(5).decode("utf-8", errors="replace"))
    return WordBox(text, x_min, y_min, x_max, y_max)


def _parse(out: bytes, first_page: int) -> list[PageText]:
    pages: list[PageText] = []
    page: tuple[float, float] | None = None
    words: list[WordBox] = []
    lines: list[TextLine] = []
    line: tuple[float, float, float, float] | None = None
    line_words: list[WordBox] = []

    def close_line() -> None:
        nonlocal line
        if line is not None:
            lines.append(TextLine(tuple(line_words), *line))
            line_words.clear()
            line = None

    def close_page() -> None:
        close_line()
        if page is not None:
            number = first_page + len(pages)
            pages.append(PageText(number, page[0], page[1], tuple(words), tuple(lines)))
            words.clear()
            lines.clear()

    for token in _TOKEN.finditer(out):
        at = token.start()
        kind = token.group()
        if kind == b"<page ":
            m = _PAGE.match(out, at)
            if m is None:
                continue
            close_page()
            page = (float(m.group(1)), float(m.group(2)))
        elif kind == b"<line ":
            m = _LINE.match(out, at)
            if m is None:
                continue
            close_line()
            x_min, y_min, x_max, y_max = (float(g) for g in m.groups())
            line = (x_min, y_min, x_max, y_max)
        else:
            m = _WORD.match(out, at)
            if m is None or page is None:
                continue
            word = _word(m)
            words.append(word)
            if line is not None:
                line_words.append(word)
    close_page()
    return pages


__all__ = ["PageText", "TextExtractionError", "TextLine", "WordBox", "read_text_boxes"]
