"""Finding codes of the layout rules, with their English and Vietnamese messages.

Every code belongs to one rule id (issue 10 §2); a message is the code's text followed by what
was expected and what was found (both filled in by the rule).
"""

from __future__ import annotations

import re

# code: (rule, English, Vietnamese)
CODES: dict[str, tuple[str, str, str]] = {
    "NATIONAL_TITLE_MISSING": (
        "NATIONAL_TITLE",
        "the national title (Quốc hiệu) is missing from the top of page 1",
        "thiếu Quốc hiệu ở đầu trang 1",
    ),
    "NATIONAL_TITLE_POSITION": (
        "NATIONAL_TITLE",
        "the national title is not at the top right of page 1",
        "Quốc hiệu không ở phía trên, bên phải trang 1",
    ),
    "MOTTO_MISSING": (
        "MOTTO",
        "the motto (Tiêu ngữ) is missing under the national title",
        "thiếu Tiêu ngữ dưới Quốc hiệu",
    ),
    "ISSUER_NAME_MISSING": (
        "ISSUER_NAME",
        "the issuing body's name is missing at the top left of page 1",
        "thiếu tên cơ quan, tổ chức ban hành văn bản ở phía trên, bên trái trang 1",
    ),
    "NUMBER_SYMBOL_MISSING": (
        "NUMBER_SYMBOL",
        "the number and symbol (Số, ký hiệu) are missing",
        "thiếu số, ký hiệu của văn bản",
    ),
    "NUMBER_SYMBOL_FORMAT": (
        "NUMBER_SYMBOL",
        "the number and symbol are not written as Decree 30 prescribes",
        "số, ký hiệu văn bản không đúng thể thức",
    ),
    "NUMBER_SYMBOL_NOT_PADDED": (
        "NUMBER_SYMBOL",
        "a number below 10 must be written with a leading zero",
        "số văn bản nhỏ hơn 10 phải ghi thêm số 0 phía trước",
    ),
    "NUMBER_SYMBOL_TYPE_CODE": (
        "NUMBER_SYMBOL",
        "the type code of the symbol is not one of Appendix III as written there",
        "chữ viết tắt tên loại văn bản trong ký hiệu không đúng Phụ lục III",
    ),
    "NUMBER_SYMBOL_SPACING": (
        "NUMBER_SYMBOL",
        "the number and symbol contain extra spaces",
        "số, ký hiệu văn bản có khoảng trắng thừa",
    ),
    "PLACE_DATE_MISSING": (
        "PLACE_DATE",
        "the place and date of issue are missing",
        "thiếu địa danh và thời gian ban hành văn bản",
    ),
    "PLACE_DATE_NOT_PADDED": (
        "PLACE_DATE",
        "a day below 10 and the months 1 and 2 must be written with a leading zero",
        "ngày nhỏ hơn 10 và tháng 1, 2 phải ghi thêm số 0 phía trước",
    ),
    "PLACE_DATE_NOT_ITALIC": (
        "PLACE_DATE",
        "the place and date are not in italics",
        "địa danh và thời gian ban hành không trình bày bằng chữ in nghiêng",
    ),
    "PLACE_DATE_NOT_ON_NUMBER_ROW": (
        "PLACE_DATE",
        "the place and date are not on the same row as the number",
        "địa danh và thời gian không cùng hàng với số, ký hiệu",
    ),
    "TYPE_AND_SUBJECT_MISSING": (
        "TYPE_AND_SUBJECT",
        "the document type name and subject (trích yếu) are missing",
        "thiếu tên loại và trích yếu nội dung văn bản",
    ),
    "SIGNER_BLOCK_MISSING": (
        "SIGNER_BLOCK",
        "no signer block (title lines, space for the signature, name) was found",
        "không tìm thấy phần chức vụ, họ tên người ký",
    ),
    "SIGNER_BLOCK_SEVERAL": (
        "SIGNER_BLOCK",
        "several candidate signer blocks",
        "có nhiều khối chức vụ, họ tên người ký",
    ),
    "SIGNER_BLOCK_PREFIX": (
        "SIGNER_BLOCK",
        "the authority prefix is not one of TM., Q., KT., TL., TUQ.",
        "ghi quyền hạn người ký không đúng (TM., Q., KT., TL., TUQ.)",
    ),
    "SIGNER_BLOCK_ACADEMIC_TITLE": (
        "SIGNER_BLOCK",
        "an academic title is written before the signer's name",
        "có học hàm, học vị trước họ tên người ký",
    ),
    "RECIPIENTS_MISSING": (
        "RECIPIENTS",
        "the recipients (Nơi nhận) are missing",
        "thiếu nơi nhận",
    ),
    "RECIPIENTS_NO_ARCHIVE": (
        "RECIPIENTS",
        "the recipients do not end with the archive line (Lưu: VT, ...)",
        "nơi nhận không có dòng lưu (Lưu: VT, ...)",
    ),
    "RECIPIENTS_ARCHIVE_NOT_VT": (
        "RECIPIENTS",
        "the archive line does not name the records office (VT) first",
        "dòng lưu không ghi văn thư (VT) trước",
    ),
    "PAGE_SIZE_NOT_A4": (
        "PAGE_SIZE",
        "the page is not A4 (210 mm x 297 mm)",
        "khổ giấy không phải A4 (210 mm x 297 mm)",
    ),
    "TEXT_LAYER_MISSING": (
        "TEXT_LAYER",
        "the page has no text layer and was not read by OCR",
        "trang không có lớp văn bản và chưa được nhận dạng ký tự (OCR)",
    ),
    "TEXT_LAYER_OCR": (
        "TEXT_LAYER",
        "the page has no text layer; its text was read by OCR",
        "trang không có lớp văn bản; nội dung được đọc bằng nhận dạng ký tự (OCR)",
    ),
    "TEXT_LAYER_SIDEWAYS": (
        "TEXT_LAYER",
        "the text is not upright as the page is shown",
        "chữ trên trang bị xoay, không đọc xuôi chiều",
    ),
    "PERSONAL_SIGNATURE_MISSING": (
        "PERSONAL_SIGNATURE",
        "the document has no personal signature of the competent person",
        "văn bản không có chữ ký số của người có thẩm quyền",
    ),
    "PERSONAL_SIGNATURE_INVISIBLE": (
        "PERSONAL_SIGNATURE",
        "the personal signature has no visible image",
        "chữ ký số của người có thẩm quyền không có hình ảnh chữ ký",
    ),
    "PERSONAL_SIGNATURE_OUTSIDE_BLOCK": (
        "PERSONAL_SIGNATURE",
        "the personal signature is not between the signer's title and name",
        "chữ ký của người có thẩm quyền không nằm giữa chức vụ và họ tên người ký",
    ),
    "PERSONAL_SIGNATURE_COMBINED": (
        "PERSONAL_SIGNATURE",
        "the signer's signature image is part of the organisation's signature; there is no "
        "separate personal digital signature",
        "hình chữ ký của người ký nằm trong chữ ký số của cơ quan; không có chữ ký số riêng "
        "của người có thẩm quyền",
    ),
    "PERSONAL_SIGNATURE_EXTRA": (
        "PERSONAL_SIGNATURE",
        "a further personal signature outside the signer block (e.g. an initial)",
        "có chữ ký số cá nhân khác ngoài khối chữ ký (ví dụ chữ ký tắt)",
    ),
    "PERSONAL_SIGNATURE_NOT_APPLICABLE": (
        "PERSONAL_SIGNATURE",
        "not applicable",
        "không áp dụng",
    ),
    "ORGANISATION_SIGNATURE_MISSING": (
        "ORGANISATION_SIGNATURE",
        "the document has no organisation signature (seal)",
        "văn bản không có chữ ký số của cơ quan, tổ chức",
    ),
    "ORGANISATION_SIGNATURE_NO_IMAGE": (
        "ORGANISATION_SIGNATURE",
        "the organisation signature shows no seal image",
        "chữ ký số của cơ quan không có hình ảnh con dấu",
    ),
    "ORGANISATION_SIGNATURE_OVERLAP": (
        "ORGANISATION_SIGNATURE",
        "the seal does not cover about the left third of the personal signature",
        "hình ảnh con dấu không trùm lên khoảng 1/3 hình ảnh chữ ký về bên trái",
    ),
    "ORGANISATION_SIGNATURE_MEASURED": (
        "ORGANISATION_SIGNATURE",
        "the seal covers the left part of the personal signature",
        "hình ảnh con dấu trùm lên phần bên trái hình ảnh chữ ký",
    ),
    "ORGANISATION_SIGNATURE_NOT_APPLICABLE": (
        "ORGANISATION_SIGNATURE",
        "not applicable",
        "không áp dụng",
    ),
    "SIGNATURE_ORDER_WRONG": (
        "SIGNATURE_ORDER",
        "the organisation signed before the competent person",
        "cơ quan ký số trước người có thẩm quyền",
    ),
    "SIGNATURE_ORDER_NOT_APPLICABLE": (
        "SIGNATURE_ORDER",
        "not applicable",
        "không áp dụng",
    ),
    "ATTACHMENT_SIGNATURE_MISSING": (
        "ATTACHMENT_SIGNATURE",
        "the attachment has no organisation signature",
        "tài liệu kèm theo không có chữ ký số của cơ quan",
    ),
    "ATTACHMENT_SIGNATURE_IMAGE": (
        "ATTACHMENT_SIGNATURE",
        "the attachment's signature shows an image (it must not)",
        "chữ ký số trên tài liệu kèm theo không được hiển thị hình ảnh",
    ),
    "ATTACHMENT_SIGNATURE_POSITION": (
        "ATTACHMENT_SIGNATURE",
        "the attachment's signature is not at the top right of page 1",
        "chữ ký số trên tài liệu kèm theo không ở góc trên, bên phải trang đầu",
    ),
    "ATTACHMENT_SIGNATURE_TEXT": (
        "ATTACHMENT_SIGNATURE",
        "the attachment's signature text lacks the number and symbol or the ISO 8601 time",
        "thông tin chữ ký số trên tài liệu kèm theo thiếu số, ký hiệu hoặc thời gian ký (ISO 8601)",
    ),
    "ATTACHMENT_SIGNATURE_NOT_APPLICABLE": (
        "ATTACHMENT_SIGNATURE",
        "not applicable",
        "không áp dụng",
    ),
    "COPY_FORM_NO_SIGNATURE": (
        "COPY_FORM",
        "the electronic copy has no signature of the copying organisation",
        "bản sao điện tử không có chữ ký số của cơ quan sao",
    ),
    "COPY_FORM_NOT_STATED": (
        "COPY_FORM",
        "the copy form (SAO Y, SAO LỤC, TRÍCH SAO) is not stated",
        "không ghi hình thức sao (SAO Y, SAO LỤC, TRÍCH SAO)",
    ),
    "COPY_FORM_TEXT": (
        "COPY_FORM",
        "the copy's signature text lacks the copying organisation or the ISO 8601 time",
        "thông tin chữ ký số của bản sao thiếu tên cơ quan sao hoặc thời gian ký (ISO 8601)",
    ),
    "COPY_FORM_NOT_APPLICABLE": (
        "COPY_FORM",
        "not applicable",
        "không áp dụng",
    ),
}


#: why a placement rule does not apply: key -> (English, Vietnamese)
NOT_APPLICABLE_WHY: dict[str, tuple[str, str]] = {
    "draft": ("the document is not signed (a draft)", "văn bản chưa được ký số (dự thảo)"),
    "attachment": (
        "a separate attachment is signed by the organisation only",
        "tài liệu kèm theo riêng chỉ có chữ ký số của cơ quan",
    ),
    "copy": (
        "an electronic copy carries the copying organisation's signature only",
        "bản sao điện tử chỉ có chữ ký số của cơ quan sao",
    ),
    "not_attachment": (
        "the document is not a separate attachment",
        "văn bản không phải tài liệu kèm theo riêng",
    ),
    "not_copy": ("the document is not an electronic copy", "văn bản không phải bản sao điện tử"),
    "one_kind": (
        "the document has only one kind of signature",
        "văn bản chỉ có một loại chữ ký số",
    ),
}


#: The fixed ``expected``/``found`` texts the rules fill in, in Vietnamese. A clerk reads the
#: Vietnamese message only: a detail with no entry here (nor in :data:`DETAIL_PATTERNS_VI`)
#: and English words in it is left out of it (the English message keeps it). An example is
#: marked "ví dụ" so that it does not read as the required value.
DETAIL_VI: dict[str, str] = {
    "not found": "không tìm thấy",
    "no text": "không có chữ",
    "no text in the signature": "chữ ký số không có dòng chữ nào",
    "an empty list": "danh sách trống",
    "an image": "có hình ảnh",
    "italic": "chữ nghiêng",
    "upright font": "chữ đứng",
    "upright text": "chữ nằm ngang, đọc xuôi",
    "no spaces": "không có dấu cách",
    "the name alone": "chỉ họ và tên (không kèm học hàm, học vị)",
    "one signer block": "một khối chữ ký",
    "a text layer": "trang có lớp chữ",
    "a text layer, or OCR of the scan": "trang có lớp chữ, hoặc đọc được bản quét bằng OCR",
    "top right of page 1": "phía trên, bên phải trang 1",
    "same row as the number": "cùng hàng với số, ký hiệu",
    "none on page 1": "không có trên trang 1",
    "no organisation signature": "không có chữ ký số của cơ quan",
    "no signer block was found to compare with": "không tìm thấy khối chữ ký để so sánh",
    "a visible personal signature": "chữ ký số cá nhân có hình ảnh",
    "a personal signature, then the organisation's": (
        "chữ ký số của người có thẩm quyền, sau đó chữ ký số của cơ quan"
    ),
    "the handwritten signature's image": "hình ảnh chữ ký tay",
    "between the signer's title and name lines": ("giữa dòng chức vụ và dòng họ tên của người ký"),
    "the organisation's signature with its seal": "chữ ký số của cơ quan, có hình con dấu",
    "the seal's image over the personal signature": (
        "hình con dấu trùm lên chữ ký của người có thẩm quyền"
    ),
    "the copying organisation's signature, page 1": "chữ ký số của cơ quan sao, trên trang 1",
    "SAO Y, SAO LỤC or TRÍCH SAO": "SAO Y, SAO LỤC hoặc TRÍCH SAO",
    "the issuing body in capitals, top left": (
        "tên cơ quan ban hành, chữ in hoa, phía trên bên trái"
    ),
    "the type name in capitals (e.g. QUYẾT ĐỊNH) and the subject, or 'V/v ...'": (
        "tên loại văn bản in hoa (ví dụ: QUYẾT ĐỊNH) và trích yếu, hoặc 'V/v ...'"
    ),
    "Số: <number>/<type code>-<issuer> (e.g. Số: 05/QĐ-UBND)": (
        "Số: <số>/<ký hiệu loại văn bản>-<cơ quan ban hành> (ví dụ: Số: 05/QĐ-UBND)"
    ),
    "the issuer's abbreviation in capitals (e.g. UBND)": (
        "chữ viết tắt tên cơ quan ban hành in hoa (ví dụ: UBND)"
    ),
    "<place>, ngày DD tháng MM năm YYYY (e.g. Sóc Trăng, ngày 05 tháng 3 năm 2022)": (
        "<địa danh>, ngày ... tháng ... năm ... (ví dụ: Sóc Trăng, ngày 05 tháng 3 năm 2022)"
    ),
    "days 1-9 and months 1-2 with a leading zero (e.g. ngày 05, tháng 01)": (
        "ngày dưới 10 và tháng 1, 2 có số 0 ở trước (ví dụ: ngày 05, tháng 01)"
    ),
    "title lines (KT. CHỦ TỊCH / PHÓ CHỦ TỊCH), space, the signer's name": (
        "dòng chức vụ (ví dụ: KT. CHỦ TỊCH / PHÓ CHỦ TỊCH), khoảng trống ký, họ tên người ký"
    ),
    "a last line 'Lưu: VT, ...'": "dòng cuối 'Lưu: VT, ...'",
}

#: Details with numbers or names in them: (pattern, Vietnamese template with ``\1``...).
DETAIL_PATTERNS_VI: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"scanned page read by OCR in ([\d.]+) s"),
        r"trang quét, đọc bằng OCR trong \1 giây",
    ),
    (re.compile(r"(\d+) of (\d+) characters turned"), r"\1/\2 ký tự bị xoay"),
    (re.compile(r"(\d+) pt apart"), r"cách nhau \1 pt"),
    (re.compile(r"signers: (.*)"), r"người ký: \1"),
    (re.compile(r"page (\d+), (\(.*\)|no widget)"), r"trang \1, \2"),
    (re.compile(r"210 mm x 297 mm \(± ([\d.]+) mm\)"), r"210 mm x 297 mm (± \1 mm)"),
    (re.compile(r"([\d.]+ mm x [\d.]+ mm)"), r"\1"),
    (
        re.compile(r"not found on the pages read by OCR or without text: (.*)"),
        r"không tìm thấy trên các trang đọc bằng OCR hoặc không có chữ: \1",
    ),
)

#: English words that keep a detail out of the Vietnamese message when no entry above names it.
_ENGLISH = re.compile(
    r"\b(?:the|not|found|no|none|only|by|with|of|on|page|signed|signature|image|expected|"
    r"and|or|as|at|number|between|first|signs|text|seal|personal|organisation)\b"
)


def detail_vi(text: str) -> str:
    """The Vietnamese of an ``expected``/``found`` detail, or ``""`` when it has none.

    Quoted document text (``'...'``) and values without English words stay as they are.
    """
    if text in DETAIL_VI:
        return DETAIL_VI[text]
    for pattern, template in DETAIL_PATTERNS_VI:
        match = pattern.fullmatch(text)
        if match is not None:
            return match.expand(template)
    if text[:1] in "'\"" and text[-1:] == text[:1]:
        return text  # the document's own words
    return "" if _ENGLISH.search(text) else text


def render(code: str, expected: str, found: str) -> tuple[str, str]:
    """(English, Vietnamese) message of a finding; the Vietnamese one has no English words
    (:func:`detail_vi`)."""
    _, en, vi = CODES[code]
    if code.endswith("_NOT_APPLICABLE"):
        return f"{en}: {found}", f"{vi}: {found}"
    parts_en, parts_vi = [en], [vi]
    if expected:
        parts_en.append(f"expected {expected}")
        if expected_vi := detail_vi(expected):
            parts_vi.append(f"cần có: {expected_vi}")
    if found:
        parts_en.append(f"found {found}")
        if found_vi := detail_vi(found):
            parts_vi.append(f"thực tế: {found_vi}")
    return "; ".join(parts_en), "; ".join(parts_vi)


__all__ = ["CODES", "DETAIL_VI", "NOT_APPLICABLE_WHY", "detail_vi", "render"]
