"""Indication aggregation: per signature from its checks, per document from its signatures.

A signature is TOTAL_PASSED only when every check that must run did run and
passed; a document only when every signature and document timestamp passed.
The safety net (``_REQUIRED``) means a check that was skipped by a bug or an
early exit can never leave a PASSED behind.
"""

from __future__ import annotations

from verifier.model import (
    DocumentResult,
    Indication,
    Kind,
    SignatureResult,
    Status,
    SubIndication,
)

_REQUIRED_COMMON = (
    "SIGNATURE_DICTIONARY",
    "SUB_FILTER",
    "BYTE_RANGE",
    "REVISION_COVERAGE",
    "CONTENTS",
    "DETACHED_CONTENT",
    "SIGNING_CERTIFICATE",
    "MESSAGE_DIGEST",
    "SIGNATURE_VALUE",
    "CERTIFICATE_CHAIN",
    "CERTIFICATE_VALIDITY",
    "REVOCATION",
    "CHANGES_AFTER_SIGNING",
    "DOCMDP",
)
_REQUIRED = {
    Kind.SIGNATURE: (*_REQUIRED_COMMON, "CONTENT_TYPE"),
    Kind.DOCUMENT_TIMESTAMP: _REQUIRED_COMMON,
}


def aggregate_signature(sig: SignatureResult) -> None:
    failed = [c for c in sig.checks if c.indication is Indication.TOTAL_FAILED]
    if failed:
        sig.indication, sig.sub_indication = Indication.TOTAL_FAILED, failed[0].sub_indication
        return
    undecided = [c for c in sig.checks if c.indication is Indication.INDETERMINATE]
    if undecided:
        sig.indication, sig.sub_indication = Indication.INDETERMINATE, undecided[0].sub_indication
        return
    passed = {c.name for c in sig.checks if c.status is Status.PASSED}
    missing = [name for name in _REQUIRED[sig.kind] if name not in passed]
    if missing:
        sig.indication, sig.sub_indication = Indication.INDETERMINATE, SubIndication.GENERIC
        return
    sig.indication, sig.sub_indication = Indication.TOTAL_PASSED, SubIndication.NONE


def aggregate_document(doc: DocumentResult) -> None:
    if not doc.signatures:
        doc.indication, doc.sub_indication = Indication.NO_SIGNATURE_FOUND, SubIndication.NONE
        return
    for wanted in (Indication.TOTAL_FAILED, Indication.INDETERMINATE):
        hit = next((s for s in doc.signatures if s.indication is wanted), None)
        if hit is not None:
            doc.indication, doc.sub_indication = wanted, hit.sub_indication
            return
    if all(s.indication is Indication.TOTAL_PASSED for s in doc.signatures):
        doc.indication, doc.sub_indication = Indication.TOTAL_PASSED, SubIndication.NONE
    else:
        doc.indication, doc.sub_indication = Indication.INDETERMINATE, SubIndication.GENERIC
