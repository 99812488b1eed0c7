"""Key backends other than the default PKCS#11 RSA one: PKCS#12 and PEM files, RSASSA-PSS."""

from __future__ import annotations

import grpc
import pytest
from documents import decree30_pdf
from test_sign_support import RECT_SMALL, pyhanko_check, sign

from kyso.server.settings import Settings
from kyso.v1 import signer_pb2 as pb


@pytest.fixture(scope="module")
def kyso_config(config_factory, tmp_path_factory) -> Settings:
    keys = [
        config_factory.key_table("personal", "p12", backend="pkcs12"),
        config_factory.key_table("personal-ec", "pem-ec", backend="pem"),
        config_factory.key_table("personal", "token-pss", prefer_pss=True),
        config_factory.key_table("personal", "p12-pss", backend="pkcs12", prefer_pss=True),
    ]
    return config_factory.make(tmp_path_factory.mktemp("kyso-backends"), keys=keys)


@pytest.mark.parametrize("key", ["p12", "pem-ec", "token-pss", "p12-pss"])
@pytest.mark.parametrize("level", [pb.PADES_B_B, pb.PADES_B_T])
def test_backend_signs(grpc_channel: grpc.Channel, pki, assert_pdfsig_ok, key, level):
    # twice: the first B-B signature of a key teaches its CMS template, the second uses it
    for _ in range(2):
        resp = sign(
            grpc_channel,
            decree30_pdf(),
            key=key,
            level=level,
            placement=pb.SignPlacement(rect=RECT_SMALL),
        )
        assert_pdfsig_ok(resp.document, expected_signatures=1)
        (status,) = pyhanko_check(resp.document, pki.cert("root"), 1)
    mechanism = status.md_algorithm, status.pkcs7_signature_mechanism
    if key.endswith("pss"):
        assert mechanism[1] == "rsassa_pss"
    elif key == "pem-ec":
        assert "ecdsa" in mechanism[1]
