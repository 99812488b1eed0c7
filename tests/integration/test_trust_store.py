"""TrustStore over gRPC (in-process server, local store): roles, changes, bad input, bundles."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import grpc
import pytest
from asn1crypto import cms, pem

from kyso.server.tokens import add_token
from kyso.v1 import trust_store_pb2 as pb
from tests.integration.test_trust_support import (
    call,
    failure,
    fingerprints,
    kyso_cli,
    make_certificate,
)
from tests.pki import TestPki
from trust_store import sha256_fingerprint
from trust_store.bundles import SHIPPED

G2_ROOT = "F04BA4B459A7C9A1B971AD9B1CB833E695A80C79AEA63B174B66A70EDFE2FDB8"
S = grpc.StatusCode


@pytest.fixture(scope="module")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("tokens")
    officer = add_token(d / "officer-tokens", "alice")
    reader = add_token(d / "reader-tokens", "bob")
    # A site bundle whose G2 root file was swapped for the G1 root: its pin no longer matches.
    tampered = d / "bundles" / "tampered"
    shutil.copytree(SHIPPED / "vn-gov", tampered)
    shutil.copy(SHIPPED / "vn-gov" / "vgca-rootca-g1.pem", tampered / "vgca-rootca-g2.pem")
    return {"officer": officer, "reader": reader, "dir": d}


@pytest.fixture(scope="module")
def kyso_config(config_factory: Any, tmp_path_factory: pytest.TempPathFactory, tokens: Any) -> Any:
    d = tokens["dir"]
    return config_factory.make(
        tmp_path_factory.mktemp("kyso-home"),
        keys=[],
        trust_store={
            "officer_tokens_file": d / "officer-tokens",
            "reader_tokens_file": d / "reader-tokens",
            "bundles_path": d / "bundles",
        },
    )


@pytest.fixture
def officer(tokens: Any) -> str:
    return str(tokens["officer"])


@pytest.fixture
def reader(tokens: Any) -> str:
    return str(tokens["reader"])


def _pem(pki: TestPki, label: str) -> bytes:
    return pki.cert_path(label).read_bytes()


def test_plain_pem_directory_is_a_store(
    grpc_channel: grpc.Channel, reader: str, pki: TestPki
) -> None:
    resp = call(grpc_channel, "List", pb.ListTrustCertificatesRequest(), reader)
    root = next(c for c in resp.certificates if c.sha256 == sha256_fingerprint(pki.cert("root")))
    assert root.role == pb.TRUST_ROLE_ANCHOR
    assert root.added_by == "bootstrap"
    assert set(root.purposes) == {
        pb.TRUST_PURPOSE_SIGNATURE,
        pb.TRUST_PURPOSE_TIMESTAMPING,
        pb.TRUST_PURPOSE_OCSP_SIGNING,
    }
    assert "Root CA (test)" in root.subject
    assert not root.expired


def test_roles_are_enforced(
    grpc_channel: grpc.Channel, kyso_server: str, officer: str, reader: str, pki: TestPki
) -> None:
    add = pb.AddTrustCertificateRequest(certificate=_pem(pki, "ca"), reason="CA for agencies")
    with grpc.insecure_channel(kyso_server) as anonymous:  # grpc_channel carries a credential
        assert (
            failure(anonymous, "List", pb.ListTrustCertificatesRequest(), None)[0]
            == S.UNAUTHENTICATED
        )
        assert failure(anonymous, "Add", add, None) == (S.UNAUTHENTICATED, "UNAUTHENTICATED")
    assert (
        failure(grpc_channel, "List", pb.ListTrustCertificatesRequest(), "forged")[0]
        == S.UNAUTHENTICATED
    )
    assert failure(grpc_channel, "Add", add, reader) == (S.PERMISSION_DENIED, "PERMISSION_DENIED")
    assert (
        failure(
            grpc_channel,
            "Remove",
            pb.RemoveTrustCertificateRequest(sha256="00", reason="x"),
            reader,
        )[0]
        == S.PERMISSION_DENIED
    )
    version, before = fingerprints(grpc_channel, reader)
    resp = call(grpc_channel, "Add", add, officer)
    assert resp.version == version + 1
    assert resp.added[0].role == pb.TRUST_ROLE_INTERMEDIATE
    assert resp.added[0].added_by == "token:alice"
    assert fingerprints(grpc_channel, reader)[1] == before | {sha256_fingerprint(pki.cert("ca"))}
    history = call(grpc_channel, "History", pb.TrustHistoryRequest(limit=1000), reader).entries
    refused = [(e.actor, e.action, e.code) for e in history if e.outcome == "refused"]
    # refused calls without a credential are counted, not chained (a flood must not fill it)
    assert not [r for r in refused if r[2] == "UNAUTHENTICATED"]
    assert ("token:bob", "Add", "PERMISSION_DENIED") in refused
    status = call(grpc_channel, "Status", pb.TrustStoreStatusRequest(), reader)
    # a legacy reader token: the auditor role (reads the store and the audits)
    assert (status.identity, status.role, status.storage) == ("bob", "auditor", "local")


def test_add_show_remove_with_history(grpc_channel: grpc.Channel, officer: str) -> None:
    pem_bytes, _, _ = make_certificate("Root tạm thời (test)")
    version = fingerprints(grpc_channel, officer)[0]
    resp = call(
        grpc_channel,
        "Add",
        pb.AddTrustCertificateRequest(
            certificate=pem_bytes,
            purposes=[pb.TRUST_PURPOSE_TIMESTAMPING],
            reason="TSA root for a pilot",
            expected_version=version,
        ),
        officer,
    )
    fp = resp.added[0].sha256
    assert resp.version == version + 1 and resp.audit_seq > 0
    coloned = ":".join(fp[i : i + 2] for i in range(0, 12, 2)).lower()
    shown = call(grpc_channel, "Get", pb.GetTrustCertificateRequest(sha256=coloned), officer)
    assert shown.sha256 == fp and shown.role == pb.TRUST_ROLE_ANCHOR
    assert list(shown.purposes) == [pb.TRUST_PURPOSE_TIMESTAMPING]
    assert shown.reason == "TSA root for a pilot" and shown.HasField("added_at")
    assert shown.der == pem.unarmor(pem_bytes)[2]
    assert not shown.expires_within_90_days
    # A valid anchor may still carry signatures: removal needs an explicit confirmation.
    remove = pb.RemoveTrustCertificateRequest(sha256=fp[:10], reason="pilot over")
    assert failure(grpc_channel, "Remove", remove, officer) == (
        S.FAILED_PRECONDITION,
        "TRUST_ANCHOR_IN_USE",
    )
    remove.confirm_anchor_in_use = True
    gone = call(grpc_channel, "Remove", remove, officer)
    assert gone.removed[0].sha256 == fp and gone.version == version + 2
    assert fp not in fingerprints(grpc_channel, officer)[1]
    entries = call(grpc_channel, "History", pb.TrustHistoryRequest(sha256=fp[:16]), officer).entries
    applied = [(e.action, e.reason, e.actor) for e in entries if e.outcome == "applied"]
    assert applied == [
        ("add", "TSA root for a pilot", "token:alice"),
        ("remove", "pilot over", "token:alice"),
    ]
    last = entries[-1]
    assert fp in last.before and fp not in last.after


def test_expires_within_90_days_flag(grpc_channel: grpc.Channel, officer: str) -> None:
    pem_bytes, _, _ = make_certificate("Root sắp hết hạn (test)", days=(-10, 30))
    resp = call(
        grpc_channel,
        "Add",
        pb.AddTrustCertificateRequest(certificate=pem_bytes, reason="short-lived root"),
        officer,
    )
    assert resp.added[0].expires_within_90_days and not resp.added[0].expired


def _bad_inputs(pki: TestPki) -> dict[str, tuple[str, Any, S, str]]:
    expired, _, _ = make_certificate("Root hết hạn (test)", days=(-400, -1))
    _, parent, parent_key = make_certificate("Root cha (test)")
    sub_ca, _, _ = make_certificate("CA con (test)", issuer=(parent, parent_key))
    root_pem = _pem(pki, "root")
    two = _pem(pki, "other-root") + _pem(pki, "ca")
    der_bundle = pem.unarmor(two, multiple=True)
    p7b = cms.ContentInfo(
        {
            "content_type": "signed_data",
            "content": {
                "version": "v1",
                "digest_algorithms": [],
                "encap_content_info": {"content_type": "data"},
                "certificates": [pki.cert("other-root"), pki.cert("personal")],
                "signer_infos": [],
            },
        }
    ).dump()
    del der_bundle
    return {
        "not a certificate": (
            "Add",
            pb.AddTrustCertificateRequest(certificate=b"%PDF-1.7 hello", reason="r"),
            S.INVALID_ARGUMENT,
            "CERTIFICATE_INVALID",
        ),
        "leaf as anchor": (
            "Add",
            pb.AddTrustCertificateRequest(
                certificate=_pem(pki, "personal"), role=pb.TRUST_ROLE_ANCHOR, reason="r"
            ),
            S.INVALID_ARGUMENT,
            "TRUST_NOT_CA",
        ),
        "leaf": (
            "Add",
            pb.AddTrustCertificateRequest(certificate=_pem(pki, "organisation"), reason="r"),
            S.INVALID_ARGUMENT,
            "TRUST_NOT_CA",
        ),
        "intermediate as anchor": (
            "Add",
            pb.AddTrustCertificateRequest(
                certificate=sub_ca, role=pb.TRUST_ROLE_ANCHOR, reason="r"
            ),
            S.INVALID_ARGUMENT,
            "TRUST_ANCHOR_NOT_SELF_SIGNED",
        ),
        "expired without flag": (
            "Add",
            pb.AddTrustCertificateRequest(certificate=expired, reason="r"),
            S.FAILED_PRECONDITION,
            "TRUST_CERTIFICATE_EXPIRED",
        ),
        "duplicate": (
            "Add",
            pb.AddTrustCertificateRequest(certificate=root_pem, reason="r"),
            S.ALREADY_EXISTS,
            "TRUST_CERTIFICATE_EXISTS",
        ),
        "no reason": (
            "Add",
            pb.AddTrustCertificateRequest(certificate=_pem(pki, "other-root"), reason="  "),
            S.INVALID_ARGUMENT,
            "TRUST_REASON_REQUIRED",
        ),
        "two certificates to add": (
            "Add",
            pb.AddTrustCertificateRequest(certificate=two, reason="r"),
            S.INVALID_ARGUMENT,
            "TRUST_ONE_CERTIFICATE",
        ),
        "truncated PEM bundle": (
            "Import",
            pb.ImportTrustBundleRequest(bundle=two[:-200], reason="r"),
            S.INVALID_ARGUMENT,
            "TRUST_BAD_BUNDLE",
        ),
        "truncated P7B": (
            "Import",
            pb.ImportTrustBundleRequest(bundle=p7b[:-40], reason="r"),
            S.INVALID_ARGUMENT,
            "TRUST_BAD_BUNDLE",
        ),
        "bundle with a leaf": (
            "Import",
            pb.ImportTrustBundleRequest(bundle=p7b, reason="r"),
            S.INVALID_ARGUMENT,
            "TRUST_NOT_CA",
        ),
        "bundle with a duplicate": (
            "Import",
            pb.ImportTrustBundleRequest(bundle=_pem(pki, "other-root") + root_pem, reason="r"),
            S.ALREADY_EXISTS,
            "TRUST_CERTIFICATE_EXISTS",
        ),
        "unknown fingerprint": (
            "Remove",
            pb.RemoveTrustCertificateRequest(sha256="00" * 8, reason="r"),
            S.NOT_FOUND,
            "TRUST_CERTIFICATE_NOT_FOUND",
        ),
        "not hex": (
            "Remove",
            pb.RemoveTrustCertificateRequest(sha256="root", reason="r"),
            S.INVALID_ARGUMENT,
            "TRUST_BAD_FINGERPRINT",
        ),
        "unknown bundle": (
            "InstallBundle",
            pb.InstallTrustBundleRequest(name="nope", reason="r"),
            S.NOT_FOUND,
            "TRUST_BUNDLE_NOT_FOUND",
        ),
        "pin mismatch": (
            "InstallBundle",
            pb.InstallTrustBundleRequest(name="tampered", reason="r"),
            S.FAILED_PRECONDITION,
            "TRUST_BUNDLE_PIN_MISMATCH",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not a certificate",
        "leaf as anchor",
        "leaf",
        "intermediate as anchor",
        "expired without flag",
        "duplicate",
        "no reason",
        "two certificates to add",
        "truncated PEM bundle",
        "truncated P7B",
        "bundle with a leaf",
        "bundle with a duplicate",
        "unknown fingerprint",
        "not hex",
        "unknown bundle",
        "pin mismatch",
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    grpc_channel: grpc.Channel, officer: str, pki: TestPki, case: str
) -> None:
    method, request, status, code = _bad_inputs(pki)[case]
    before = fingerprints(grpc_channel, officer)
    assert failure(grpc_channel, method, request, officer) == (status, code)
    assert fingerprints(grpc_channel, officer) == before
    last = call(grpc_channel, "History", pb.TrustHistoryRequest(limit=1), officer).entries[-1]
    assert (last.outcome, last.code) == ("refused", code)


def test_expired_root_only_with_explicit_flag(grpc_channel: grpc.Channel, officer: str) -> None:
    expired, _, _ = make_certificate("Root cũ (test)", days=(-4000, -10))
    req = pb.AddTrustCertificateRequest(certificate=expired, reason="old signatures")
    assert failure(grpc_channel, "Add", req, officer)[1] == "TRUST_CERTIFICATE_EXPIRED"
    req.allow_expired = True
    resp = call(grpc_channel, "Add", req, officer)
    assert resp.added[0].expired


def test_stale_expected_version_is_aborted(grpc_channel: grpc.Channel, officer: str) -> None:
    version = fingerprints(grpc_channel, officer)[0]
    pem_a, _, _ = make_certificate("Root A (test)")
    pem_b, _, _ = make_certificate("Root B (test)")
    call(
        grpc_channel,
        "Add",
        pb.AddTrustCertificateRequest(certificate=pem_a, reason="a", expected_version=version),
        officer,
    )
    stale = pb.AddTrustCertificateRequest(certificate=pem_b, reason="b", expected_version=version)
    assert failure(grpc_channel, "Add", stale, officer) == (S.ABORTED, "TRUST_VERSION_CONFLICT")
    assert fingerprints(grpc_channel, officer)[0] == version + 1


def test_import_is_whole_and_atomic(grpc_channel: grpc.Channel, officer: str) -> None:
    root_pem, root, root_key = make_certificate("Root nhập (test)")
    sub_pem, _, _ = make_certificate("CA nhập (test)", issuer=(root, root_key))
    version, before = fingerprints(grpc_channel, officer)
    der_root = pem.unarmor(root_pem)[2]
    # DER of one certificate, then a PEM bundle that repeats it: refused whole unless skip_existing.
    call(
        grpc_channel, "Import", pb.ImportTrustBundleRequest(bundle=der_root, reason="der"), officer
    )
    bundle = root_pem + sub_pem
    assert (
        failure(
            grpc_channel,
            "Import",
            pb.ImportTrustBundleRequest(bundle=bundle, reason="again"),
            officer,
        )[1]
        == "TRUST_CERTIFICATE_EXISTS"
    )
    resp = call(
        grpc_channel,
        "Import",
        pb.ImportTrustBundleRequest(bundle=bundle, reason="again", skip_existing=True),
        officer,
    )
    assert resp.version == version + 2 and [c.role for c in resp.added] == [
        pb.TRUST_ROLE_INTERMEDIATE
    ]
    # The anchor now has an intermediate under it in the store: the refusal says so.
    remove = pb.RemoveTrustCertificateRequest(sha256=sha256_fingerprint_pem(root_pem), reason="r")
    assert failure(grpc_channel, "Remove", remove, officer)[1] == "TRUST_ANCHOR_IN_USE"
    assert len(fingerprints(grpc_channel, officer)[1] - before) == 2


def sha256_fingerprint_pem(data: bytes) -> str:
    from asn1crypto import x509

    return sha256_fingerprint(x509.Certificate.load(pem.unarmor(data)[2]))


def test_export_pem_and_p7b(grpc_channel: grpc.Channel, reader: str) -> None:
    version, fps = fingerprints(grpc_channel, reader)
    out = call(grpc_channel, "Export", pb.ExportTrustStoreRequest(), reader)
    assert out.content_type == "application/x-pem-file" and out.version == version
    from asn1crypto import x509

    got = {
        sha256_fingerprint(x509.Certificate.load(der))
        for _, _, der in pem.unarmor(out.data, multiple=True)
    }
    assert got == fps
    p7 = call(
        grpc_channel,
        "Export",
        pb.ExportTrustStoreRequest(format=pb.TRUST_EXPORT_FORMAT_P7B),
        reader,
    )
    info = cms.ContentInfo.load(p7.data)
    assert {sha256_fingerprint(c.chosen) for c in info["content"]["certificates"]} == fps
    anchors = call(grpc_channel, "Export", pb.ExportTrustStoreRequest(anchors_only=True), reader)
    listed = call(
        grpc_channel, "List", pb.ListTrustCertificatesRequest(role=pb.TRUST_ROLE_ANCHOR), reader
    )
    assert anchors.count == len(listed.certificates) < len(fps)


def test_install_vn_gov_bundle(grpc_channel: grpc.Channel, officer: str) -> None:
    names = call(grpc_channel, "ListBundles", pb.ListTrustBundlesRequest(), officer).names
    assert {"vn-gov", "tampered"} <= set(names)
    version = fingerprints(grpc_channel, officer)[0]
    resp = call(grpc_channel, "InstallBundle", pb.InstallTrustBundleRequest(name="vn-gov"), officer)
    assert resp.version == version + 1
    added = {c.sha256: c for c in resp.added}
    assert G2_ROOT in added and added[G2_ROOT].role == pb.TRUST_ROLE_ANCHOR
    assert "RootCA chuyên dùng Chính phủ G2" in added[G2_ROOT].subject
    g1 = added["F7BC89054CEC7F12730D7B8CD3EB7955B163835087E5EB873EDFB584763B3F90"]
    assert pb.TRUST_PURPOSE_TIMESTAMPING in g1.purposes
    manifest = json.loads((SHIPPED / "vn-gov" / "manifest.json").read_text())
    assert set(added) == {c["sha256"] for c in manifest["certificates"]}
    again = call(
        grpc_channel, "InstallBundle", pb.InstallTrustBundleRequest(name="vn-gov"), officer
    )
    assert again.version == version + 1 and not again.added  # idempotent


def test_cli_against_the_server(
    kyso_server: str, officer: str, reader: str, pki: TestPki, tmp_path: Path
) -> None:
    env = {"KYSO_SERVER": kyso_server, "KYSO_TOKEN": reader, "KYSO_HOME": str(tmp_path)}
    listed = kyso_cli("trust", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert b"Root CA (test)" in listed.stdout
    exported = kyso_cli("trust", "export", env=env)
    assert exported.returncode == 0 and exported.stdout.startswith(b"-----BEGIN CERTIFICATE-----")
    root_fp = sha256_fingerprint(pki.cert("root"))
    coloned = ":".join(root_fp[i : i + 2] for i in range(0, 10, 2))
    shown = kyso_cli("trust", "show", coloned, "--json", env=env)
    assert json.loads(shown.stdout)["sha256"] == root_fp
    denied = kyso_cli("trust", "add", str(pki.cert_path("other-root")), "--reason", "r", env=env)
    assert denied.returncode == 3 and b"PERMISSION_DENIED" in denied.stderr
    env["KYSO_TOKEN"] = officer
    expired, _, _ = make_certificate("Root CLI hết hạn (test)", days=(-400, -1))
    (tmp_path / "expired.pem").write_bytes(expired)
    refused = kyso_cli("trust", "add", str(tmp_path / "expired.pem"), "--reason", "r", env=env)
    assert refused.returncode == 3 and b"TRUST_CERTIFICATE_EXPIRED" in refused.stderr
    added = kyso_cli(
        "trust",
        "add",
        str(tmp_path / "expired.pem"),
        "--reason",
        "old docs",
        "--allow-expired",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    history = kyso_cli("trust", "history", "--limit", "2", env=env)
    assert b"TRUST_CERTIFICATE_EXPIRED" in history.stdout and b"old docs" in history.stdout
    p7b = kyso_cli("trust", "export", "--format", "p7b", env=env)
    assert cms.ContentInfo.load(p7b.stdout)["content_type"].native == "signed_data"
    verified = kyso_cli("audit", "verify", env=env)
    assert verified.returncode == 0 and b"intact" in verified.stdout


def test_import_pem_armoured_p7b(grpc_channel: grpc.Channel, officer: str) -> None:
    from asn1crypto import x509

    from trust_store.certificates import to_p7b

    certs = [
        x509.Certificate.load(pem.unarmor(make_certificate(f"Root P7B {i} (test)")[0])[2])
        for i in range(2)
    ]
    armoured = pem.armor("PKCS7", to_p7b(certs))
    version = fingerprints(grpc_channel, officer)[0]
    resp = call(
        grpc_channel, "Import", pb.ImportTrustBundleRequest(bundle=armoured, reason="p7b"), officer
    )
    assert resp.version == version + 1
    # SET OF in DER is sorted, so the bundle's order is not the order given to to_p7b
    assert {c.sha256 for c in resp.added} == {sha256_fingerprint(c) for c in certs}
