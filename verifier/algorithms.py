"""SAV cryptographic constraints: digest algorithm and public key size, judged by the policy."""

from __future__ import annotations

from datetime import datetime

from asn1crypto import x509

from verifier.model import CheckResult, Indication, Outcome, SubIndication
from verifier.policy import Policy

_DISPLAY = {
    "sha1": "SHA-1",
    "sha224": "SHA-224",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
    "md5": "MD5",
}


def display(algo: str) -> str:
    return _DISPLAY.get(algo, algo.upper().replace("_", "-"))


def _when(signing_time: datetime | None) -> tuple[str, str]:
    if signing_time is None:
        return "", ""
    t = signing_time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return f" (signed at {t})", f" (ký lúc {t})"


def check_digest_algorithm(policy: Policy, algo: str, signing_time: datetime | None) -> CheckResult:
    rules = policy.algorithms
    name = display(algo)
    if algo in rules.acceptable_digests:
        return policy.judge(
            "DIGEST_ALGORITHM",
            Outcome.OK,
            "DIGEST_ALGORITHM_OK",
            f"digest algorithm {name} is acceptable",
            f"Thuật toán băm {name} đạt yêu cầu",
        )
    cite_en, cite_vi = policy.citation("DIGEST_ALGORITHM")
    when_en, when_vi = _when(signing_time)
    en = f"digest algorithm {name} is not allowed{when_en}" + (f": {cite_en}" if cite_en else "")
    vi = f"Thuật toán băm {name} không được phép sử dụng{when_vi}" + (
        f": {cite_vi}" if cite_vi else ""
    )
    if algo in rules.deprecated_digests:
        return policy.judge(
            "DIGEST_ALGORITHM",
            Outcome.NOT_OK,
            "DIGEST_ALGORITHM_SHA1" if algo == "sha1" else "DIGEST_ALGORITHM_WEAK",
            en,
            vi,
            failure=Indication.INDETERMINATE,
            sub=SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
        )
    # Broken or unknown digests are never acceptable, whatever the level says.
    result = policy.judge(
        "SIGNATURE_VALUE",
        Outcome.NOT_OK,
        "DIGEST_ALGORITHM_BROKEN",
        en,
        vi,
        sub=SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
    )
    result.name = "DIGEST_ALGORITHM"
    result.block = "SAV"
    return result


def key_description(cert: x509.Certificate) -> tuple[str, int]:
    pk = cert.public_key
    algo = pk.algorithm
    try:
        bits = int(pk.bit_size)
    except (ValueError, KeyError, TypeError):
        bits = 0
    if algo == "rsa":
        return f"RSA {bits}", bits
    if algo == "ec":
        try:
            curve = pk.curve[1]
        except (ValueError, KeyError, TypeError):
            curve = "?"
        return f"ECDSA {curve}", bits
    return f"{algo.upper()} {bits}", bits


def check_key_size(policy: Policy, cert: x509.Certificate) -> CheckResult:
    desc, bits = key_description(cert)
    algo = cert.public_key.algorithm
    rules = policy.algorithms
    minimum = {"rsa": rules.rsa_min_bits, "ec": rules.ecdsa_min_bits}.get(algo)
    cite_en, cite_vi = policy.citation("PUBLIC_KEY_SIZE")
    if minimum is None:
        return policy.judge(
            "PUBLIC_KEY_SIZE",
            Outcome.NOT_OK,
            "PUBLIC_KEY_ALGORITHM_NOT_ALLOWED",
            f"public key algorithm {desc} is not allowed",
            f"Thuật toán khóa công khai {desc} không được phép",
            failure=Indication.INDETERMINATE,
            sub=SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
        )
    if bits < minimum:
        return policy.judge(
            "PUBLIC_KEY_SIZE",
            Outcome.NOT_OK,
            "PUBLIC_KEY_TOO_SHORT",
            f"public key {desc} is shorter than {minimum} bits"
            + (f": {cite_en}" if cite_en else ""),
            f"Khóa công khai {desc} ngắn hơn {minimum} bit" + (f": {cite_vi}" if cite_vi else ""),
            failure=Indication.INDETERMINATE,
            sub=SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
        )
    return policy.judge(
        "PUBLIC_KEY_SIZE",
        Outcome.OK,
        "PUBLIC_KEY_SIZE_OK",
        f"public key {desc} is long enough",
        f"Khóa công khai {desc} đạt yêu cầu",
    )
