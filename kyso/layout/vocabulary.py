"""Decree 30/2020 vocabulary as data (``decree30.json``): type names and codes, prefixes.

Matching is on NFC text with white space collapsed; dashes (hyphen, en dash, em dash, minus...)
compare equal where the decree writes "-" (the motto, the symbol).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

_FILE = Path(__file__).with_name("decree30.json")


@dataclass(frozen=True)
class Vocabulary:
    national_titles: tuple[str, ...]
    motto: str
    dashes: str
    type_codes: frozenset[str]
    copy_type_codes: frozenset[str]
    legal_type_codes: frozenset[str]
    type_names: dict[str, str]
    subject_prefix: str
    authority_prefixes: tuple[str, ...]
    academic_titles: tuple[str, ...]
    copy_forms: tuple[str, ...]
    recipients_heading: str
    archive_line: str
    archive_office: str
    attachment_markers: tuple[str, ...]

    def normalise(self, text: str) -> str:
        """NFC, one space between words, every dash variant as "-"."""
        return _normalise(text, self.dashes)

    @property
    def all_codes(self) -> frozenset[str]:
        return self.type_codes | self.copy_type_codes | self.legal_type_codes


@lru_cache(maxsize=4096)
def _normalise(text: str, dashes: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(f"[{re.escape(dashes)}]", "-", text)
    return " ".join(text.split())


@cache
def vocabulary() -> Vocabulary:
    raw = json.loads(_FILE.read_text(encoding="utf-8"))
    return Vocabulary(
        national_titles=tuple(raw["national_title"]),
        motto=raw["motto"],
        dashes=raw["dashes"],
        type_codes=frozenset(raw["type_codes"]),
        copy_type_codes=frozenset(raw["copy_type_codes"]),
        legal_type_codes=frozenset(raw["legal_type_codes"]),
        type_names=dict(raw["type_names"]),
        subject_prefix=raw["official_letter_subject_prefix"],
        authority_prefixes=tuple(raw["authority_prefixes"]),
        academic_titles=tuple(raw["academic_titles"]),
        copy_forms=tuple(raw["copy_forms"]),
        recipients_heading=raw["recipients_heading"],
        archive_line=raw["archive_line"],
        archive_office=raw["archive_office"],
        attachment_markers=tuple(raw["attachment_markers"]),
    )


__all__ = ["Vocabulary", "vocabulary"]
