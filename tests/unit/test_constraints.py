"""Constraints as data: every one renders in both languages; the policy floor is unchanged."""

from __future__ import annotations

import pytest
from pyhanko_certvalidator.errors import PathBuildingError, RevokedError

from kyso.pki.outcomes import ChainFailure, classify
from verifier.constraints import CONSTRAINTS, MANDATORY, all_constraints
from verifier.messages import MESSAGES

_PARAMS = {
    "reason", "sub_filter", "sub_filter_name", "revision", "summary_en", "summary_vi",
    "violations", "found_en", "found_vi", "subject", "algorithm", "key", "minimum", "cite_en",
    "cite_vi", "when_en", "when_vi", "usages", "error", "anchor", "who_en", "who_vi", "revoked",
    "best", "source", "at_en", "at_vi", "poe", "when", "bound_en", "bound_vi", "not_before",
    "not_after", "tsa", "reason_en", "reason_vi", "which", "params", "problem", "found",
    "pages_en", "pages_vi",
}  # fmt: skip


@pytest.mark.parametrize("var", sorted(all_constraints()))
def test_every_constraint_has_a_policy_name_and_texts(var: str) -> None:
    c = all_constraints()[var]
    assert c.name in CONSTRAINTS and c.level_name in CONSTRAINTS
    keys = [k for k in (f"{c.key}.ok", f"{c.key}.fail") if k in MESSAGES]
    assert keys, f"{var}: no message for {c.key}"
    for key in keys:
        for text in MESSAGES[key]:
            fields = {f.split(":")[0] for f in _fields(text)}
            assert fields <= _PARAMS | {"claimed", "time", "count", "where"}, (key, fields)


def _fields(template: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def test_blocks_are_the_standards() -> None:
    assert set(CONSTRAINTS.values()) == {"FC", "ISC", "CV", "SAV", "XCV", "TS"}
    assert CONSTRAINTS["REVOCATION"] == "XCV"
    assert CONSTRAINTS["SIGNATURE_TIMESTAMP_VALID"] == "TS"


def test_mandatory_floor() -> None:
    assert {
        "SIGNATURE_DICTIONARY", "SUB_FILTER", "BYTE_RANGE", "CONTENTS", "DETACHED_CONTENT",
        "REVISION_COVERAGE", "CHANGES_AFTER_SIGNING", "ANNOTATION_OVERLAP",
        "ANNOTATION_OVER_CONTENT", "DOCMDP", "SIGNING_CERTIFICATE",
        "SIGNING_CERTIFICATE_REFERENCE", "MESSAGE_DIGEST", "SIGNATURE_VALUE", "CONTENT_TYPE",
        "CERTIFICATE_CHAIN", "CERTIFICATE_VALIDITY", "REVOCATION", "CONTENT_TIMESTAMP",
    } == MANDATORY  # fmt: skip
    # issue 11 §1: a signature timestamp is an unsigned attribute anyone can swap; a broken one
    # is judged at the policy's level and never fails the signature (EN 319 102-1, EU DSS)
    assert "SIGNATURE_TIMESTAMP_IMPRINT" not in MANDATORY


def test_outcome_table() -> None:
    assert classify(PathBuildingError("x")).failure is ChainFailure.NO_PATH
    row = classify(RevokedError.__new__(RevokedError))
    assert (row.sub_indication, row.ca_sub_indication, row.proven_sub_indication) == (
        "REVOKED_NO_POE",
        "REVOKED_CA_NO_POE",
        "REVOKED",
    )
    assert classify(RuntimeError()).failure is ChainFailure.INVALID
