"""SAV: digest algorithm and key size against the policy's algorithm rules."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.unit.process_inputs import facts, make_cert, strict, vn_gov
from verifier.model import Indication, Level, Status, SubIndication
from verifier.process import sav


def test_sha256_is_acceptable() -> None:
    c = sav.digest_algorithm(vn_gov, "sha256", None)
    assert (c.status, c.code, c.block) == (Status.PASSED, "DIGEST_ALGORITHM_OK", "SAV")
    assert c.message_en == "digest algorithm SHA-256 is acceptable"


def test_sha1_is_a_warning_by_default_and_fails_strict() -> None:
    when = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    warn = sav.digest_algorithm(vn_gov, "sha1", when)
    assert (warn.status, warn.code, warn.indication) == (
        Status.WARNING,
        "DIGEST_ALGORITHM_SHA1",
        None,
    )
    assert "signed at 2025-03-01 08:00:00 UTC" in warn.message_en
    assert "Circular 15/2025" in warn.message_en
    fail = sav.digest_algorithm(strict, "sha1", when)
    assert fail.status is Status.FAILED
    assert fail.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE


def test_md5_fails_whatever_the_digest_level() -> None:
    c = sav.digest_algorithm(vn_gov, "md5", None)
    assert vn_gov.level("DIGEST_ALGORITHM") is Level.WARN
    assert (c.name, c.block, c.status) == ("DIGEST_ALGORITHM", "SAV", Status.FAILED)
    assert c.indication is Indication.TOTAL_FAILED
    assert c.code == "DIGEST_ALGORITHM_BROKEN"


def test_key_sizes() -> None:
    assert sav.public_key_size(vn_gov, make_cert("rsa2048")).status is Status.PASSED
    short = sav.public_key_size(vn_gov, make_cert("rsa1024"))
    assert (short.code, short.indication) == ("PUBLIC_KEY_TOO_SHORT", Indication.INDETERMINATE)
    assert "shorter than 2048 bits" in short.message_en
    assert sav.public_key_size(vn_gov, make_cert("p256")).message_en == (
        "public key ECDSA secp256r1 is long enough"
    )
    assert sav.public_key_size(vn_gov, make_cert("p192")).code == "PUBLIC_KEY_TOO_SHORT"


def test_claimed_signing_time_is_for_the_record() -> None:
    c = sav.claimed_signing_time(facts(), vn_gov)
    assert (c.status, c.code) == (Status.INFORMATION, "CLAIMED_SIGNING_TIME_ABSENT")
    t = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    ok = sav.claimed_signing_time(facts(claimed_signing_time=t), vn_gov)
    assert ok.message_vi == "Thời điểm ký do người ký khai báo: 03/02/2026 04:05:06 UTC"


def test_a_fact_that_could_not_be_read_is_not_an_absent_one() -> None:
    broken = facts(errors={"claimed_signing_time": ValueError("bad signing-time")})
    try:
        sav.claimed_signing_time(broken, vn_gov)
    except ValueError:
        return
    raise AssertionError("an unreadable claim must not read as 'no claim'")
