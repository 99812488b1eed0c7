"""The fonts kyso draws with, and embedded TrueType subsets built once and reused.

One helper for both sides that write text into PDFs: the signer's Decree 30 text appearances
(``signer.appearance``) and the verifier's report for clerks (``verifier.human_report``). Both
use Liberation Serif, metric-compatible with Times New Roman (the typeface Decree 30/2020
prescribes) and with full Vietnamese coverage; font files are read once per process.

Subsetting a font with fontTools costs tens of milliseconds, far more than the rest of a
signature; the text of an attachment box (organisation, number and symbol, signing time) draws
on a small, stable set of characters per key.  A subset is therefore made once per (font,
character set): digits, ASCII capitals and punctuation, Đ, plus every character of the
lines (the organisation's name is constant per key); each document only gets the cached,
already compressed font program and tables written into it.

The subset's glyphs are renumbered compactly (a smaller font program than pyHanko's
``retain_gids`` subsets); the text is written with ``Identity-H`` (character code = glyph id of
the subset) and a ``ToUnicode`` map, so it extracts back exactly (pdftotext) and pdffonts
reports the font as embedded and subset.
"""

from __future__ import annotations

import hashlib
import io
import string
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fontTools import subset, ttLib
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.writer import BasePdfFileWriter

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
SERIF_REGULAR = FONT_DIR / "LiberationSerif-Regular.ttf"
SERIF_BOLD = FONT_DIR / "LiberationSerif-Bold.ttf"

# what numbers, symbols and times are written with (e.g. "Số: 15/QĐ-UBND",
# "2026-11-24T09:30:00+07:00"); the organisation's name, constant per key, is added per line
BASE_CHARACTERS = frozenset(string.digits + string.ascii_uppercase + string.punctuation + " ĐđSố")
_CACHE_SIZE = 16


@dataclass(frozen=True)
class PreparedFont:
    """A subset font program and the PDF data that goes with it, ready to copy."""

    base_font: str  # "ABCDEF+PostScriptName": the prefix marks a subset
    cmap: dict[int, int]  # code point -> glyph id of the subset
    advances: dict[int, int]  # glyph id -> advance width in font units
    units_per_em: int
    font_program: bytes  # Flate-compressed TrueType subset
    font_program_length: int
    to_unicode: bytes  # Flate-compressed ToUnicode CMap
    widths: tuple[int, ...]  # the /W array, flattened: gid [w] gid [w] ...
    descriptor: tuple[int, int, tuple[int, int, int, int], float, int, int]
    # ascent, descent, bbox, italic angle, cap height, stem v
    glyph_count: int = 0  # glyphs in the subset program (ids 0 .. count-1, compact)

    def glyphs(self, text: str) -> bytes:
        """``text`` as two-byte glyph ids for a ``Tj`` with Identity-H (0: missing glyph)."""
        return b"".join(self.cmap.get(ord(ch), 0).to_bytes(2, "big") for ch in text)

    def cid_set(self) -> bytes:
        """The /CIDSet bit string (ISO 32000-1 Table 124): bit ``7 - cid % 8`` of byte
        ``cid // 8`` is set for every CID of the subset (CIDs are glyph ids, Identity): all of
        the compact subset's glyphs, accent components of composite glyphs included, as
        ISO 19005-2 6.2.11.4.2 asks of a CIDSet."""
        used = set(range(self.glyph_count)) or {0, *self.cmap.values()}
        bits = bytearray(max(used) // 8 + 1)
        for cid in used:
            bits[cid // 8] |= 0x80 >> (cid % 8)
        return bytes(bits)

    def width(self, text: str, size: float) -> float:
        units = sum(self.advances.get(self.cmap.get(ord(ch), 0), 0) for ch in text)
        return units * size / self.units_per_em

    def embed(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        """Write the font's objects into ``writer``; the Type0 font to use as a resource."""
        name = generic.pdf_name
        program = writer.add_object(
            generic.StreamObject(
                {
                    name("/Length1"): generic.NumberObject(self.font_program_length),
                    name("/Filter"): name("/FlateDecode"),
                },
                encoded_data=self.font_program,
            )
        )
        ascent, descent, bbox, italic, cap_height, stem_v = self.descriptor
        base = name("/" + self.base_font)
        descriptor = writer.add_object(
            generic.DictionaryObject(
                {
                    name("/Type"): name("/FontDescriptor"),
                    name("/FontName"): base,
                    name("/Flags"): generic.NumberObject(0b110),  # serif, symbolic (as pyHanko)
                    name("/FontBBox"): generic.ArrayObject(generic.NumberObject(v) for v in bbox),
                    name("/ItalicAngle"): generic.FloatObject(italic),
                    name("/Ascent"): generic.NumberObject(ascent),
                    name("/Descent"): generic.NumberObject(descent),
                    name("/CapHeight"): generic.NumberObject(cap_height),
                    name("/StemV"): generic.NumberObject(stem_v),
                    name("/FontFile2"): program,
                    # PDF/A-1 6.3.5: a CID font subset lists its CIDs (here: glyph ids)
                    name("/CIDSet"): writer.add_object(
                        generic.StreamObject(stream_data=self.cid_set())
                    ),
                }
            )
        )
        widths = generic.ArrayObject()
        for i in range(0, len(self.widths), 2):
            widths.append(generic.NumberObject(self.widths[i]))
            widths.append(generic.ArrayObject([generic.NumberObject(self.widths[i + 1])]))
        cid_font = writer.add_object(
            generic.DictionaryObject(
                {
                    name("/Type"): name("/Font"),
                    name("/Subtype"): name("/CIDFontType2"),
                    name("/BaseFont"): base,
                    name("/CIDSystemInfo"): generic.DictionaryObject(
                        {
                            name("/Registry"): generic.TextStringObject("Adobe"),
                            name("/Ordering"): generic.TextStringObject("Identity"),
                            name("/Supplement"): generic.NumberObject(0),
                        }
                    ),
                    name("/FontDescriptor"): descriptor,
                    name("/CIDToGIDMap"): name("/Identity"),
                    name("/W"): widths,
                }
            )
        )
        to_unicode = writer.add_object(
            generic.StreamObject(
                {name("/Filter"): name("/FlateDecode")}, encoded_data=self.to_unicode
            )
        )
        return writer.add_object(
            generic.DictionaryObject(
                {
                    name("/Type"): name("/Font"),
                    name("/Subtype"): name("/Type0"),
                    name("/BaseFont"): base,
                    name("/Encoding"): name("/Identity-H"),
                    name("/DescendantFonts"): generic.ArrayObject([cid_font]),
                    name("/ToUnicode"): to_unicode,
                }
            )
        )


def _to_unicode(glyph_chars: dict[int, str]) -> bytes:
    entries = sorted(glyph_chars.items())
    parts = [
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
    ]
    for i in range(0, len(entries), 100):
        block = entries[i : i + 100]
        parts.append(f"{len(block)} beginbfchar\n")
        parts.extend(f"<{gid:04X}> <{ch.encode('utf-16-be').hex().upper()}>\n" for gid, ch in block)
        parts.append("endbfchar\n")
    parts.append("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
    return zlib.compress("".join(parts).encode("ascii"), 6)


def _prepare(font: Path, characters: frozenset[str]) -> PreparedFont:
    tt = ttLib.TTFont(str(font))
    options = subset.Options(layout_closure=False, notdef_outline=True)
    options.drop_tables += ["GPOS", "GDEF", "GSUB"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=sorted(ord(ch) for ch in characters))
    subsetter.subset(tt)  # glyph ids are renumbered: ids below are the subset's
    cmap = {cp: tt.getGlyphID(glyph) for cp, glyph in tt.getBestCmap().items()}
    glyph_chars: dict[int, str] = {}
    for cp in sorted(cmap):  # a glyph shared by two characters reads as the lower one
        glyph_chars.setdefault(cmap[cp], chr(cp))
    hmtx = tt["hmtx"].metrics
    upem = int(tt["head"].unitsPerEm)
    advances = {gid: int(hmtx[tt.getGlyphName(gid)][0]) for gid in set(cmap.values()) | {0}}
    head, hhea, os2 = tt["head"], tt["hhea"], tt["OS/2"]
    descriptor = (
        int(hhea.ascent),
        int(hhea.descent),
        (int(head.xMin), int(head.yMin), int(head.xMax), int(head.yMax)),
        float(getattr(tt["post"], "italicAngle", 0)),
        int(getattr(os2, "sCapHeight", 750)),
        int(10 + 220 * (os2.usWeightClass - 50) / 900),
    )
    ps_name = str(tt["name"].getDebugName(6) or font.stem).replace(" ", "")
    buf = io.BytesIO()
    tt.save(buf)
    program = buf.getvalue()
    widths: list[int] = []
    for gid in sorted(advances):
        widths += [gid, round(advances[gid] * 1000 / upem)]
    digest = hashlib.sha256("".join(sorted(characters)).encode()).digest()
    prefix = "".join(chr(ord("A") + b % 26) for b in digest[:6])
    return PreparedFont(
        f"{prefix}+{ps_name}",
        cmap,
        advances,
        upem,
        zlib.compress(program, 6),
        len(program),
        _to_unicode(glyph_chars),
        tuple(widths),
        descriptor,
        len(tt.getGlyphOrder()),
    )


class FontCache:
    """Prepared subsets by (font, character set); a small LRU shared by all requests."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._items: OrderedDict[tuple[Path, frozenset[str]], PreparedFont] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, font: Path, lines: Sequence[str] | Iterable[str] = ()) -> PreparedFont:
        """A subset covering the base characters and every character of ``lines``."""
        characters = BASE_CHARACTERS.union(*lines)
        key = (font, characters)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        prepared = _prepare(font, characters)
        with self._lock:
            self._items[key] = prepared
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return prepared


@lru_cache(maxsize=8)
def font_program(font: Path) -> bytes:
    """The font file's bytes, read once per process (fonts do not change while kyso runs)."""
    return font.read_bytes()


@lru_cache(maxsize=4)
def _metrics(font: Path) -> tuple[dict[int, str], dict[str, tuple[int, int]], int]:
    tt = ttLib.TTFont(io.BytesIO(font_program(font)), lazy=True)
    return dict(tt.getBestCmap()), dict(tt["hmtx"].metrics), int(tt["head"].unitsPerEm)


def text_width(text: str, size: float, font: Path = SERIF_REGULAR) -> float:
    """Advance width in points (NFC text: Vietnamese letters are precomposed in the cmap);
    a character the font lacks counts half an em."""
    cmap, hmtx, upem = _metrics(font)
    units = 0
    for ch in text:
        glyph = cmap.get(ord(ch))
        units += hmtx[glyph][0] if glyph in hmtx else upem // 2
    return units * size / upem


class ShapingFont(GlyphAccumulator):
    """A font shaped by HarfBuzz and subset by pyHanko when the document is written.

    pyHanko writes widths in font units; shaping at 1000 units/em keeps the spacing right.
    """

    def __init__(self, writer: BasePdfFileWriter, font: Path, font_size: float) -> None:
        super().__init__(writer, io.BytesIO(font_program(font)), font_size)
        self._per_mille = 1000 / self.units_per_em
        self.hb_font.scale = (1000, 1000)
        self.units_per_em = 1000

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        cached: Any = self._glyphs.get(glyph_id)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        cid, width = super()._get_cid_and_width(glyph_id)
        self._glyphs[glyph_id] = result = (cid, round(width * self._per_mille))
        return result


__all__ = [
    "BASE_CHARACTERS",
    "FONT_DIR",
    "SERIF_BOLD",
    "SERIF_REGULAR",
    "FontCache",
    "PreparedFont",
    "ShapingFont",
    "font_program",
    "text_width",
]
