"""Mutations of a signature's CMS that leave the signed bytes alone (fuzzing, issue 9 §7).

The certificate set and the unsigned attributes of a CMS SignedData are outside the signature
(RFC 5652 §5.1, §5.3): anyone holding a signed PDF can change them by rewriting the /Contents
gap. :func:`add_certificates` adds certificates there the way a hostile third party would
(issue 9, item 4): clones carrying the issuer's or the signer's name (EC and RSA, one key or
one each), X⇄Y name loops through the issuer's name, chains of self-issued certificates, and
random strangers. A valid signature must stay TOTAL_PASSED whatever is added.
:func:`unsigned_change` makes other changes outside the signed attributes (no verdict
expected, only no crash). Keys are generated once per process (RSA is slow).
"""

from __future__ import annotations

import binascii
import datetime as dt
import functools
import random
import re

from asn1crypto import cms
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

_CONTENTS = re.compile(rb"/Contents\s*<([0-9A-Fa-f]+)>")

Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class DoesNotFit(ValueError):
    """The document has no CMS to change, or the change does not fit in its /Contents gap."""


@functools.cache
def _keys(kind: str, index: int) -> Key:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(
    subject: x509.Name, issuer: x509.Name, key: Key, serial: int, *, ca: bool = True
) -> ax509.Certificate:
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _last_cms(pdf: bytes) -> tuple[re.Match[bytes], bytes, cms.SignedData]:
    matches = list(_CONTENTS.finditer(pdf))
    if not matches:
        raise DoesNotFit("no /Contents")
    m = matches[-1]
    raw = m.group(1)
    raw = binascii.unhexlify(raw[: len(raw) - len(raw) % 2])
    try:
        info = cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            raise DoesNotFit("not SignedData")
        sd = info["content"]
        sd["signer_infos"][0]["sid"].chosen  # noqa: B018 - parse now, fail here
        list(sd["certificates"])
    except DoesNotFit:
        raise
    except Exception as exc:
        raise DoesNotFit("unreadable CMS") from exc
    return m, raw, sd


def _signer_names(sd: cms.SignedData) -> tuple[x509.Name, x509.Name]:
    """(issuer name, subject name) of the signer's certificate, else of the first one."""
    sid = sd["signer_infos"][0]["sid"].chosen
    chosen = None
    for choice in sd["certificates"]:
        cert = choice.chosen
        if not isinstance(cert, ax509.Certificate):
            continue
        chosen = chosen or cert
        if isinstance(sid, cms.IssuerAndSerialNumber) and (
            cert.issuer == sid["issuer"] and cert.serial_number == sid["serial_number"].native
        ):
            chosen = cert
            break
    if chosen is None:
        raise DoesNotFit("no certificate")
    parsed = x509.load_der_x509_certificate(chosen.dump())
    return parsed.issuer, parsed.subject


def _rewrite(pdf: bytes, m: re.Match[bytes], raw: bytes, new: bytes) -> bytes:
    if len(new) > len(raw):
        raise DoesNotFit(f"{len(new)} > {len(raw)} bytes")
    hexed = binascii.hexlify(new + b"\0" * (len(raw) - len(new))).upper()
    hexed += m.group(1)[len(hexed) :]  # an odd trailing digit stays
    return pdf[: m.start(1)] + hexed + pdf[m.end(1) :]


def _dump(sd: cms.SignedData) -> bytes:
    # Not force=True: what was not changed keeps its original encoding (and re-encoding every
    # certificate takes seconds).
    return cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()


def _extra(
    rnd: random.Random, issuer: x509.Name, subject: x509.Name
) -> tuple[list[ax509.Certificate], str]:
    kind = rnd.choice(
        ["issuer-clone", "signer-clone", "name-loop", "self-issued-chain", "stranger"]
    )
    algo = rnd.choice(["ec", "rsa", "ec-shared"])
    count = rnd.choice([1, 2, 3, 8, 20] if algo != "rsa" else [1, 2, 4, 8])
    serial = rnd.randrange(1, 2**63)

    def key(i: int) -> Key:
        return _keys("rsa" if algo == "rsa" else "ec", 0 if algo != "ec" else i % 24)

    certs: list[ax509.Certificate] = []
    if kind == "issuer-clone":
        certs = [_certificate(issuer, issuer, key(i), serial + i) for i in range(count)]
    elif kind == "signer-clone":
        certs = [_certificate(subject, issuer, key(i), serial + i, ca=False) for i in range(count)]
    elif kind == "name-loop":  # X -> Y -> X, one of them the issuer's name
        other = _name(f"Loop {serial % 1000}")
        for i in range(count):
            a, b = (issuer, other) if i % 2 == 0 else (other, issuer)
            certs.append(_certificate(a, b, key(i), serial + i))
    elif kind == "self-issued-chain":  # issuer <- n1 <- n2 ... all CA
        names = [issuer] + [_name(f"Chain {serial % 1000} {i}") for i in range(count)]
        certs = [_certificate(names[i], names[i + 1], key(i), serial + i) for i in range(count)]
    else:
        certs = [
            _certificate(_name(f"Stranger {i}"), _name(f"Nobody {i}"), key(i), serial + i)
            for i in range(count)
        ]
    return certs, f"certs-{kind}-{algo}-{count}"


def add_certificates(rnd: random.Random, pdf: bytes) -> tuple[bytes, str]:
    """``pdf`` with certificates added to the last signature's CMS certificate set (before or
    after the real ones); returns (document, kind). Raises :class:`DoesNotFit`."""
    m, raw, sd = _last_cms(pdf)
    issuer, subject = _signer_names(sd)
    extra, kind = _extra(rnd, issuer, subject)
    real = list(sd["certificates"])
    front = rnd.random() < 0.7
    while True:  # as many of them as the /Contents gap holds (at least one)
        choices = [cms.CertificateChoices({"certificate": c}) for c in extra]
        sd["certificates"] = cms.CertificateSet(choices + real if front else real + choices)
        try:
            return _rewrite(pdf, m, raw, _dump(sd)), f"{kind}-fits-{len(extra)}"
        except DoesNotFit:
            if len(extra) == 1:
                raise
            extra = extra[: len(extra) // 2]


def unsigned_change(rnd: random.Random, pdf: bytes) -> tuple[bytes, str]:
    """Another change outside the signed attributes: the certificate set reordered or emptied,
    an unsigned attribute of junk, or junk in the zero padding after the CMS."""
    m, raw, sd = _last_cms(pdf)
    variant = rnd.choice(["reorder", "drop-others", "unsigned-attr", "padding"])
    if variant == "padding":
        end = len(_dump(sd))
        junk = bytes(rnd.randrange(256) for _ in range(min(64, len(raw) - end)))
        return _rewrite(pdf, m, raw, raw[:end] + junk), "cms-padding"
    if variant == "reorder":
        certs = list(sd["certificates"])
        rnd.shuffle(certs)
        sd["certificates"] = cms.CertificateSet(certs)
    elif variant == "drop-others":
        sd["certificates"] = cms.CertificateSet(list(sd["certificates"])[:1])
    else:
        si = sd["signer_infos"][0]
        junk = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 40)))
        attr = cms.CMSAttribute(
            {"type": "1.2.3.4.5.6.7", "values": [cms.ParsableOctetString(junk)]}
        )
        olds = list(si["unsigned_attrs"]) if si["unsigned_attrs"].native else []
        si["unsigned_attrs"] = cms.CMSAttributes([*olds, attr])
    return _rewrite(pdf, m, raw, _dump(sd)), f"cms-{variant}"
