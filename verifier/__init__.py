"""PDF signature validation after ETSI EN 319 102-1, for Vietnamese state agencies.

Public surface: :func:`verifier.validation.verify` with a :class:`verifier.validation.Request`
(the document, a :class:`verifier.policy.Policy` from a :class:`verifier.policy.PolicyRegistry`,
a trust snapshot and the shared revocation fetchers) returns a
:class:`verifier.model.DocumentResult`; :func:`kyso.server.report_proto.to_proto` turns it into the
``kyso.v1.ValidationReport``; :mod:`verifier.human_report` renders it for clerks.  The change
analysis lives in :mod:`verifier.diff_analysis`.  Nothing is imported here so that importing a
subpackage stays cheap.
"""

__all__ = [
    "diff_analysis",
    "human_report",
    "model",
    "policy",
    "settings",
    "validation",
]
