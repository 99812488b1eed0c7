"""Indication aggregation: per signature from its checks, per document from its signatures.

A signature is TOTAL_PASSED only when every check that must run did run and
passed; a document only when every signature passed (document timestamps count as
:data:`DOCUMENT_EFFECT` says).
The safety net (``_REQUIRED``) means a check that was skipped by a bug or an
early exit can never leave a PASSED behind.
"""

from __future__ import annotations

from verifier.messages import note
from verifier.model import (
    DocumentResult,
    Indication,
    Kind,
    Message,
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


#: What a judged item's indication does to the document's, by kind (EN 319 102-1 5.6.3; DSS
#: reports timestamps beside the signatures). A signature's TOTAL_FAILED or INDETERMINATE is the
#: document's. A document timestamp is an incremental update anyone can append, as anyone can
#: swap a signature timestamp: one that fails or cannot be evaluated is reported (a document
#: warning with its reason) and is never a proof of existence, but does not lower the verdict
#: by itself. ``None``: reported only. A document holding only document timestamps is judged by
#: them (:data:`_TIMESTAMPS_ONLY`).
DOCUMENT_EFFECT: dict[Kind, dict[Indication, Indication | None]] = {
    Kind.SIGNATURE: {
        Indication.TOTAL_FAILED: Indication.TOTAL_FAILED,
        Indication.INDETERMINATE: Indication.INDETERMINATE,
    },
    Kind.DOCUMENT_TIMESTAMP: {
        Indication.TOTAL_FAILED: None,
        Indication.INDETERMINATE: None,
    },
}
_TIMESTAMPS_ONLY: dict[Indication, Indication | None] = {
    Indication.TOTAL_FAILED: Indication.TOTAL_FAILED,
    Indication.INDETERMINATE: Indication.INDETERMINATE,
}


def aggregate_document(doc: DocumentResult) -> None:
    """The document's indication from its signatures' (and document timestamps', through
    :data:`DOCUMENT_EFFECT`); a document timestamp that does not count is named in
    ``doc.warnings`` (``DOCUMENT_TIMESTAMP_NOT_USED``) with its reason."""
    if not doc.signatures:
        doc.indication, doc.sub_indication = Indication.NO_SIGNATURE_FOUND, SubIndication.NONE
        return
    only_stamps = all(s.kind is Kind.DOCUMENT_TIMESTAMP for s in doc.signatures)
    effects: list[tuple[Indication, SignatureResult]] = []
    for sig in doc.signatures:
        table = _TIMESTAMPS_ONLY if only_stamps else DOCUMENT_EFFECT[sig.kind]
        if sig.indication not in table:
            continue
        effect = table[sig.indication]
        if effect is None:
            doc.warnings.append(_not_used(sig))
        else:
            effects.append((effect, sig))
    for wanted in (Indication.TOTAL_FAILED, Indication.INDETERMINATE):
        hit = next((s for effect, s in effects if effect is wanted), None)
        if hit is not None:
            doc.indication, doc.sub_indication = wanted, hit.sub_indication
            return
    counted = [s for s in doc.signatures if only_stamps or s.kind is Kind.SIGNATURE]
    if all(s.indication is Indication.TOTAL_PASSED for s in counted):
        doc.indication, doc.sub_indication = Indication.TOTAL_PASSED, SubIndication.NONE
    else:
        doc.indication, doc.sub_indication = Indication.INDETERMINATE, SubIndication.GENERIC


def _not_used(sig: SignatureResult) -> Message:
    """The document warning naming a document timestamp that is not counted, and why."""
    reason = next(
        (c for c in sig.checks if c.indication is sig.indication and c.status is not Status.PASSED),
        None,
    )
    return note(
        "DOCUMENT_TIMESTAMP_NOT_USED",
        number=sig.index + 1,
        indication=sig.indication.value,
        sub_indication=sig.sub_indication.value,
        reason_en=reason.message_en if reason else sig.sub_indication.value,
        reason_vi=reason.message_vi if reason else "không rõ lý do",
    )
