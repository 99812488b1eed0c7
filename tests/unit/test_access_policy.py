"""The access policy table, subject/SAN matching, ``[[clients]]`` validation, identities.

In process, nothing served: the table against the proto descriptors, names made with
``cryptography``, configurations loaded with :func:`kyso.server.settings.load_settings`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kyso.demo.clients import client_subject, clients_toml, ensure_client_pki
from kyso.errors import InvalidInput
from kyso.server.auth import AnonymousRefusals, IdentityResolver
from kyso.server.identity import (
    PEER_CERT,
    identity_from_auth,
    normalise_san,
    parse_subject,
    subject_matches,
)
from kyso.server.policy import POLICY, Role, short_name
from kyso.server.settings import Settings, load_settings
from kyso.server.tokens import LEGACY_ROLES, OFFICERS, TokenTable, add_token
from kyso.v1 import intake_pb2, signer_pb2, trust_store_pb2, verifier_pb2


@pytest.fixture(autouse=True)
def _no_kyso_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("KYSO_"):
            monkeypatch.delenv(name)


# -- the table ------------------------------------------------------------------------------


def _kyso_methods() -> set[str]:
    out = set()
    for module in (signer_pb2, trust_store_pb2, verifier_pb2, intake_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            out |= {f"/{service.full_name}/{m.name}" for m in service.methods}
    return out


def test_every_kyso_method_has_a_rule_and_only_health_and_reflection_are_open() -> None:
    methods = _kyso_methods()
    assert methods <= set(POLICY), sorted(methods - set(POLICY))
    for method, rule in POLICY.items():
        if method in methods:
            assert rule.roles, f"{method} is open"
        else:
            assert rule.open and method.startswith(("/grpc.health.", "/grpc.reflection.")), method


def test_the_roles_of_the_issue() -> None:
    def roles(method: str) -> set[str]:
        return {r.value for r in POLICY[method].roles}

    assert (
        roles("/kyso.v1.Verifier/Verify") == roles("/kyso.v1.Verifier/VerifyStream") == {"verifier"}
    )
    assert roles("/kyso.v1.Intake/Intake") == roles("/kyso.v1.Intake/IntakeStream") == {"verifier"}
    for name in ("Sign", "SignStream", "PrepareSignature", "CompleteSignature", "ListKeys"):
        assert roles(f"/kyso.v1.Signer/{name}") == {"signer"}
    # the layout report alone (issue 10): verifiers, and signing systems checking their drafts
    assert roles("/kyso.v1.Verifier/CheckLayout") == {"verifier", "signer"}
    for name in ("Add", "Remove", "Import", "InstallBundle"):
        assert roles(f"/kyso.v1.TrustStore/{name}") == {"security_officer"}
        assert POLICY[f"/kyso.v1.TrustStore/{name}"].audit == "trust"
    for name in ("VerifyAudit", "ListAudit"):
        assert roles(f"/kyso.v1.TrustStore/{name}") == {"auditor"}
    assert roles("/kyso.v1.TrustStore/History") == {"security_officer", "auditor"}
    for name in ("List", "Get", "Export", "ListBundles", "Status"):
        assert POLICY[f"/kyso.v1.TrustStore/{name}"].roles == frozenset(Role)
    # the key checks and the signing audit of refusals
    assert POLICY["/kyso.v1.Signer/Sign"].key == "key"
    assert POLICY["/kyso.v1.Signer/SignStream"].key == "header.key"
    for name in ("Sign", "SignStream", "PrepareSignature", "CompleteSignature"):
        assert POLICY[f"/kyso.v1.Signer/{name}"].audit == "signing"
    assert short_name("/kyso.v1.Signer/Sign") == "Signer.Sign"


# -- names ------------------------------------------------------------------------------------


def _name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def _presented(*attributes: tuple[x509.ObjectIdentifier, str]) -> object:
    from kyso.server.identity import normalise_name

    return normalise_name(_name(*attributes))


O_, CN, OU = NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME


@pytest.mark.parametrize(
    "configured",
    [
        "CN=qlvb-phat-hanh,O=So Noi vu",  # RFC 4514 order
        "O=So Noi vu,CN=qlvb-phat-hanh",  # the certificate's order (OpenSSL prints it so)
        "cn=QLVB-Phat-Hanh, o = So  Noi Vu ",  # case, spaces
        "2.5.4.3=qlvb-phat-hanh,2.5.4.10=So Noi vu",  # dotted OIDs
    ],
)
def test_a_subject_matches_normalised(configured: str) -> None:
    cert = _presented((O_, "So Noi vu"), (CN, "qlvb-phat-hanh"))
    assert subject_matches(parse_subject(configured), cert)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "presented",
    [
        ((O_, "So Noi vu"), (CN, "qlvb-phat-hanh-2")),  # another CN
        ((O_, "So Noi vu"), (OU, "Van thu"), (CN, "qlvb-phat-hanh")),  # an extra RDN
        ((CN, "qlvb-phat-hanh"),),  # a missing one
        ((OU, "So Noi vu"), (CN, "qlvb-phat-hanh")),  # same value, other type
    ],
)
def test_a_different_subject_does_not_match(presented: tuple[tuple[object, str], ...]) -> None:
    configured = parse_subject("CN=qlvb-phat-hanh,O=So Noi vu")
    assert not subject_matches(configured, _presented(*presented))  # type: ignore[arg-type]


def test_escapes_and_unicode_in_a_subject() -> None:
    cert = _presented((O_, "Sở Nội vụ, tỉnh Demo"), (CN, "Văn thư"))
    assert subject_matches(parse_subject("CN=VĂN THƯ,O=Sở Nội vụ\\, tỉnh Demo"), cert)  # type: ignore[arg-type]
    assert not subject_matches(parse_subject("CN=Văn thư,O=Sở Nội vụ"), cert)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        parse_subject("not a name")
    with pytest.raises(ValueError):
        parse_subject("")


def test_san_normalisation() -> None:
    assert normalise_san("DNS:QLVB.Example.VN.") == "dns:qlvb.example.vn"
    assert normalise_san("ip:::0001") == "ip:::1"
    assert normalise_san("email:Van.Thu@Example.VN") == "email:Van.Thu@example.vn"
    for bad in ("qlvb.example.vn", "dirname:x", "ip:999.1.1.1", "email:nobody", "dns:"):
        with pytest.raises(ValueError):
            normalise_san(bad)


# -- [[clients]] ---------------------------------------------------------------------------------

_KEY = """
[[keys]]
name = "ubnd-seal"
backend = "pem"
key_file = "seal.key"
certificate = "seal.pem"
profiles = ["organisation"]
"""


def _load(tmp_path: Path, text: str) -> Settings:
    for name in ("seal.key", "seal.pem"):
        (tmp_path / name).write_text("-")
    path = tmp_path / "kyso.toml"
    path.write_text(f'home = "{tmp_path / "home"}"\n{_KEY}{text}', encoding="utf-8")
    return load_settings(path)


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(InvalidInput) as info:
        _load(tmp_path, text)
    assert info.value.code == "CONFIG_INVALID"
    return info.value.message_en


def test_the_issue_s_clients_load(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        """
[[clients]]
name = "qlvb-phat-hanh"
subject = "CN=qlvb-phat-hanh,O=So Noi vu"
roles = ["signer"]
keys = ["ubnd-seal"]
[[clients]]
name = "qlvb-tiep-nhan"
subject = "CN=qlvb-tiep-nhan,O=So Noi vu"
roles = ["verifier"]
[[clients]]
name = "qlvb"
san = "dns:qlvb.example.vn"
roles = ["verifier", "auditor"]
""",
    )
    assert [c.name for c in settings.clients] == ["qlvb-phat-hanh", "qlvb-tiep-nhan", "qlvb"]
    assert settings.clients[0].keys == ("ubnd-seal",)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('name = "a"\nsubject = "CN=a"\nroles = ["admin"]', "clients[0].roles[0]"),
        ('name = "a"\nroles = ["verifier"]', "give subject, san or token = true"),
        ('name = "a"\nsubject = "CN=a"\nsan = "dns:a"\nroles = ["verifier"]', "not both"),
        ('name = "a"\nsubject = "CN=a"\nroles = []', "at least one role"),
        ('name = "a"\nsubject = "CN=a"\nroles = ["verifier"]\nkeys = ["ubnd-seal"]', "signer"),
        ('name = "a"\nsubject = "CN=a"\nroles = ["signer"]\nkeys = ["nope"]', "clients[0].keys"),
        ('name = "a"\nsubject = "nonsense"\nroles = ["verifier"]', "clients[0].subject"),
        ('name = "a"\nsan = "x500:a"\nroles = ["verifier"]', "clients[0].san"),
        ('name = "a b"\ntoken = true\nroles = ["verifier"]', "clients[0].name"),
        ('name = "a"\ntoken = true\nroles = ["verifier"]\ncolour = "red"', "clients[0].colour"),
    ],
)
def test_a_bad_client_is_a_config_error_naming_the_key(
    tmp_path: Path, table: str, expected: str
) -> None:
    message = _error(tmp_path, f"[[clients]]\n{table}\n")
    assert expected in message, message


def test_two_clients_with_one_identity_are_refused(tmp_path: Path) -> None:
    message = _error(
        tmp_path,
        """
[[clients]]
name = "a"
subject = "CN=a,O=So Noi vu"
roles = ["verifier"]
[[clients]]
name = "b"
subject = "O=so noi vu,CN=A"
roles = ["signer"]
""",
    )
    assert "clients[1].subject: the same subject as clients[0]" in message
    message = _error(
        tmp_path,
        '[[clients]]\nname = "a"\ntoken = true\nroles = ["verifier"]\n'
        '[[clients]]\nname = "a"\nsan = "dns:a"\nroles = ["verifier"]\n',
    )
    assert "clients[1].name" in message


# -- identities -----------------------------------------------------------------------------


def _cert_auth(subject: x509.Name, dns: str | None = None) -> dict[str, list[bytes]]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
    )
    if dns:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False
        )
    cert = builder.sign(key, hashes.SHA256())
    return {PEER_CERT: [cert.public_bytes(serialization.Encoding.PEM)]}


def test_the_resolver_maps_certificates_and_tokens(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        """
[[clients]]
name = "phat-hanh"
subject = "CN=phat-hanh,O=So Noi vu"
roles = ["signer"]
keys = ["ubnd-seal"]
[[clients]]
name = "kiem-toan"
san = "dns:kiem-toan.example.vn"
token = true
roles = ["auditor"]
""",
    )
    tokens = tmp_path / "tokens"
    officer_file = tmp_path / "officers"
    auditor_token = add_token(tokens, "kiem-toan")
    stranger_token = add_token(tokens, "nobody")
    officer_token = add_token(officer_file, "alice")
    resolver = IdentityResolver(
        settings.clients, TokenTable({"clients": tokens, OFFICERS: officer_file})
    )
    signer = identity_from_auth(_cert_auth(_name((O_, "So Noi vu"), (CN, "phat-hanh"))))
    assert signer is not None
    identity = resolver.by_certificate(signer)
    assert (identity.actor, identity.roles, identity.keys) == (
        "cert:phat-hanh",
        frozenset({Role.SIGNER}),
        frozenset({"ubnd-seal"}),
    )
    assert identity.may_use("ubnd-seal") and not identity.may_use("other")
    by_san = identity_from_auth(_cert_auth(_name((CN, "x")), dns="KIEM-TOAN.example.vn"))
    assert by_san is not None and resolver.by_certificate(by_san).name == "kiem-toan"
    nobody = identity_from_auth(_cert_auth(_name((CN, "phat-hanh"))))
    assert nobody is not None
    unknown = resolver.by_certificate(nobody)
    assert unknown.roles == frozenset() and unknown.name == f"serial:{nobody.serial:X}"
    by_token = resolver.by_token(auditor_token)
    assert by_token is not None and by_token.actor == "token:kiem-toan"
    assert by_token.roles == frozenset({Role.AUDITOR})
    stranger = resolver.by_token(stranger_token)  # a token naming no [[clients]] table
    assert stranger is not None and stranger.roles == frozenset()
    legacy = resolver.by_token(officer_token)
    assert legacy is not None and legacy.roles == LEGACY_ROLES[OFFICERS]
    assert resolver.by_token("forged") is None


def test_anonymous_refusals_are_counted_and_logged_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    counter = AnonymousRefusals(interval=60)
    with caplog.at_level(logging.INFO, logger="kyso.auth"):
        for _ in range(100):
            counter.count("/kyso.v1.Signer/Sign", "ipv4:127.0.0.1:1234")
    assert counter.total == 100 and counter.by_method == {"Signer.Sign": 100}
    assert len([r for r in caplog.records if r.levelno == logging.INFO]) == 1


def test_the_embedded_client_pki_matches_its_clients(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    directory = ensure_client_pki(home)
    assert directory.stat().st_mode & 0o077 == 0
    assert ensure_client_pki(home) == directory  # made once
    text = "\n".join(clients_toml(directory, ["ubnd-seal"]))
    settings = _load(tmp_path, text)
    resolver = IdentityResolver(settings.clients, None)
    for role in Role:
        assert (directory / f"{role.value}.key").stat().st_mode & 0o077 == 0
        pem = (directory / f"{role.value}.pem").read_bytes()
        presented = identity_from_auth({PEER_CERT: [pem]})
        assert presented is not None and parse_subject(client_subject(role))
        identity = resolver.by_certificate(presented)
        assert identity.roles == frozenset({role}), role
    assert resolver.by_certificate(
        identity_from_auth({PEER_CERT: [(directory / "signer.pem").read_bytes()]})  # type: ignore[arg-type]
    ).keys == frozenset({"ubnd-seal"})
