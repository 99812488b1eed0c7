"""Comparing what the header says with what the document shows (edxml.md §3).

Three levels, strongest first (:class:`verifier.intake.model.MatchLevel`):

* EXACT -- the same text;
* NORMALISED -- equal after Unicode NFC, case folding, collapsed spaces, one hyphen for every
  dash (U+2010-U+2015, U+2212), no spaces around ``/`` and ``-``, and the tone mark moved to the
  end of its syllable so the old and new placements agree ("HÒA"/"HOÀ", "thủy"/"thuỷ");
* WITHOUT_DIACRITICS -- equal once every diacritic is dropped and Đ read as D ("khớp khi bỏ
  dấu"): senders type names without diacritics (edxml.md §1.3); reported, never silent.
"""

from __future__ import annotations

import re
import unicodedata

from verifier.intake.model import MatchLevel

#: Combining tone marks of Vietnamese (grave, acute, tilde, hook above, dot below).
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad"), "-")
_SPACES = re.compile(r"\s+")
_AROUND = re.compile(r"\s*([/\-])\s*")
#: Between syllables (combining marks are not word characters to ``\w``: split on these).
_BREAKS = re.compile(r"([\s/\-.,;:()\[\]\"']+)")


def _tones_last(text: str) -> str:
    """Move each syllable's tone mark after its last letter (NFD in, NFD out)."""
    out: list[str] = []
    for word in _BREAKS.split(text):
        tones = [c for c in word if c in _TONES]
        out.append("".join(c for c in word if c not in _TONES) + "".join(tones))
    return "".join(out)


def normalise(text: str) -> str:
    """The NORMALISED form (see the module's docstring)."""
    text = unicodedata.normalize("NFD", text.translate(_DASHES)).casefold()
    text = _tones_last(text)
    text = _SPACES.sub(" ", text).strip()
    text = _AROUND.sub(r"\1", text)
    return unicodedata.normalize("NFC", text)


def strip_diacritics(text: str) -> str:
    """Without any diacritic, Đ/đ as d, normalised otherwise."""
    text = normalise(text).replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def compare(header: str, document: str) -> MatchLevel:
    """How ``header`` matches ``document`` (NOT_COMPARED when either is empty)."""
    if not header.strip() or not document.strip():
        return MatchLevel.NOT_COMPARED
    if header.strip() == document.strip():
        return MatchLevel.EXACT
    if normalise(header) == normalise(document):
        return MatchLevel.NORMALISED
    if strip_diacritics(header) == strip_diacritics(document):
        return MatchLevel.WITHOUT_DIACRITICS
    return MatchLevel.MISMATCH


def contains(haystack: str, needle: str) -> MatchLevel:
    """Whether ``needle`` appears in ``haystack`` as whole words, at the best level."""
    if not needle.strip() or not haystack.strip():
        return MatchLevel.NOT_COMPARED
    for level, form in (
        (MatchLevel.NORMALISED, normalise),
        (MatchLevel.WITHOUT_DIACRITICS, strip_diacritics),
    ):
        if re.search(rf"(?<!\w){re.escape(form(needle))}(?!\w)", form(haystack)):
            return MatchLevel.EXACT if needle in haystack else level
    return MatchLevel.MISMATCH


def number_key(number: str) -> str:
    """A document number without leading zeros ("01" and "1" are one number)."""
    n = number.strip()
    return n.lstrip("0") or n[:1] if n.isdigit() else normalise(n)


def compare_number(
    header_number: str, header_notation: str, doc_number: str, doc_notation: str
) -> MatchLevel:
    """Number and symbol: numbers without leading zeros, symbols as :func:`compare`."""
    if not (header_number or header_notation) or not (doc_number or doc_notation):
        return MatchLevel.NOT_COMPARED
    if number_key(header_number) != number_key(doc_number):
        return MatchLevel.MISMATCH
    level = compare(header_notation, doc_notation)
    if level is MatchLevel.NOT_COMPARED:
        return MatchLevel.MISMATCH if header_notation or doc_notation else MatchLevel.NORMALISED
    if level is MatchLevel.EXACT and header_number.strip() != doc_number.strip():
        return MatchLevel.NORMALISED
    return level


__all__ = [
    "compare",
    "compare_number",
    "contains",
    "normalise",
    "number_key",
    "strip_diacritics",
]
