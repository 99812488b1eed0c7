"""Decree 23/2025 Art. 15 / Circular 15/2025: the signer's certificate is checked before signing."""

from __future__ import annotations

import grpc
import pytest
from documents import decree30_pdf
from test_sign_support import RECT_SMALL, rpc_error, sign

from kyso.server.settings import Settings
from kyso.v1 import signer_pb2 as pb


@pytest.fixture(scope="module")
def kyso_config(config_factory, tmp_path_factory) -> Settings:
    """The default keys plus a weak key and one from an untrusted hierarchy."""
    keys = [
        "personal",
        "personal-revoked",
        "personal-expired",
        "personal-wrong-ku",
        "personal-rsa1024",
        "stranger",
    ]
    return config_factory.make(tmp_path_factory.mktemp("kyso-precheck"), keys=keys)


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("personal-revoked", "CERT_REVOKED"),
        ("personal-expired", "CERT_EXPIRED"),
        ("personal-wrong-ku", "CERT_KEY_USAGE"),
        ("personal-rsa1024", "CERT_KEY_TOO_WEAK"),
        ("stranger", "CERT_UNTRUSTED"),
    ],
)
def test_refused_before_signing(grpc_channel, key, code):
    status, reason = rpc_error(
        lambda: sign(
            grpc_channel,
            decree30_pdf(),
            key=key,
            level=pb.PADES_B_B,
            placement=pb.SignPlacement(rect=RECT_SMALL),
        )
    )
    assert (status, reason) == (grpc.StatusCode.FAILED_PRECONDITION, code)


def test_vietnamese_reason_for_revoked(grpc_channel):
    from kyso.server.status import error_info

    try:
        sign(
            grpc_channel,
            decree30_pdf(),
            key="personal-revoked",
            level=pb.PADES_B_B,
            placement=pb.SignPlacement(rect=RECT_SMALL),
        )
    except grpc.RpcError as err:
        code, message_vi = error_info(err)
        assert code == "CERT_REVOKED"
        assert message_vi == "chứng thư số của người ký đã bị thu hồi"
    else:
        raise AssertionError("a revoked certificate signed")


def test_valid_key_still_signs_and_check_is_cached(grpc_channel, kyso_context, pki):
    sign(
        grpc_channel,
        decree30_pdf(),
        level=pb.PADES_B_B,
        placement=pb.SignPlacement(rect=RECT_SMALL),
    )
    service = kyso_context.signing
    cert = service.keys.get("personal").certificate
    snapshot = kyso_context.trust.snapshot()
    from trust_store import sha256_fingerprint

    assert (sha256_fingerprint(cert), snapshot.version) in service.precheck._passed
