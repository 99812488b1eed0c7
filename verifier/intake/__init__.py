"""Intake of edXML packages from the document interconnection axis (issue 13, docs/intake.md).

The package is read by :mod:`kyso.edxml`; here: the intake policy (data), the plan (what to
verify, package-level findings), the cross-check of the header against the main document, and
the clerk's conclusion. Public modules, imported by name: :mod:`~verifier.intake.assessment`,
:mod:`~verifier.intake.crosscheck`, :mod:`~verifier.intake.document_text`,
:mod:`~verifier.intake.matching`, :mod:`~verifier.intake.model`, :mod:`~verifier.intake.policy`,
:mod:`~verifier.intake.settings`, :mod:`~verifier.intake.human_report`.
"""

__all__ = [
    "assessment",
    "crosscheck",
    "document_text",
    "human_report",
    "matching",
    "model",
    "policy",
    "settings",
]
