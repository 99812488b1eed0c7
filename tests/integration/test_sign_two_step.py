"""Two-step signing: the key stays with the client (here: a PEM key signed with `cryptography`)."""

from __future__ import annotations

import hashlib
import time

import grpc
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from documents import decree30_pdf
from test_sign_support import RECT_SMALL, pyhanko_check, rpc_error, stub

from kyso.server.app import running_server
from kyso.v1 import signer_pb2 as pb
from tests.access import admin_channel


def _key(pki, label):
    return serialization.load_pem_private_key(pki.key_path(label).read_bytes(), None)


def _raw_signature(pki, label: str, data: bytes) -> bytes:
    key = _key(pki, label)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _prepare(channel, pki, config_factory, label="personal", document=None, **options):
    options.setdefault("level", pb.PADES_B_T)
    options.setdefault("placement", pb.SignPlacement(rect=RECT_SMALL))
    request = pb.PrepareSignatureRequest(
        document=document or decree30_pdf(),
        certificate=pki.cert_path(label).read_bytes(),
        chain=[p.read_bytes() for p in pki.chain_paths(label)],
        options=pb.SignOptions(image_png=config_factory.signature_image.read_bytes(), **options),
    )
    return stub(channel).PrepareSignature(request, timeout=60)


@pytest.mark.parametrize("label", ["personal", "personal-ec"])
def test_prepare_sign_on_client_complete(
    grpc_channel, pki, config_factory, assert_pdfsig_ok, label
):
    document = decree30_pdf()
    prepared = _prepare(grpc_channel, pki, config_factory, label, document)
    assert prepared.digest == hashlib.sha256(prepared.signed_attributes).digest()
    assert prepared.document_sha256 == hashlib.sha256(document).hexdigest()
    signature = _raw_signature(pki, label, prepared.signed_attributes)
    done = stub(grpc_channel).CompleteSignature(
        pb.CompleteSignatureRequest(
            id=prepared.id, signature=signature, document_sha256=prepared.document_sha256
        )
    )
    assert done.signature.level == pb.PADES_B_T
    assert_pdfsig_ok(done.document, expected_signatures=1)
    (status,) = pyhanko_check(done.document, pki.cert("root"), 1)
    assert status.timestamp_validity is not None
    # single use: the id is gone once completed
    code, reason = rpc_error(
        lambda: stub(grpc_channel).CompleteSignature(
            pb.CompleteSignatureRequest(
                id=prepared.id, signature=signature, document_sha256=prepared.document_sha256
            )
        )
    )
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "PENDING_NOT_FOUND")


def test_wrong_signature_refused_then_right_one_accepted(
    grpc_channel, pki, config_factory, assert_pdfsig_ok
):
    prepared = _prepare(grpc_channel, pki, config_factory, level=pb.PADES_B_B)
    wrong = _raw_signature(pki, "organisation", prepared.signed_attributes)  # another key
    code, reason = rpc_error(
        lambda: stub(grpc_channel).CompleteSignature(
            pb.CompleteSignatureRequest(
                id=prepared.id, signature=wrong, document_sha256=prepared.document_sha256
            )
        )
    )
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "SIGNATURE_INVALID")
    right = _raw_signature(pki, "personal", prepared.signed_attributes)
    done = stub(grpc_channel).CompleteSignature(
        pb.CompleteSignatureRequest(
            id=prepared.id, signature=right, document_sha256=prepared.document_sha256
        )
    )
    assert_pdfsig_ok(done.document, expected_signatures=1)


def test_other_document_refused(grpc_channel, pki, config_factory):
    prepared = _prepare(grpc_channel, pki, config_factory, level=pb.PADES_B_B)
    signature = _raw_signature(pki, "personal", prepared.signed_attributes)
    other = hashlib.sha256(b"another document").hexdigest()
    code, reason = rpc_error(
        lambda: stub(grpc_channel).CompleteSignature(
            pb.CompleteSignatureRequest(id=prepared.id, signature=signature, document_sha256=other)
        )
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "DOCUMENT_MISMATCH")


def test_unknown_id(grpc_channel):
    code, reason = rpc_error(
        lambda: stub(grpc_channel).CompleteSignature(
            pb.CompleteSignatureRequest(
                id="x" * 32, signature=b"\x00" * 256, document_sha256="00" * 32
            )
        )
    )
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "PENDING_NOT_FOUND")


def test_revoked_client_certificate_refused_at_prepare(grpc_channel, pki, config_factory):
    code, reason = rpc_error(
        lambda: _prepare(grpc_channel, pki, config_factory, "personal-revoked")
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "CERT_REVOKED")


def test_full_cms_from_client(grpc_channel, pki, config_factory, assert_pdfsig_ok):
    """A client that returns a CMS over the prepared attributes (as token middleware does)."""
    from asn1crypto import cms

    prepared = _prepare(grpc_channel, pki, config_factory, level=pb.PADES_B_B)
    signature = _raw_signature(pki, "personal", prepared.signed_attributes)
    cert = pki.cert("personal")
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": cert.issuer, "serial_number": cert.serial_number}
                    )
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": cms.CMSAttributes.load(prepared.signed_attributes),
            "signature_algorithm": {"algorithm": "sha256_rsa"},
            "signature": signature,
        }
    )
    content = cms.ContentInfo(
        {
            "content_type": "signed_data",
            "content": cms.SignedData(
                {
                    "version": "v1",
                    "digest_algorithms": [{"algorithm": "sha256"}],
                    "encap_content_info": {"content_type": "data"},
                    "certificates": [cert],
                    "signer_infos": [signer_info],
                }
            ),
        }
    )
    done = stub(grpc_channel).CompleteSignature(
        pb.CompleteSignatureRequest(
            id=prepared.id, cms=content.dump(), document_sha256=prepared.document_sha256
        )
    )
    assert_pdfsig_ok(done.document, expected_signatures=1)


def test_pending_state_in_redis_with_ttl(
    make_config, redis_url, pki, config_factory, assert_pdfsig_ok
):
    """With Redis configured the pending state lives there (any replica can complete) and
    expires after signer.pending_ttl_seconds."""
    import redis

    # 3 s: the first completion must land inside the TTL even on a loaded 2-core machine.
    config = make_config(redis_url=redis_url, pending_ttl_seconds=3)
    with running_server(config) as (address, _ctx), admin_channel(address) as channel:
        prepared = _prepare(channel, pki, config_factory, level=pb.PADES_B_B)
        client = redis.Redis.from_url(redis_url)
        assert client.exists(f"kyso:signer:pending:{prepared.id}")
        ttl = client.ttl(f"kyso:signer:pending:{prepared.id}")
        assert 0 < ttl <= 3
        client.close()
        late = _prepare(channel, pki, config_factory, level=pb.PADES_B_B)
        late_prepared_at = time.monotonic()
        signature = _raw_signature(pki, "personal", prepared.signed_attributes)
        done = stub(channel).CompleteSignature(
            pb.CompleteSignatureRequest(
                id=prepared.id, signature=signature, document_sha256=prepared.document_sha256
            )
        )
        assert_pdfsig_ok(done.document, expected_signatures=1)
        time.sleep(max(0.0, 3.6 - (time.monotonic() - late_prepared_at)))
        late_sig = _raw_signature(pki, "personal", late.signed_attributes)
        code, reason = rpc_error(
            lambda: stub(channel).CompleteSignature(
                pb.CompleteSignatureRequest(
                    id=late.id, signature=late_sig, document_sha256=late.document_sha256
                )
            )
        )
        assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "PENDING_NOT_FOUND")


def test_in_process_ttl(make_config, pki, config_factory):
    config = make_config(pending_ttl_seconds=1)
    with running_server(config) as (address, _ctx), admin_channel(address) as channel:
        prepared = _prepare(channel, pki, config_factory, level=pb.PADES_B_B)
        time.sleep(1.3)
        signature = _raw_signature(pki, "personal", prepared.signed_attributes)
        code, reason = rpc_error(
            lambda: stub(channel).CompleteSignature(
                pb.CompleteSignatureRequest(
                    id=prepared.id, signature=signature, document_sha256=prepared.document_sha256
                )
            )
        )
        assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "PENDING_NOT_FOUND")
