"""The rules on what the document says and where: Decree 30/2020 Art. 8(2) and Appendix I.

NATIONAL_TITLE, MOTTO, ISSUER_NAME, NUMBER_SYMBOL, PLACE_DATE, TYPE_AND_SUBJECT, SIGNER_BLOCK,
RECIPIENTS, PAGE_SIZE, TEXT_LAYER. A rule whose text could not be read (no text layer, no OCR)
says nothing beyond the TEXT_LAYER finding: no guess.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kyso.layout.elements import Element, place_date_parts, type_code
from kyso.layout.geometry import MM, Rect
from kyso.layout.text import NONE, OCR, PageText
from kyso.layout.vocabulary import vocabulary
from verifier.layout.judge import Judge
from verifier.layout.model import DocumentKind, Outcome
from verifier.layout.signature_rules import block_of, personal_signatures

if TYPE_CHECKING:
    from verifier.layout.check import Reading

A4_MM = (210.0, 297.0)
_NUMBER = re.compile(r"^S[ốóoô]\s*(?P<colon>:?)\s*(?P<rest>.*)$", re.IGNORECASE)
_SYMBOL = re.compile(r"^(?P<num>\d+)/(?:(?P<year>\d{4})/)?(?P<symbol>[^\s/]+)$")

#: What the rules expect, with examples marked as such (messages.DETAIL_VI has the Vietnamese).
NUMBER_SYMBOL_SHAPE = "Số: <number>/<type code>-<issuer> (e.g. Số: 05/QĐ-UBND)"
PLACE_DATE_SHAPE = "<place>, ngày DD tháng MM năm YYYY (e.g. Sóc Trăng, ngày 05 tháng 3 năm 2022)"
PLACE_DATE_PADDING = "days 1-9 and months 1-2 with a leading zero (e.g. ngày 05, tháng 01)"


def _src(page: PageText | None) -> str:
    return page.source if page is not None else ""


def judge_text(reading: Reading, judge: Judge) -> None:
    _page_size(reading, judge)
    _text_layer(reading, judge)
    first = reading.first
    header = reading.header
    if first is None or first.source == NONE or header is None:
        return  # TEXT_LAYER said why; nothing else is judged on unread text
    if reading.kind is DocumentKind.ATTACHMENT:
        return  # a separate attachment carries none of the main document's header
    src = _src(first)
    g = first.geometry
    if judge.applies("NATIONAL_TITLE"):
        t = header.national_title
        if t is None:
            judge.add(
                "NATIONAL_TITLE_MISSING", page=1, expected=vocabulary().national_titles[0],
                found="not found", source=src,
            )  # fmt: skip
        elif t.view.centre_x < g.view_width * 0.45 or t.view.y0 > g.view_height * 0.25:
            judge.add(
                "NATIONAL_TITLE_POSITION", page=1, rect=t.user, expected="top right of page 1",
                found=_where(t, g.view_width, g.view_height), source=src,
            )  # fmt: skip
    if judge.applies("MOTTO") and header.motto is None:
        judge.add(
            "MOTTO_MISSING", page=1, expected=vocabulary().motto, found="not found", source=src
        )
    if judge.applies("ISSUER_NAME") and header.issuer is None:
        judge.add(
            "ISSUER_NAME_MISSING", page=1, expected="the issuing body in capitals, top left",
            found="not found", source=src,
        )  # fmt: skip
    if judge.applies("NUMBER_SYMBOL"):
        _number(header.number, type_code(vocabulary(), header.type_name), judge, src)
    if judge.applies("PLACE_DATE"):
        _place_date(header.place_date, header.number, judge, src)
    if judge.applies("TYPE_AND_SUBJECT") and header.type_name is None and header.subject is None:
        judge.add(
            "TYPE_AND_SUBJECT_MISSING", page=1,
            expected="the type name in capitals (e.g. QUYẾT ĐỊNH) and the subject, or 'V/v ...'",
            found="not found", source=src,
        )  # fmt: skip
    _signer_block(reading, judge)
    _recipients(reading, judge)


def _where(e: Element, width: float, height: float) -> str:
    side = "right" if e.view.centre_x >= width * 0.45 else "left/centre"
    return f"{e.text!r} at {side}, {e.view.y0 / height:.0%} from the top"


def _page_size(reading: Reading, judge: Judge) -> None:
    if not judge.applies("PAGE_SIZE"):
        return
    tolerance = judge.policy.tolerance("page_size_mm")
    wrong = []
    for number, w, h in reading.sizes:
        short, long_ = sorted((w / MM, h / MM))
        if abs(short - A4_MM[0]) > tolerance or abs(long_ - A4_MM[1]) > tolerance:
            wrong.append((number, short, long_))
    if wrong:
        number, short, long_ = wrong[0]
        more = f" (and {len(wrong) - 1} more pages)" if len(wrong) > 1 else ""
        judge.add(
            "PAGE_SIZE_NOT_A4", page=number,
            expected=f"210 mm x 297 mm (± {tolerance:g} mm)",
            found=f"{short:.1f} mm x {long_:.1f} mm{more}",
        )  # fmt: skip


def _text_layer(reading: Reading, judge: Judge) -> None:
    if not judge.applies("TEXT_LAYER"):
        return
    for number, page in sorted(reading.pages.items()):
        if page.source == NONE:
            judge.add(
                "TEXT_LAYER_MISSING", page=number, expected="a text layer, or OCR of the scan",
                found=reading.unread.get(number, "no text"),
            )  # fmt: skip
        elif page.source == OCR:
            judge.add(
                "TEXT_LAYER_OCR", page=number, expected="a text layer",
                found=f"scanned page read by OCR in {page.ocr_seconds:.1f} s", source=OCR,
            )  # fmt: skip
        elif page.text_chars and page.sideways_chars > page.text_chars / 2:
            judge.add(
                "TEXT_LAYER_SIDEWAYS", page=number, expected="upright text",
                found=f"{page.sideways_chars} of {page.text_chars} characters turned",
                source=page.source,
            )  # fmt: skip


def _number(e: Element | None, wanted_code: str | None, judge: Judge, src: str) -> None:
    v = vocabulary()
    if e is None:
        judge.add(
            "NUMBER_SYMBOL_MISSING", page=1, expected=NUMBER_SYMBOL_SHAPE, found="not found",
            source=src,
        )  # fmt: skip
        return
    text = v.normalise(e.text)
    m = _NUMBER.match(text)
    rest = m.group("rest") if m else ""
    kw: dict[str, Any] = {"page": e.page, "rect": e.user, "source": src}
    if re.search(r"\s/|/\s|\s-|-\s", rest):
        judge.add("NUMBER_SYMBOL_SPACING", expected="no spaces", found=repr(text), **kw)
    s = _SYMBOL.match(re.sub(r"\s+", "", rest))
    if m is None or not m.group("colon") or s is None:
        judge.add(
            "NUMBER_SYMBOL_FORMAT", expected=NUMBER_SYMBOL_SHAPE,
            found=repr(text), **kw,
        )  # fmt: skip
        return
    num, symbol = s.group("num"), s.group("symbol")
    if int(num) < 10 and len(num) < 2:
        judge.add("NUMBER_SYMBOL_NOT_PADDED", expected=f"0{num}", found=repr(num), **kw)
    parts = symbol.split("-")
    codes = v.all_codes
    head = parts[0]
    folded = {c.casefold(): c for c in codes}
    if head not in codes and head.casefold() in folded:
        judge.add(
            "NUMBER_SYMBOL_TYPE_CODE", expected=folded[head.casefold()], found=repr(head), **kw
        )
    elif head in codes and wanted_code is not None and head != wanted_code:
        judge.add("NUMBER_SYMBOL_TYPE_CODE", expected=wanted_code, found=repr(head), **kw)
    lower = [
        p
        for p in parts
        if p
        and p not in codes
        and p.casefold() not in folded  # a type code in the wrong case: said above
        and not (p[0].isupper() or p[0].isdigit())
    ]
    if lower:
        judge.add(
            "NUMBER_SYMBOL_FORMAT", expected="the issuer's abbreviation in capitals (e.g. UBND)",
            found=repr("-".join(lower)), **kw,
        )  # fmt: skip


def _place_date(e: Element | None, number: Element | None, judge: Judge, src: str) -> None:
    if e is None:
        judge.add(
            "PLACE_DATE_MISSING", page=1, expected=PLACE_DATE_SHAPE,
            found="not found", source=src,
        )  # fmt: skip
        return
    parts = place_date_parts(e.text) or {}
    kw: dict[str, Any] = {"page": e.page, "rect": e.user, "source": src}
    day, month = parts.get("day", ""), parts.get("month", "")
    bad = []
    if day.isdigit() and int(day) < 10 and len(day) < 2:
        bad.append(f"ngày {day}")
    if month.isdigit() and int(month) in (1, 2) and len(month) < 2:
        bad.append(f"tháng {month}")
    if bad:
        judge.add(
            "PLACE_DATE_NOT_PADDED",
            expected=PLACE_DATE_PADDING,
            found=", ".join(bad),
            **kw,
        )
    if e.lines[0].italic is False:  # the font says upright; OCR and unknown fonts say nothing
        judge.add("PLACE_DATE_NOT_ITALIC", expected="italic", found="upright font", **kw)
    if number is not None:
        gap = abs(e.view.centre_y - number.view.centre_y)
        if gap > judge.policy.tolerance("number_row_pt"):
            judge.add(
                "PLACE_DATE_NOT_ON_NUMBER_ROW", expected="same row as the number",
                found=f"{gap:.0f} pt apart", **kw,
            )  # fmt: skip


def _signer_block(reading: Reading, judge: Judge) -> None:
    if not judge.applies("SIGNER_BLOCK"):
        return
    v = vocabulary()
    blocks = reading.blocks
    last = reading.pages.get(reading.page_count)
    src = _src(last)
    if not blocks:
        # a page read by OCR may have lost the block under the seal's ink: not a sure miss
        unsure = [n for n, p in reading.pages.items() if p.source in (NONE, OCR)]
        judge.add(
            "SIGNER_BLOCK_MISSING",
            outcome=Outcome.UNKNOWN if unsure else Outcome.VIOLATED,
            page=reading.page_count,
            expected="title lines (KT. CHỦ TỊCH / PHÓ CHỦ TỊCH), space, the signer's name",
            found=(
                "not found on the pages read by OCR or without text: "
                + ", ".join(map(str, sorted(unsure)))
                if unsure
                else "not found"
            ),
            source=src,
        )
        return
    if len(blocks) > 1 and not _disambiguated(reading):
        judge.add(
            "SIGNER_BLOCK_SEVERAL", outcome=Outcome.UNKNOWN, page=blocks[0].page,
            rect=_union([b.user for b in blocks]), expected="one signer block",
            found="; ".join(f"{b.title} / {b.name}" for b in blocks), source=src,
        )  # fmt: skip
    for b in blocks:
        kw: dict[str, Any] = {
            "page": b.page,
            "rect": b.user,
            "source": _src(reading.pages.get(b.page)),
        }
        if b.prefix is not None and b.prefix not in v.authority_prefixes:
            judge.add(
                "SIGNER_BLOCK_PREFIX", expected=", ".join(v.authority_prefixes),
                found=repr(b.prefix), **kw,
            )  # fmt: skip
        if b.name_prefix is not None:
            judge.add(
                "SIGNER_BLOCK_ACADEMIC_TITLE", expected="the name alone",
                found=repr(b.name_line.text), **kw,
            )  # fmt: skip


def _disambiguated(reading: Reading) -> bool:
    """Several blocks are fine when every signed personal signature sits in one of them."""
    personal = personal_signatures(reading)
    return bool(personal) and all(block_of(reading, f) is not None for f in personal)


def _union(rects: list[Rect]) -> Rect:
    r = rects[0]
    for x in rects[1:]:
        r = r.union(x)
    return r


def _recipients(reading: Reading, judge: Judge) -> None:
    if not judge.applies("RECIPIENTS") or not reading.blocks:
        return
    v = vocabulary()
    page = reading.blocks[-1].page
    src = _src(reading.pages.get(page))
    r = reading.recipients
    if r is None:
        judge.add(
            "RECIPIENTS_MISSING", page=page, expected="Nơi nhận: ... - Lưu: VT, ...",
            found="not found", source=src,
        )  # fmt: skip
        return
    if r.archive is None:
        judge.add(
            "RECIPIENTS_NO_ARCHIVE", page=page, rect=r.heading.user,
            expected="a last line 'Lưu: VT, ...'",
            found=repr(r.items[-1].text) if r.items else "an empty list", source=src,
        )  # fmt: skip
        return
    after = v.normalise(r.archive.text).split(":", 1)[-1].strip()
    first = re.split(r"[\s,.;]+", after)[0] if after else ""
    if first != v.archive_office:
        judge.add(
            "RECIPIENTS_ARCHIVE_NOT_VT", page=page, rect=r.archive.user,
            expected="Lưu: VT, ...", found=repr(r.archive.text), source=src,
        )  # fmt: skip


__all__ = ["judge_text"]
