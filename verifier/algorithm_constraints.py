"""The algorithm constraints of issue 11 §2, as data (same :class:`~verifier.constraints.Constraint`
rows and policy names as :mod:`verifier.constraints`, split from it for size).

``SIGNATURE_ALGORITHM`` (SAV 5.2.8): the signature scheme and RSASSA-PSS parameters the policy
accepts (Circular 15/2025/TT-BKHCN Appendix I: RSA and ECDSA), judged only after the value
verified.  ``VALIDATION_DATA_ALGORITHMS`` (XCV 5.2.6): what the chain, the OCSP responses, the
CRLs and the timestamp tokens were signed with, weak ones judged at the level of the
signature's own digest (``DIGEST_ALGORITHM``) or key size (``PUBLIC_KEY_SIZE``).
"""

from __future__ import annotations

from verifier.constraints import Constraint
from verifier.model import Indication, SubIndication

_I = Indication.INDETERMINATE
_S = SubIndication

SIGNATURE_ALGORITHM = Constraint(
    "SIGNATURE_ALGORITHM",
    "SIGNATURE_ALGORITHM_OK",
    "SIGNATURE_ALGORITHM_NOT_ALLOWED",
    "sav.signature_algorithm",
    failure=_I,
    sub=_S.CRYPTO_CONSTRAINTS_FAILURE,
)
PSS_PARAMETERS = Constraint(
    "SIGNATURE_ALGORITHM",
    "SIGNATURE_ALGORITHM_OK",
    "PSS_PARAMETERS_NOT_ALLOWED",
    "sav.pss_parameters",
    failure=_I,
    sub=_S.CRYPTO_CONSTRAINTS_FAILURE,
)
#: Chain / OCSP / CRL / token algorithms; weak ones judged at the level of the signature's own
#: digest (DIGEST_ALGORITHM) or key size (PUBLIC_KEY_SIZE): :mod:`verifier.process.cryptographic`.
VALIDATION_DATA_ALGORITHMS = Constraint(
    "VALIDATION_DATA_ALGORITHMS",
    "VALIDATION_DATA_ALGORITHMS_OK",
    "VALIDATION_DATA_ALGORITHM_WEAK",
    "xcv.validation_data_algorithms",
    failure=_I,
    sub=_S.CRYPTO_CONSTRAINTS_FAILURE,
)
VALIDATION_DATA_DIGEST = Constraint(
    "VALIDATION_DATA_ALGORITHMS",
    "VALIDATION_DATA_ALGORITHMS_OK",
    "VALIDATION_DATA_DIGEST_WEAK",
    "xcv.validation_data_digest",
    failure=_I,
    sub=_S.CRYPTO_CONSTRAINTS_FAILURE,
    level_of="DIGEST_ALGORITHM",
)
VALIDATION_DATA_KEY = Constraint(
    "VALIDATION_DATA_ALGORITHMS",
    "VALIDATION_DATA_ALGORITHMS_OK",
    "VALIDATION_DATA_KEY_TOO_SHORT",
    "xcv.validation_data_key",
    failure=_I,
    sub=_S.CRYPTO_CONSTRAINTS_FAILURE,
    level_of="PUBLIC_KEY_SIZE",
)


__all__ = [
    "PSS_PARAMETERS",
    "SIGNATURE_ALGORITHM",
    "VALIDATION_DATA_ALGORITHMS",
    "VALIDATION_DATA_DIGEST",
    "VALIDATION_DATA_KEY",
]
