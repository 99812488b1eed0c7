"""The ETSI TS 119 102-2 (V1.4.1) XML validation report of a validated document.

One ``SignatureValidationReport`` per signature (EN 319 102-1 indications and sub-indications as
the standard's URIs, every check as a ``ValidationConstraint``, the best signature time as its
proof of existence, the signer certificate by reference); document timestamps and certificates
are ``SignatureValidationObjects``, each timestamp with its own validation report. A document
without signatures still needs one ``SignatureValidationReport`` (the schema's minimum), with
kyso's URI ``urn:kyso:mainindication:no-signature-found``. The schema is vendored in
``verifier/schemas/ts119102_2`` (SOURCE.md); the tests validate every report against it.
Written with the standard library's ElementTree: nothing is parsed, only serialised.
"""

from __future__ import annotations

import base64
from datetime import datetime
from xml.etree import ElementTree as ET

from verifier.model import (
    CheckResult,
    DocumentResult,
    Indication,
    Kind,
    Level,
    SignatureResult,
    Status,
    SubIndication,
    TimeSource,
)

VR = "http://uri.etsi.org/19102/v1.4.1#"
DS = "http://www.w3.org/2000/09/xmldsig#"
SCHEMA = "schemas/ts119102_2/TS119102-2-v141.xsd"  # inside the verifier package
_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

#: EN 319 102-1 main indications as TS 119 102-2 URIs (clause 5.1.3).
MAIN_INDICATION = {
    Indication.TOTAL_PASSED: "urn:etsi:019102:mainindication:total-passed",
    Indication.TOTAL_FAILED: "urn:etsi:019102:mainindication:total-failed",
    Indication.INDETERMINATE: "urn:etsi:019102:mainindication:indeterminate",
    Indication.NO_SIGNATURE_FOUND: "urn:kyso:mainindication:no-signature-found",
}
#: A single check's status as a building block's indication (passed / failed / indeterminate).
CHECK_INDICATION = {
    Status.PASSED: "urn:etsi:019102:mainindication:passed",
    Status.FAILED: "urn:etsi:019102:mainindication:failed",
    Status.INDETERMINATE: "urn:etsi:019102:mainindication:indeterminate",
    Status.WARNING: "urn:etsi:019102:mainindication:passed",
    Status.INFORMATION: "urn:etsi:019102:mainindication:passed",
}
#: Constraint status (TS 119 102-2 5.2.4.2.2): applied, or disabled by the policy (IGNORE).
CONSTRAINT_STATUS = {
    Level.IGNORE: "urn:etsi:019102:constraintStatus:disabled",
}
_APPLIED = "urn:etsi:019102:constraintStatus:applied"
_TYPE_OF_PROOF = {
    TimeSource.SIGNATURE_TIMESTAMP: "urn:etsi:019102:poetype:validation",
    TimeSource.TIMESTAMP_TOKEN: "urn:etsi:019102:poetype:validation",
    TimeSource.CLAIMED: "urn:etsi:019102:poetype:provided",
    TimeSource.NONE: "urn:etsi:019102:poetype:validation",
}
_OBJECT_TYPE = {
    "certificate": "urn:etsi:019102:validationObject:certificate",
    "timestamp": "urn:etsi:019102:validationObject:timestamp",
}


def _el(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    out = ET.SubElement(parent, f"{{{VR}}}{name}", attrs)
    if text is not None:
        out.text = text
    return out


def _time(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _sub_uri(sub: SubIndication) -> str:
    return f"urn:etsi:019102:subindication:{sub.value}"


def _status(parent: ET.Element, name: str, main: str, sub: SubIndication) -> None:
    status = _el(parent, name)
    _el(status, "MainIndication", main)
    if sub is not SubIndication.NONE:
        _el(status, "SubIndication", _sub_uri(sub))


def _constraint(parent: ET.Element, check: CheckResult) -> None:
    c = _el(parent, "ValidationConstraint")
    _el(c, "ValidationConstraintIdentifier", f"urn:kyso:constraint:{check.block}:{check.name}")
    param = _el(c, "ValidationConstraintParameter")
    _el(param, "Type", "urn:kyso:constraint:message")
    _el(param, "Value", f"{check.code}: {check.message_en}")
    status = _el(c, "ConstraintStatus")
    _el(status, "Status", CONSTRAINT_STATUS.get(check.level, _APPLIED))
    main = CHECK_INDICATION.get(check.status)
    if main is not None:
        _status(c, "ValidationStatus", main, check.sub_indication)


class _Objects:
    """The SignatureValidationObjects list, each object once, by id."""

    def __init__(self, root: ET.Element) -> None:
        self.root = root
        self.list: ET.Element | None = None
        self.ids: set[str] = set()

    def add(self, kind: str, ident: str) -> tuple[ET.Element, bool]:
        if self.list is None:
            self.list = ET.Element(f"{{{VR}}}SignatureValidationObjects")
        new = ident not in self.ids
        self.ids.add(ident)
        if not new:
            return self.list, False
        obj = _el(self.list, "ValidationObject", id=ident)
        _el(obj, "ObjectType", _OBJECT_TYPE[kind])
        return obj, True

    def certificate(self, sha256_hex: str) -> str:
        ident = f"C-{sha256_hex.upper()}"
        obj, new = self.add("certificate", ident)
        if new:
            rep = _el(obj, "ValidationObjectRepresentation")
            dav = _el(rep, "DigestAlgAndValue")
            ET.SubElement(dav, f"{{{DS}}}DigestMethod", {"Algorithm": _SHA256})
            ET.SubElement(dav, f"{{{DS}}}DigestValue").text = base64.b64encode(
                bytes.fromhex(sha256_hex)
            ).decode("ascii")
        return ident


def _signature_report(
    parent: ET.Element, name: str, sig: SignatureResult, doc: DocumentResult, objects: _Objects
) -> None:
    report = _el(parent, name)
    ident = _el(report, "SignatureIdentifier", id=f"S-{sig.index + 1}")
    _el(ident, "HashOnly", "false")
    _el(ident, "DocHashOnly", "false")
    if sig.checks:
        constraints = _el(report, "ValidationConstraintsEvaluationReport")
        for check in sig.checks:
            _constraint(constraints, check)
    time_info = _el(report, "ValidationTimeInfo")
    _el(time_info, "ValidationTime", _time(doc.validation_time))
    best = _el(time_info, "BestSignatureTime")
    _el(best, "POETime", _time(sig.signing_time or doc.validation_time))
    _el(best, "TypeOfProof", _TYPE_OF_PROOF[sig.signing_time_source])
    attributes = []
    if sig.claimed_signing_time is not None:
        attributes.append(("SigningTime", "Time", _time(sig.claimed_signing_time)))
    if sig.sub_filter:
        attributes.append(("SubFilter", "SubFilterElement", sig.sub_filter))
    if attributes:
        attrs = _el(report, "SignatureAttributes")
        for element, inner, value in attributes:
            _el(_el(attrs, element, Signed="true"), inner, value)
    cert = sig.certificate
    if cert is not None and cert.sha256:
        info = _el(report, "SignerInformation")
        _el(info, "SignerCertificate", VOReference=objects.certificate(cert.sha256))
        _el(info, "Signer", cert.common_name or cert.subject)
    status = _el(report, "SignatureValidationStatus")
    _el(status, "MainIndication", MAIN_INDICATION[sig.indication])
    if sig.sub_indication is not SubIndication.NONE:
        _el(status, "SubIndication", _sub_uri(sig.sub_indication))


def render_xml(doc: DocumentResult) -> bytes:
    """The report as UTF-8 XML (with declaration), valid against TS 119 102-2 V1.4.1."""
    ET.register_namespace("vr", VR)
    ET.register_namespace("ds", DS)
    root = ET.Element(f"{{{VR}}}ValidationReport")
    objects = _Objects(root)
    signatures = [s for s in doc.signatures if s.kind is Kind.SIGNATURE]
    for sig in signatures:
        _signature_report(root, "SignatureValidationReport", sig, doc, objects)
    if not signatures:
        report = _el(root, "SignatureValidationReport")
        _el(_el(report, "SignatureValidationStatus"), "MainIndication", MAIN_INDICATION[
            Indication.NO_SIGNATURE_FOUND if not doc.signatures else doc.indication
        ])  # fmt: skip
    for stamp in (s for s in doc.signatures if s.kind is Kind.DOCUMENT_TIMESTAMP):
        obj, _ = objects.add("timestamp", f"T-{stamp.index + 1}")
        rep = _el(obj, "ValidationObjectRepresentation")
        _el(rep, "URI", f"urn:kyso:document-timestamp:{stamp.index + 1}")
        if stamp.signing_time is not None:
            poe = _el(obj, "POE")
            _el(poe, "POETime", _time(stamp.signing_time))
            _el(poe, "TypeOfProof", "urn:etsi:019102:poetype:validation")
        _signature_report(obj, "ValidationReport", stamp, doc, objects)
    if objects.list is not None:
        root.append(objects.list)
    validator = _el(root, "SignatureValidator")
    digital_id = _el(validator, "DigitalId")
    ET.SubElement(digital_id, "{http://uri.etsi.org/02231/v2#}X509SubjectName").text = "CN=kyso"
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


__all__ = ["MAIN_INDICATION", "SCHEMA", "VR", "render_xml"]
