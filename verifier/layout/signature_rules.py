"""The signature placement rules, from the signature fields' widgets and appearances.

PERSONAL_SIGNATURE (Decree 30/2020 Art. 5; Appendix I §II.7(d)), ORGANISATION_SIGNATURE
(§II.8(a): the seal over about the left third of the personal signature; the measured ratio is
reported), SIGNATURE_ORDER (Art. 32(2)(c-d)), ATTACHMENT_SIGNATURE (§II.8(b), §III.1(d)) and
COPY_FORM (Part II). Overlaps are measured on the widget rectangles, as seen (view space).
On an unsigned draft all of them are NOT_APPLICABLE.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kyso.layout.elements import copy_forms_stated
from kyso.layout.signature_fields import ORGANISATION, PERSONAL, SignatureField
from kyso.layout.signer_block import SignerBlock
from verifier.layout.judge import Judge
from verifier.layout.model import DocumentKind, Outcome

if TYPE_CHECKING:
    from verifier.layout.check import Reading

RULES = (
    "PERSONAL_SIGNATURE",
    "ORGANISATION_SIGNATURE",
    "SIGNATURE_ORDER",
    "ATTACHMENT_SIGNATURE",
    "COPY_FORM",
)
ISO_8601_VN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\+07:00")
_NUMBER_SYMBOL = re.compile(r"\d+\s*/\s*(?:\d{4}\s*/\s*)?[^\W\d_][\w.]*(?:-[\w.]+)+")


def personal_signatures(reading: Reading) -> list[SignatureField]:
    return [f for f in reading.fields if f.signed and f.role == PERSONAL]


def _organisation(reading: Reading) -> list[SignatureField]:
    return [f for f in reading.fields if f.signed and f.role == ORGANISATION]


def block_of(reading: Reading, f: SignatureField) -> SignerBlock | None:
    """The signer block whose signature space holds ``f``'s widget (centre inside, edges
    within the margin), else None."""
    page = reading.pages.get(f.page or 0)
    if page is None or f.rect is None:
        return None
    margin = 12.0
    view = page.geometry.to_view(f.rect)
    for b in reading.blocks:
        if b.page != f.page:
            continue
        a = b.signature_area_view
        if (
            a.x0 - margin <= view.centre_x <= a.x1 + margin
            and a.y0 - margin <= view.centre_y <= a.y1 + margin
        ):
            return b
    return None


def judge_signatures(reading: Reading, judge: Judge) -> None:
    signed = [f for f in reading.fields if f.signed]
    if not signed:
        for rule in RULES:
            judge.not_applicable(rule, "draft")
        return
    kind = reading.kind
    if kind is DocumentKind.ATTACHMENT:
        for rule in RULES[:3]:
            judge.not_applicable(rule, "attachment")
        judge.not_applicable("COPY_FORM", "not_copy")
        _attachment(reading, judge)
    elif kind is DocumentKind.COPY:
        for rule in RULES[:4]:
            judge.not_applicable(rule, "copy")
        _copy(reading, judge)
    else:
        judge.not_applicable("ATTACHMENT_SIGNATURE", "not_attachment")
        judge.not_applicable("COPY_FORM", "not_copy")
        in_block = _personal(reading, judge)
        _seal(reading, judge, in_block)
        _order(reading, judge, in_block)


def _personal(reading: Reading, judge: Judge) -> SignatureField | None:
    personal = personal_signatures(reading)
    orgs = _organisation(reading)
    placed = [f for f in personal if f.visible and f.has_image and block_of(reading, f)]
    chosen = placed[-1] if placed else None
    if not judge.applies("PERSONAL_SIGNATURE"):
        return chosen
    if not personal:
        combined = [f for f in orgs if f.visible and f.has_image and block_of(reading, f)]
        if combined:
            f = combined[0]
            judge.add(
                "PERSONAL_SIGNATURE_COMBINED", page=f.page, rect=f.rect,
                expected="a personal signature, then the organisation's",
                found=f"only {f.name} by {f.common_name!r} ({f.role_evidence}), with an image "
                "in the signer block", source="signature",
            )  # fmt: skip
        else:
            judge.add(
                "PERSONAL_SIGNATURE_MISSING", expected="a visible personal signature",
                found="signers: " + ", ".join(f"{f.common_name!r} ({f.role})" for f in orgs),
                source="signature",
            )  # fmt: skip
        return None
    if chosen is not None:
        for f in personal:
            if f is not chosen and not block_of(reading, f):
                judge.add(
                    "PERSONAL_SIGNATURE_EXTRA", page=f.page, rect=f.rect,
                    expected="", found=f"{f.name} by {f.common_name!r}", source="signature",
                )  # fmt: skip
        return chosen
    f = personal[-1]
    if not f.visible or not f.has_image:
        judge.add(
            "PERSONAL_SIGNATURE_INVISIBLE", page=f.page, rect=f.rect,
            expected="the handwritten signature's image", source="signature",
            found=f"{f.name} by {f.common_name!r}: "
            + ("no widget on a page" if not f.visible else "no image in its appearance"),
        )  # fmt: skip
        return None
    if not reading.blocks:
        judge.add(
            "PERSONAL_SIGNATURE_OUTSIDE_BLOCK", outcome=Outcome.UNKNOWN, page=f.page,
            rect=f.rect, expected="between the signer's title and name lines",
            found="no signer block was found to compare with", source="signature",
        )  # fmt: skip
        return None
    b = reading.blocks[-1]
    judge.add(
        "PERSONAL_SIGNATURE_OUTSIDE_BLOCK", page=f.page, rect=f.rect,
        expected=f"between {b.title!r} and {b.name!r} on page {b.page}, "
        f"in {b.signature_area_user.as_tuple()}",
        found=f"{f.name} on page {f.page} at {f.rect.as_tuple() if f.rect else None}",
        source="signature",
    )  # fmt: skip
    return None


def _seal(reading: Reading, judge: Judge, personal: SignatureField | None) -> None:
    if not judge.applies("ORGANISATION_SIGNATURE"):
        return
    orgs = _organisation(reading)
    seals = [f for f in orgs if f.visible and f.has_image]
    if not orgs:
        judge.add(
            "ORGANISATION_SIGNATURE_MISSING", expected="the organisation's signature with its seal",
            found="no organisation signature", source="signature",
        )  # fmt: skip
        return
    if not seals:
        f = orgs[-1]
        judge.add(
            "ORGANISATION_SIGNATURE_NO_IMAGE", page=f.page, rect=f.rect,
            expected="the seal's image over the personal signature",
            found=f"{len(orgs)} organisation signature(s) without an image", source="signature",
        )  # fmt: skip
        return
    if personal is None or personal.rect is None:
        return  # PERSONAL_SIGNATURE said what is wrong; nothing to measure against
    page = reading.pages.get(personal.page or 0)
    if page is None:
        return
    p = page.geometry.to_view(personal.rect)
    best: tuple[float, SignatureField, str] | None = None
    for s in seals:
        if s.page != personal.page or s.rect is None:
            continue
        v = page.geometry.to_view(s.rect)
        hit = v.intersection(p)
        ratio = (hit.width / p.width) if hit is not None and p.width > 0 else 0.0
        side = "left" if v.x0 <= p.x0 + 0.5 else ("right" if v.x1 >= p.x1 - 0.5 else "middle")
        if best is None or ratio > best[0]:
            best = (ratio, s, side)
    lo, hi = (judge.policy.tolerance(n) for n in ("seal_overlap_min", "seal_overlap_max"))
    expected = f"about 1/3 of the signature's width, on its left ({lo:.2f}-{hi:.2f})"
    if best is None:
        f = seals[-1]
        judge.add(
            "ORGANISATION_SIGNATURE_OVERLAP", page=f.page, rect=f.rect, expected=expected,
            found=f"the seal is on page {f.page}, the personal signature on page "
            f"{personal.page}", source="signature",
        )  # fmt: skip
        return
    ratio, s, side = best
    found = f"overlap ratio {ratio:.2f} of the signature's width, seal on its {side}"
    if side == "left" and lo <= ratio <= hi:
        judge.add(
            "ORGANISATION_SIGNATURE_MEASURED", outcome=Outcome.MEASURED, page=s.page,
            rect=s.rect, expected=expected, found=found, source="signature",
        )  # fmt: skip
    else:
        judge.add(
            "ORGANISATION_SIGNATURE_OVERLAP", page=s.page, rect=s.rect, expected=expected,
            found=found, source="signature",
        )  # fmt: skip


def _order(reading: Reading, judge: Judge, personal: SignatureField | None) -> None:
    if not judge.applies("SIGNATURE_ORDER"):
        return
    people = personal_signatures(reading)
    orgs = _organisation(reading)
    if not people or not orgs:
        judge.not_applicable("SIGNATURE_ORDER", "one_kind")
        return
    first_person = min(people, key=lambda f: f.order) if personal is None else personal
    early = [f for f in orgs if f.order < first_person.order]
    if early:
        f = early[0]
        judge.add(
            "SIGNATURE_ORDER_WRONG", page=f.page, rect=f.rect,
            expected=f"{first_person.name} ({first_person.common_name!r}) signs first",
            found=f"{f.name} ({f.common_name!r}) signed as number {f.order + 1}, the "
            f"personal signature as number {first_person.order + 1}", source="signature",
        )  # fmt: skip


def _widget_text(reading: Reading, f: SignatureField) -> str:
    page = reading.pages.get(f.page or 0)
    if page is None or f.rect is None:
        return ""
    r = f.rect
    return " ".join(
        w.text
        for w in page.widget_words
        if r.x0 <= w.user.centre_x <= r.x1 and r.y0 <= w.user.centre_y <= r.y1
    )


def _top_right(reading: Reading, f: SignatureField, judge: Judge) -> bool:
    page = reading.pages.get(f.page or 0)
    if page is None or f.rect is None or f.page != 1:
        return False
    v = page.geometry.to_view(f.rect)
    share = judge.policy.tolerance("attachment_top_share")
    return v.centre_x > page.geometry.view_width / 2 and v.y0 < page.geometry.view_height * share


def _attachment(reading: Reading, judge: Judge) -> None:
    if not judge.applies("ATTACHMENT_SIGNATURE"):
        return
    orgs = [f for f in _organisation(reading) if f.page == 1] or _organisation(reading)
    expected = "an organisation signature without image, top right of page 1"
    if not orgs:
        judge.add(
            "ATTACHMENT_SIGNATURE_MISSING", expected=expected, source="signature",
            found="signers: " + ", ".join(repr(f.common_name) for f in reading.fields if f.signed),
        )  # fmt: skip
        return
    f = orgs[-1]
    kw: dict[str, Any] = {"page": f.page, "rect": f.rect, "source": "signature"}
    if f.has_image:
        judge.add("ATTACHMENT_SIGNATURE_IMAGE", expected=expected, found="an image", **kw)
    if not _top_right(reading, f, judge):
        judge.add(
            "ATTACHMENT_SIGNATURE_POSITION", expected="top right of page 1",
            found=f"page {f.page}, {f.rect.as_tuple() if f.rect else 'no widget'}", **kw,
        )  # fmt: skip
    text = _widget_text(reading, f)
    missing = []
    if not _NUMBER_SYMBOL.search(text):
        missing.append("number and symbol")
    if not ISO_8601_VN.search(text):
        missing.append("ISO 8601 time with +07:00")
    if missing:
        judge.add(
            "ATTACHMENT_SIGNATURE_TEXT", expected=" and ".join(missing),
            found=repr(text) if text else "no text", **kw,
        )  # fmt: skip


def _copy(reading: Reading, judge: Judge) -> None:
    if not judge.applies("COPY_FORM"):
        return
    orgs = [f for f in _organisation(reading) if f.page == 1]
    if not orgs:
        judge.add(
            "COPY_FORM_NO_SIGNATURE", expected="the copying organisation's signature, page 1",
            found="none on page 1", source="signature",
        )  # fmt: skip
        return
    f = orgs[-1]
    text = _widget_text(reading, f)
    header = reading.header
    stated = copy_forms_stated(text)
    if not stated and header is not None and header.copy_form is not None:
        stated = [header.copy_form.text]
    kw: dict[str, Any] = {"page": f.page, "rect": f.rect, "source": "signature"}
    if not stated:
        judge.add(
            "COPY_FORM_NOT_STATED", expected="SAO Y, SAO LỤC or TRÍCH SAO",
            found=repr(text) if text else "no text in the signature", **kw,
        )  # fmt: skip
    missing = []
    names = {n.casefold() for n in (f.common_name, f.organisation) if n}
    if not any(n in text.casefold() for n in names):
        missing.append("the copying organisation")
    if not ISO_8601_VN.search(text):
        missing.append("ISO 8601 time with +07:00")
    if missing:
        judge.add(
            "COPY_FORM_TEXT", expected=" and ".join(missing),
            found=repr(text) if text else "no text in the signature", **kw,
        )  # fmt: skip


__all__ = ["block_of", "judge_signatures", "personal_signatures"]
