"""Every constraint kyso checks, declared once as data (DSS's check classes, as a table).

A policy constraint (``POLICY_CONSTRAINTS``: the names the policy JSON files set levels for)
belongs to one EN 319 102-1 building block.  A :class:`Constraint` is one way of checking it:
the code reported when it holds and when it does not, the indication and sub-indication a
violation sets at level FAIL, and the message key of its texts in :mod:`verifier.messages`.
The building blocks (``verifier/process/``) only say what they found:
``policy.judge(constraints.MESSAGE_DIGEST, Outcome.OK)``.

Block labels follow the standard: FC 5.2.2, ISC 5.2.3, VCI 5.2.4, XCV 5.2.6 (revocation status
included), CV 5.2.7, SAV 5.2.8, TS 5.4 (time-stamp validation), PSV 5.6.2.4.  Until 2026-12
kyso labelled revocation "RAC" and the signature timestamp checks "VTS" (which in the standard
is validation time sliding, 5.6.2.2, which kyso does not implement).
"""

from __future__ import annotations

from dataclasses import dataclass

from kyso.pki.outcomes import ChainFailure, outcome_of
from verifier.model import Indication, SubIndication

#: Policy constraint name -> (building block, mandatory: no policy may lower it below FAIL).
POLICY_CONSTRAINTS: dict[str, tuple[str, bool]] = {
    "SIGNATURE_DICTIONARY": ("FC", True),
    "SUB_FILTER": ("FC", True),
    "BYTE_RANGE": ("FC", True),
    "CONTENTS": ("FC", True),
    "DETACHED_CONTENT": ("FC", True),
    "REVISION_COVERAGE": ("FC", True),
    "CHANGES_AFTER_SIGNING": ("FC", True),
    "ANNOTATIONS_AFTER_SIGNING": ("FC", False),
    "ANNOTATION_OVERLAP": ("FC", True),
    "ANNOTATION_OVER_CONTENT": ("FC", True),
    "DOCMDP": ("FC", True),
    # verifier.change_constraints: a signature in a new visible field after a P=2
    # certification; what the touched pages show, rendered at signing and now
    "NEW_FIELD_AFTER_CERTIFICATION": ("FC", False),
    "VISUAL_DIFFERENCE": ("FC", False),
    "VISUAL_ADDITION": ("FC", False),
    "SIGNING_CERTIFICATE": ("ISC", True),
    "SIGNING_CERTIFICATE_REFERENCE": ("ISC", True),
    "SIGNING_CERTIFICATE_REFERENCE_PRESENT": ("ISC", False),
    "MESSAGE_DIGEST": ("CV", True),
    "SIGNATURE_VALUE": ("CV", True),
    "DIGEST_INFO_ENCODING": ("CV", False),
    "CONTENT_TYPE": ("SAV", True),
    "DIGEST_ALGORITHM": ("SAV", False),
    "PUBLIC_KEY_SIZE": ("SAV", False),
    "SIGNATURE_ALGORITHM": ("SAV", False),
    # A content timestamp is a signed attribute: part of what the signer signed.
    "CONTENT_TIMESTAMP": ("SAV", True),
    "CLAIMED_SIGNING_TIME": ("SAV", False),
    "CERTIFICATE_CHAIN": ("XCV", True),
    "CERTIFICATE_VALIDITY": ("XCV", True),
    "KEY_USAGE": ("XCV", False),
    "EXTENDED_KEY_USAGE": ("XCV", False),
    "REVOCATION": ("XCV", True),
    "VALIDATION_DATA_ALGORITHMS": ("XCV", False),
    "SIGNATURE_TIMESTAMP_PRESENT": ("TS", False),
    # A signature timestamp is an unsigned attribute anyone can swap: judged, never mandatory.
    "SIGNATURE_TIMESTAMP_IMPRINT": ("TS", False),
    "SIGNATURE_TIMESTAMP_VALID": ("TS", False),
}
#: Every policy constraint with its building block.
CONSTRAINTS: dict[str, str] = {name: block for name, (block, _) in POLICY_CONSTRAINTS.items()}
#: Constraints no policy may lower below FAIL.
MANDATORY = frozenset(name for name, (_, mandatory) in POLICY_CONSTRAINTS.items() if mandatory)

_F, _I = Indication.TOTAL_FAILED, Indication.INDETERMINATE
_S = SubIndication


@dataclass(frozen=True)
class Constraint:
    """One check of a policy constraint.

    ``name`` is the policy constraint reported; its level comes from ``level_of`` (default: the
    same name).  A violation at level FAIL sets ``failure``/``sub`` (an UNKNOWN outcome always
    sets INDETERMINATE/``sub``).  Texts: ``messages[key + ".ok"]`` and ``[key + ".fail"]``.
    """

    name: str
    ok: str
    fail: str
    key: str
    failure: Indication = _F
    sub: SubIndication = _S.NONE
    level_of: str = ""

    @property
    def block(self) -> str:
        return CONSTRAINTS[self.name]

    @property
    def level_name(self) -> str:
        return self.level_of or self.name


def _chain_sub(failure: ChainFailure, *, ca: bool = False, proven: bool = False) -> SubIndication:
    """The sub-indication from kyso.pki's outcome table (one place for the mapping)."""
    row = outcome_of(failure)
    if proven:
        return SubIndication(row.proven_sub_indication)
    return SubIndication(row.ca_sub_indication if ca else row.sub_indication)


# --- FC: format checking (5.2.2) ---------------------------------------------------------------
SIGNATURE_DICTIONARY = Constraint(
    "SIGNATURE_DICTIONARY",
    "SIGNATURE_DICTIONARY_OK",
    "SIGNATURE_DICTIONARY_INVALID",
    "fc.signature_dictionary",
    sub=_S.FORMAT_FAILURE,
)
SIGNATURE_UNREADABLE = Constraint(
    "SIGNATURE_DICTIONARY",
    "SIGNATURE_DICTIONARY_OK",
    "SIGNATURE_UNREADABLE",
    "fc.signature_unreadable",
    sub=_S.GENERIC,
)
SUB_FILTER = Constraint(
    "SUB_FILTER", "SUB_FILTER_OK", "SUB_FILTER_INVALID", "fc.sub_filter", sub=_S.FORMAT_FAILURE
)
BYTE_RANGE = Constraint(
    "BYTE_RANGE", "BYTE_RANGE_OK", "BYTE_RANGE_INVALID", "fc.byte_range", sub=_S.FORMAT_FAILURE
)
REVISION_COVERAGE = Constraint(
    "REVISION_COVERAGE",
    "REVISION_COVERAGE_OK",
    "REVISION_COVERAGE_INVALID",
    "fc.revision_coverage",
    sub=_S.FORMAT_FAILURE,
)
REVISION_COVERAGE_UNREADABLE = Constraint(
    "REVISION_COVERAGE",
    "REVISION_COVERAGE_OK",
    "REVISION_COVERAGE_UNKNOWN",
    "fc.revision_coverage_unreadable",
    sub=_S.GENERIC,
)
CONTENTS = Constraint(
    "CONTENTS", "CONTENTS_OK", "CONTENTS_INVALID", "fc.contents", sub=_S.FORMAT_FAILURE
)
DETACHED_CONTENT = Constraint(
    "DETACHED_CONTENT",
    "DETACHED_CONTENT_OK",
    "DETACHED_CONTENT_INVALID",
    "fc.detached_content",
    sub=_S.FORMAT_FAILURE,
)
NO_CHANGES_AFTER_SIGNING = Constraint(
    "CHANGES_AFTER_SIGNING",
    "NO_CHANGES_AFTER_SIGNING",
    "DISALLOWED_CHANGES_AFTER_SIGNING",
    "fc.no_changes",
    sub=_S.FORMAT_FAILURE,
)
CHANGES_AFTER_SIGNING = Constraint(
    "CHANGES_AFTER_SIGNING",
    "ALLOWED_CHANGES_AFTER_SIGNING",
    "DISALLOWED_CHANGES_AFTER_SIGNING",
    "fc.changes",
    sub=_S.FORMAT_FAILURE,
)
CHANGES_STRUCTURE_UNREADABLE = Constraint(
    "CHANGES_AFTER_SIGNING",
    "ALLOWED_CHANGES_AFTER_SIGNING",
    "CHANGES_NOT_ANALYSED",
    "fc.changes_structure_unreadable",
    sub=_S.GENERIC,
)
CHANGES_NOT_ANALYSED = Constraint(
    "CHANGES_AFTER_SIGNING",
    "ALLOWED_CHANGES_AFTER_SIGNING",
    "CHANGES_NOT_ANALYSED",
    "fc.changes_not_analysed",
    sub=_S.GENERIC,
)
DOCMDP_UNCHANGED = Constraint(
    "DOCMDP",
    "DOCMDP_OK",
    "MDP_PERMISSIONS_VIOLATED",
    "fc.docmdp_unchanged",
    sub=_S.FORMAT_FAILURE,
)
DOCMDP = Constraint(
    "DOCMDP", "DOCMDP_OK", "MDP_PERMISSIONS_VIOLATED", "fc.docmdp", sub=_S.FORMAT_FAILURE
)
DOCMDP_NOT_CHECKED = Constraint(
    "DOCMDP", "DOCMDP_OK", "DOCMDP_NOT_CHECKED", "fc.docmdp_not_checked", sub=_S.GENERIC
)
ANNOTATIONS_AFTER_SIGNING = Constraint(
    "ANNOTATIONS_AFTER_SIGNING",
    "ANNOTATIONS_ALLOWED_BY_DOCMDP",
    "ANNOTATIONS_AFTER_SIGNING",
    "fc.annotations_after_signing",
    failure=_I,
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)
ANNOTATION_OVERLAP = Constraint(
    "ANNOTATION_OVERLAP",
    "NO_ANNOTATION_OVERLAP",
    "ANNOTATION_OVERLAP",
    "fc.annotation_overlap",
    sub=_S.FORMAT_FAILURE,
)
ANNOTATION_OVERLAP_UNKNOWN = Constraint(
    "ANNOTATION_OVERLAP",
    "NO_ANNOTATION_OVERLAP",
    "ANNOTATION_COVERAGE_UNKNOWN",
    "fc.annotations_coverage_unknown",
    sub=_S.GENERIC,
)
ANNOTATION_OVER_CONTENT = Constraint(
    "ANNOTATION_OVER_CONTENT",
    "NO_ANNOTATION_OVER_CONTENT",
    "ANNOTATION_OVER_CONTENT",
    "fc.annotation_over_content",
    failure=_I,
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)
ANNOTATION_OVER_CONTENT_UNKNOWN = Constraint(
    "ANNOTATION_OVER_CONTENT",
    "NO_ANNOTATION_OVER_CONTENT",
    "ANNOTATION_COVERAGE_UNKNOWN",
    "fc.annotations_coverage_unknown",
    sub=_S.GENERIC,
)
ANNOTATION_OVER_CONTENT_UNCLEAR = Constraint(
    "ANNOTATION_OVER_CONTENT",
    "NO_ANNOTATION_OVER_CONTENT",
    "ANNOTATION_COVERAGE_UNKNOWN",
    "fc.annotation_coverage_unclear",
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)

# --- ISC: identification of the signing certificate (5.2.3) ------------------------------------
SIGNING_CERTIFICATE = Constraint(
    "SIGNING_CERTIFICATE",
    "SIGNING_CERTIFICATE_FOUND",
    "NO_SIGNING_CERTIFICATE_FOUND",
    "isc.signing_certificate",
    sub=_S.NO_SIGNING_CERTIFICATE_FOUND,
)
TSA_CERTIFICATE = Constraint(
    "SIGNING_CERTIFICATE",
    "SIGNING_CERTIFICATE_FOUND",
    "NO_SIGNING_CERTIFICATE_FOUND",
    "isc.tsa_certificate",
    sub=_S.NO_SIGNING_CERTIFICATE_FOUND,
)
SIGNING_CERTIFICATE_REFERENCE = Constraint(
    "SIGNING_CERTIFICATE_REFERENCE",
    "SIGNING_CERTIFICATE_REFERENCE_OK",
    "SIGNING_CERTIFICATE_REFERENCE_MISMATCH",
    "isc.reference",
    failure=_I,
    sub=_S.NO_SIGNING_CERTIFICATE_FOUND,
)
SIGNING_CERTIFICATE_REFERENCE_PRESENT = Constraint(
    "SIGNING_CERTIFICATE_REFERENCE_PRESENT",
    "ESS_SIGNING_CERTIFICATE_PRESENT",
    "ESS_SIGNING_CERTIFICATE_ABSENT",
    "isc.reference_present",
)

# --- CV: cryptographic verification (5.2.7) ----------------------------------------------------
#: Judged UNKNOWN: an algorithm kyso cannot evaluate proves nothing (INDETERMINATE, GENERIC).
DIGEST_UNSUPPORTED = Constraint(
    "MESSAGE_DIGEST",
    "MESSAGE_DIGEST_MATCH",
    "DIGEST_ALGORITHM_UNSUPPORTED",
    "cv.digest_unsupported",
    sub=_S.GENERIC,
)
MESSAGE_DIGEST = Constraint(
    "MESSAGE_DIGEST",
    "MESSAGE_DIGEST_MATCH",
    "MESSAGE_DIGEST_MISMATCH",
    "cv.message_digest",
    sub=_S.HASH_FAILURE,
)
SIGNATURE_VALUE = Constraint(
    "SIGNATURE_VALUE",
    "SIGNATURE_VALUE_VALID",
    "SIGNATURE_VALUE_INVALID",
    "cv.signature_value",
    sub=_S.SIG_CRYPTO_FAILURE,
)
SIGNATURE_VALUE_UNSUPPORTED = Constraint(
    "SIGNATURE_VALUE",
    "SIGNATURE_VALUE_VALID",
    "SIGNATURE_ALGORITHM_UNSUPPORTED",
    "cv.signature_value_unsupported",
    sub=_S.GENERIC,
)
DIGEST_INFO_ENCODING = Constraint(
    "DIGEST_INFO_ENCODING", "DIGEST_INFO_OK", "DIGEST_INFO_WITHOUT_NULL", "cv.digest_info"
)
TIMESTAMP_IMPRINT = Constraint(
    "MESSAGE_DIGEST",
    "MESSAGE_IMPRINT_MATCH",
    "MESSAGE_IMPRINT_MISMATCH",
    "cv.timestamp_imprint",
    sub=_S.HASH_FAILURE,
)
TIMESTAMP_SIGNATURE_VALUE = Constraint(
    "SIGNATURE_VALUE",
    "SIGNATURE_VALUE_VALID",
    "SIGNATURE_VALUE_INVALID",
    "cv.timestamp_signature_value",
    sub=_S.SIG_CRYPTO_FAILURE,
)

# --- SAV: signature acceptance validation (5.2.8) ----------------------------------------------
CONTENT_TYPE = Constraint(
    "CONTENT_TYPE",
    "CONTENT_TYPE_OK",
    "CONTENT_TYPE_INVALID",
    "sav.content_type",
    sub=_S.FORMAT_FAILURE,
)
CLAIMED_SIGNING_TIME = Constraint(
    "CLAIMED_SIGNING_TIME",
    "CLAIMED_SIGNING_TIME",
    "CLAIMED_SIGNING_TIME_ABSENT",
    "sav.claimed_signing_time",
)
DIGEST_ALGORITHM_SHA1 = Constraint(
    "DIGEST_ALGORITHM",
    "DIGEST_ALGORITHM_OK",
    "DIGEST_ALGORITHM_SHA1",
    "sav.digest_algorithm",
    failure=_I,
    sub=_S.CRYPTO_CONSTRAINTS_FAILURE,
)
DIGEST_ALGORITHM_WEAK = Constraint(
    "DIGEST_ALGORITHM",
    "DIGEST_ALGORITHM_OK",
    "DIGEST_ALGORITHM_WEAK",
    "sav.digest_algorithm",
    failure=_I,
    sub=_S.CRYPTO_CONSTRAINTS_FAILURE,
)
#: Broken or unknown digests are never acceptable: judged at SIGNATURE_VALUE's (mandatory) level.
DIGEST_ALGORITHM_BROKEN = Constraint(
    "DIGEST_ALGORITHM",
    "DIGEST_ALGORITHM_OK",
    "DIGEST_ALGORITHM_BROKEN",
    "sav.digest_algorithm",
    sub=_S.CRYPTO_CONSTRAINTS_FAILURE,
    level_of="SIGNATURE_VALUE",
)
PUBLIC_KEY_SIZE = Constraint(
    "PUBLIC_KEY_SIZE",
    "PUBLIC_KEY_SIZE_OK",
    "PUBLIC_KEY_TOO_SHORT",
    "sav.public_key_size",
    failure=_I,
    sub=_S.CRYPTO_CONSTRAINTS_FAILURE,
)
PUBLIC_KEY_ALGORITHM = Constraint(
    "PUBLIC_KEY_SIZE",
    "PUBLIC_KEY_SIZE_OK",
    "PUBLIC_KEY_ALGORITHM_NOT_ALLOWED",
    "sav.public_key_algorithm",
    failure=_I,
    sub=_S.CRYPTO_CONSTRAINTS_FAILURE,
)


# --- XCV: X.509 certificate validation (5.2.6), PSV (5.6.2.4) ----------------------------------
KEY_USAGE = Constraint(
    "KEY_USAGE",
    "KEY_USAGE_OK",
    "KEY_USAGE_NOT_SIGNING",
    "xcv.key_usage",
    failure=_I,
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)
EXTENDED_KEY_USAGE = Constraint(
    "EXTENDED_KEY_USAGE",
    "EXTENDED_KEY_USAGE_OK",
    "EXTENDED_KEY_USAGE_MISMATCH",
    "xcv.extended_key_usage",
    failure=_I,
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)
TSA_EXTENDED_KEY_USAGE = Constraint(
    "EXTENDED_KEY_USAGE",
    "EXTENDED_KEY_USAGE_OK",
    "EXTENDED_KEY_USAGE_NOT_TIMESTAMPING",
    "xcv.tsa_extended_key_usage",
    failure=_I,
    sub=_S.SIG_CONSTRAINTS_FAILURE,
)
CHAIN_ERROR = Constraint(
    "CERTIFICATE_CHAIN",
    "CERTIFICATE_CHAIN_VALID",
    "CERTIFICATE_CHAIN_ERROR",
    "xcv.chain_error",
    sub=_chain_sub(ChainFailure.INVALID),
)
NO_CHAIN = Constraint(
    "CERTIFICATE_CHAIN",
    "CERTIFICATE_CHAIN_FOUND",
    "NO_CERTIFICATE_CHAIN_FOUND",
    "xcv.no_chain",
    sub=_chain_sub(ChainFailure.NO_PATH),
)
CHAIN_FOUND = Constraint(
    "CERTIFICATE_CHAIN",
    "CERTIFICATE_CHAIN_FOUND",
    "CERTIFICATE_CHAIN_INVALID",
    "xcv.chain_found",
    failure=_I,
    sub=_chain_sub(ChainFailure.INVALID),
)
CHAIN_INVALID = Constraint(
    "CERTIFICATE_CHAIN",
    "CERTIFICATE_CHAIN_FOUND",
    "CERTIFICATE_CHAIN_INVALID",
    "xcv.chain_invalid",
    failure=_I,
    sub=_chain_sub(ChainFailure.INVALID),
)
CHAIN_ALGORITHM = Constraint(
    "CERTIFICATE_CHAIN",
    "CERTIFICATE_CHAIN_FOUND",
    "CHAIN_ALGORITHM_NOT_ALLOWED",
    "xcv.chain_algorithm",
    failure=_I,
    sub=_chain_sub(ChainFailure.ALGORITHM),
)
CHAIN_VALID = Constraint(
    "CERTIFICATE_CHAIN",
    "CERTIFICATE_CHAIN_VALID",
    "CERTIFICATE_CHAIN_INVALID",
    "xcv.chain_valid",
    failure=_I,
    sub=_chain_sub(ChainFailure.INVALID),
)
REVOKED = Constraint(
    "REVOCATION",
    "NOT_REVOKED",
    "CERTIFICATE_REVOKED",
    "xcv.revoked",
    sub=_chain_sub(ChainFailure.REVOKED, proven=True),
)
REVOKED_NO_POE = Constraint(
    "REVOCATION",
    "NOT_REVOKED",
    "CERTIFICATE_REVOKED_NO_POE",
    "xcv.revoked_no_poe",
    failure=_I,
    sub=_chain_sub(ChainFailure.REVOKED),
)
CA_REVOKED_NO_POE = Constraint(
    "REVOCATION",
    "NOT_REVOKED",
    "CERTIFICATE_REVOKED_NO_POE",
    "xcv.revoked_no_poe",
    failure=_I,
    sub=_chain_sub(ChainFailure.REVOKED, ca=True),
)
REVOCATION_UNKNOWN = Constraint(
    "REVOCATION",
    "NOT_REVOKED",
    "REVOCATION_STATUS_UNKNOWN",
    "xcv.revocation_unknown",
    sub=_chain_sub(ChainFailure.REVOCATION_UNKNOWN),
)
NOT_REVOKED = Constraint(
    "REVOCATION",
    "NOT_REVOKED",
    "CERTIFICATE_REVOKED",
    "xcv.not_revoked",
    sub=_chain_sub(ChainFailure.REVOKED, proven=True),
)
REVOKED_AFTER_SIGNING = Constraint(
    "REVOCATION",
    "REVOKED_AFTER_SIGNING",
    "CERTIFICATE_REVOKED",
    "psv.revoked_after_signing",
    sub=_chain_sub(ChainFailure.REVOKED, proven=True),
)
VALID_AT_SIGNING_TIME = Constraint(
    "CERTIFICATE_VALIDITY",
    "CERTIFICATE_VALID_AT_SIGNING_TIME",
    "CERTIFICATE_OUT_OF_BOUNDS_NO_POE",
    "xcv.valid_at_signing_time",
    failure=_I,
    sub=_chain_sub(ChainFailure.EXPIRED),
)
SIGNING_TIME_UNKNOWN = Constraint(
    "CERTIFICATE_VALIDITY",
    "CERTIFICATE_VALID_AT_SIGNING_TIME",
    "SIGNING_TIME_UNKNOWN",
    "xcv.signing_time_unknown",
    sub=_S.NO_POE,
)
EXPIRED_PROVEN = Constraint(
    "CERTIFICATE_VALIDITY",
    "CERTIFICATE_VALID_AT_SIGNING_TIME",
    "CERTIFICATE_EXPIRED",
    "xcv.chain_outside_validity_proven",
    sub=_chain_sub(ChainFailure.EXPIRED, proven=True),
)
NOT_YET_VALID_PROVEN = Constraint(
    "CERTIFICATE_VALIDITY",
    "CERTIFICATE_VALID_AT_SIGNING_TIME",
    "CERTIFICATE_NOT_YET_VALID",
    "xcv.chain_outside_validity_proven",
    sub=_chain_sub(ChainFailure.NOT_YET_VALID, proven=True),
)
OUT_OF_BOUNDS_NO_POE = Constraint(
    "CERTIFICATE_VALIDITY",
    "CERTIFICATE_VALID_AT_SIGNING_TIME",
    "CERTIFICATE_OUT_OF_BOUNDS_NO_POE",
    "xcv.chain_outside_validity",
    failure=_I,
    sub=_chain_sub(ChainFailure.EXPIRED),
)
TIMESTAMP_AFTER_EXPIRY = Constraint(
    "CERTIFICATE_VALIDITY",
    "CERTIFICATE_VALID_AT_SIGNING_TIME",
    "CERTIFICATE_EXPIRED",
    "xcv.timestamp_outside_validity",
    sub=_chain_sub(ChainFailure.EXPIRED, proven=True),
)
TIMESTAMP_BEFORE_VALIDITY = Constraint(
    "CERTIFICATE_VALIDITY",
    "CERTIFICATE_VALID_AT_SIGNING_TIME",
    "CERTIFICATE_NOT_YET_VALID",
    "xcv.timestamp_outside_validity",
    sub=_chain_sub(ChainFailure.NOT_YET_VALID, proven=True),
)
CLAIMED_OUTSIDE_VALIDITY = Constraint(
    "CERTIFICATE_VALIDITY",
    "CERTIFICATE_VALID_AT_SIGNING_TIME",
    "CERTIFICATE_OUT_OF_BOUNDS_NO_POE",
    "xcv.claimed_outside_validity",
    failure=_I,
    sub=_chain_sub(ChainFailure.EXPIRED),
)


def all_constraints() -> dict[str, Constraint]:
    """Every declared constraint by its variable name (for the catalogue test), those of
    :mod:`verifier.timestamp_constraints`, :mod:`verifier.algorithm_constraints` and
    :mod:`verifier.change_constraints` included."""
    from verifier import algorithm_constraints, change_constraints, timestamp_constraints

    found = {k: v for k, v in globals().items() if isinstance(v, Constraint)}
    for module in (timestamp_constraints, algorithm_constraints, change_constraints):
        found.update((k, v) for k, v in vars(module).items() if isinstance(v, Constraint))
    return found


__all__ = ["CONSTRAINTS", "MANDATORY", "POLICY_CONSTRAINTS", "Constraint", "all_constraints"]
