"""From a read package and its verified attachments to the clerk's conclusion (docs/intake.md).

Order of work, for a caller (``kyso.server.intake_servicer``):

1. :func:`plan` -- after :func:`kyso.edxml.reader.read_package`: which attachments are PDFs to
   verify, which is the main document (the first manifest entry that is a PDF: edXML has no
   "main" flag, edxml.md §3), and the package-level findings;
2. the caller verifies each planned attachment through the verifier's one entry point and reads
   its text lines, giving :class:`AttachmentEvidence`;
3. :func:`conclude` -- the attachment findings, the cross-check of the main document (not for
   revocation, update or replacement packages), and the conclusion from the policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kyso.edxml import attachments as content
from kyso.edxml.model import Attachment, Family, Package
from verifier.intake.crosscheck import (
    cross_check,
    cross_check_attachment,
    header_date,
    pick_signatures,
)
from verifier.intake.model import (
    AttachmentOutcome,
    Conclusion,
    Finding,
    IntakeResult,
    Severity,
)
from verifier.intake.policy import IntakePolicy

_BUSINESS = {"1": "BUSINESS_REVOCATION", "2": "BUSINESS_UPDATE", "3": "BUSINESS_REPLACEMENT"}
#: Header fields a new document should carry (edxml.md §1.6: often left out; warn).
_EXPECTED = (
    ("Code", "Code (number and symbol)"),
    ("PromulgationInfo", "PromulgationInfo (place and date)"),
    ("SignerInfo", "SignerInfo (signer)"),
)
_WEAK_HASH = ("sha1", "md5")


@dataclass
class Plan:
    """What to verify: attachment indexes, the main document's, and the findings so far."""

    verify: list[int] = field(default_factory=list)
    main: int | None = None
    damaged: dict[int, int] = field(default_factory=dict)  # index -> EF BF BD count
    findings: list[Finding] = field(default_factory=list)


def _key(content_id: str) -> str:
    """Manifest and attachment are matched on ContentId without ``cid:`` (edxml.md §1.5)."""
    cid = content_id.strip()
    return cid[4:] if cid.lower().startswith("cid:") else cid


def plan(package: Package, policy: IntakePolicy, damaged_runs: int) -> Plan:
    out = Plan()
    f = out.findings
    if package.refusal is not None:
        f.append(policy.finding(package.refusal.value, detail=package.refusal_detail))
        return out
    if package.lenient:
        f.append(policy.finding("PACKAGE_LENIENT_PARSE"))
    if package.family is Family.STATUS:
        f.append(policy.finding("PACKAGE_STATUS_MESSAGE", detail=package.status.code))
        return out
    h = package.header
    if package.signature.present:
        f.append(
            policy.finding("PACKAGE_SIGNATURE_INFORMATION", detail=_describe_signature(package))
        )
    business = h.business_doc_type.strip() or "0"
    if business in _BUSINESS:
        f.append(policy.finding(_BUSINESS[business], detail=h.business_document_id))
    elif business != "0":
        f.append(policy.finding("BUSINESS_TYPE_UNKNOWN", detail=business))
    if business == "0":
        for element, label in _EXPECTED:
            if element not in h.present:
                f.append(policy.finding("HEADER_FIELD_MISSING", detail=label))
        if h.promulgation_date and header_date(h.promulgation_date) is None:
            f.append(policy.finding("HEADER_DATE_INVALID", detail=h.promulgation_date))
        if not package.attachments:
            f.append(policy.finding("NO_ATTACHMENT"))
    by_key = {_key(a.content_id): i for i, a in enumerate(package.attachments)}
    listed = set()
    for ref in package.references:
        k = _key(ref.content_id)
        listed.add(k)
        if k not in by_key:
            f.append(policy.finding("ATTACHMENT_MISSING", detail=ref.attachment_name or k))
    ordered = [
        by_key[_key(r.content_id)] for r in package.references if _key(r.content_id) in by_key
    ]
    ordered += [i for i in range(len(package.attachments)) if i not in ordered]
    for i in ordered:
        a = package.attachments[i]
        if _key(a.content_id) not in listed and package.references:
            f.append(
                policy.finding("ATTACHMENT_NOT_IN_MANIFEST", detail=a.attachment_name, attachment=i)
            )
        if not _usable(a, i, policy, f, package):
            continue
        if a.detected_type != content.PDF:
            f.append(
                policy.finding(
                    "ATTACHMENT_NOT_PDF",
                    detail=f"{a.attachment_name}: {a.detected_type}",
                    attachment=i,
                )
            )
            continue
        assert a.data is not None
        runs = content.count_replacement_runs(a.data)
        if runs >= damaged_runs:
            out.damaged[i] = runs
            f.append(
                policy.finding("ATTACHMENT_DAMAGED_IN_TRANSIT", detail=str(runs), attachment=i)
            )
        out.verify.append(i)
        if out.main is None:
            out.main = i
    return out


def _usable(a: Attachment, i: int, policy: IntakePolicy, f: list[Finding], p: Package) -> bool:
    if a.base64_error or a.data is None:
        f.append(
            policy.finding(
                "ATTACHMENT_BASE64_INVALID", detail=a.base64_error or "no content", attachment=i
            )
        )
        return False
    if a.zip_problem:
        f.append(policy.finding("ATTACHMENT_ZIP_INVALID", detail=a.zip_problem, attachment=i))
        return False
    if a.unzipped:
        f.append(policy.finding("ATTACHMENT_UNZIPPED", attachment=i))
    declared = {t.strip().lower() for t in (a.content_type, *_manifest_types(p, a)) if t.strip()}
    actual = a.detected_type
    if a.unzipped:
        declared.discard(content.ZIP)
    if declared and actual != content.OCTETS and declared != {actual}:
        f.append(
            policy.finding(
                "ATTACHMENT_TYPE_MISMATCH",
                detail=f"{', '.join(sorted(declared))}, content {actual}",
                attachment=i,
            )
        )
    return True


def _manifest_types(p: Package, a: Attachment) -> list[str]:
    return [r.content_type for r in p.references if _key(r.content_id) == _key(a.content_id)]


def _describe_signature(p: Package) -> str:
    s = p.signature
    parts = [f"namespace {s.namespace}"]
    if s.namespace != "http://www.w3.org/2000/09/xmldsig#":
        parts.append("not in the XMLDSig namespace")
    algorithms = [s.signature_method, *s.digest_methods]
    if any(w in a.lower() for a in algorithms for w in _WEAK_HASH):
        parts.append("weak algorithm SHA-1")
    if s.certificate_chars < 400:
        parts.append("certificate absent or truncated")
    return "; ".join(parts)


def conclude(
    package: Package,
    planned: Plan,
    outcomes: list[AttachmentOutcome],
    policy: IntakePolicy,
) -> IntakeResult:
    """The findings, cross-checks and conclusion of one package."""
    result = IntakeResult(package=package, policy=policy.name)
    findings = list(planned.findings)
    business = package.header.business_doc_type.strip() or "0"
    for o in outcomes:
        ev = o.evidence
        if ev is None:
            continue
        name = package.attachments[o.index].attachment_name
        if ev.error_code:
            findings.append(
                policy.finding("DOCUMENT_UNREADABLE", detail=ev.error_code, attachment=o.index)
            )
            continue
        sigs = ev.signatures
        if not sigs:
            rule = "MAIN_DOCUMENT_UNSIGNED" if o.main_document else "ATTACHMENT_UNSIGNED"
            findings.append(policy.finding(rule, detail=name, attachment=o.index))
        for s in sigs:
            if s.indication == "TOTAL_FAILED":
                rule = "DOCUMENT_SIGNATURE_FAILED"
            elif s.indication != "TOTAL_PASSED":
                rule = "DOCUMENT_SIGNATURE_INDETERMINATE"
            else:
                continue
            detail = f"{name} #{s.index}: {s.sub_indication or s.indication}"
            findings.append(policy.finding(rule, detail=detail, attachment=o.index))
        if ev.indication == "TOTAL_FAILED" and not any(
            s.indication == "TOTAL_FAILED" for s in sigs
        ):
            findings.append(
                policy.finding(
                    "DOCUMENT_SIGNATURE_FAILED",
                    detail=f"{name}: {ev.sub_indication}",
                    attachment=o.index,
                )
            )
        if o.main_document and len(sigs) == 1 and business == "0":
            if pick_signatures(sigs, package.header)[1] is None:
                findings.append(policy.finding("NO_ORGANISATION_SIGNATURE", attachment=o.index))
        if (
            o.main_document
            and business == "0"
            and o.index not in planned.damaged
            and ev.elements is not None
        ):
            checks, found = cross_check(package.header, ev.elements, ev, policy, o.index)
            result.cross_checks.extend(checks)
            findings.extend(found)
        elif (
            not o.main_document
            and business == "0"
            and o.index not in planned.damaged
            and ev.elements is not None
        ):
            checks, found = cross_check_attachment(package.header, ev.elements, policy, o.index)
            result.cross_checks.extend(checks)
            findings.extend(found)
    result.findings = findings
    result.conclusion = policy.conclude(findings)
    text = policy.texts[result.conclusion]
    result.conclusion_en, result.conclusion_vi = text.en, text.vi
    if package.family in (Family.DOCUMENT, Family.LEGACY_EDOC, Family.REFUSED):
        result.status_code = text.status_code
    if result.conclusion is Conclusion.RETURN_TO_SENDER:
        reasons = [x.message_vi for x in findings if x.severity is Severity.FAIL]
        result.status_description_vi = "Trả lại: " + "; ".join(dict.fromkeys(reasons))[:900]
    return result


__all__ = ["Plan", "conclude", "plan"]
