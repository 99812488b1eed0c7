"""The PKI layer below signing and validation.

One builder of pyhanko-certvalidator validation contexts (:mod:`kyso.pki.contexts`), path
validation with embedded data first (:mod:`kyso.pki.paths`), the issuer cache
(:mod:`kyso.pki.issuers`), the revocation cache (:mod:`kyso.pki.revocation_cache`), the table from
certvalidator outcomes to ETSI sub-indications (:mod:`kyso.pki.outcomes`) and the algorithm
rules both the signer's precheck and the validation policy read (:mod:`kyso.pki.algorithms`).
Nothing here imports ``signer`` or ``verifier``: the arrows point down.
"""

from kyso.pki.algorithms import DEFAULT_RULES, AlgorithmRules, KeyStrength, key_strength
from kyso.pki.contexts import Revocation, validation_context
from kyso.pki.outcomes import ChainFailure, EtsiOutcome, classify, outcome_of

__all__ = [
    "DEFAULT_RULES",
    "AlgorithmRules",
    "ChainFailure",
    "EtsiOutcome",
    "KeyStrength",
    "Revocation",
    "classify",
    "key_strength",
    "outcome_of",
    "validation_context",
]
