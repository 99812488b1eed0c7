"""The EN 319 102-1 building blocks, one module each, as functions of (facts, context, policy).

:mod:`~verifier.process.fc` format checking (5.2.2, changes after signing included),
:mod:`~verifier.process.isc` identification of the signing certificate (5.2.3),
:mod:`~verifier.process.vci` validation context initialisation (5.2.4),
:mod:`~verifier.process.xcv` X.509 certificate validation (5.2.6),
:mod:`~verifier.process.cv` cryptographic verification (5.2.7),
:mod:`~verifier.process.sav` signature acceptance validation (5.2.8),
:mod:`~verifier.process.ts` time-stamp validation (5.4),
:mod:`~verifier.process.psv` past signature validation (5.6.2.4).
Each returns :class:`verifier.model.CheckResult`\\ s judged by the policy; the order in which
:mod:`verifier.validation` runs them is the standard's.
"""

from verifier.process._context import Context

__all__ = ["Context"]
