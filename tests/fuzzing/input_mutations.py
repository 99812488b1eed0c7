"""Mutations of edXML messages and trust-store input for the fuzzing harness (issue 9 §7).

edXML (``kyso.edxml``, ``verifier.intake``): packages built by :mod:`tests.edxml_packages`
carrying seed PDFs, then changed at the XML level (DOCTYPE and entities, deep nesting, many or
huge attachments, bad base64, ZIP members, element swaps) or at the byte level.

Trust store: PEM, DER and PKCS#7 bundles of real certificates (the test PKI, ../shared/trust)
changed at the PEM, DER or byte level (``TrustStore.import_bundle``); bundle directories
(``trust_store.bundles.load_bundle``) with a changed manifest or changed certificate files.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Sequence

from asn1crypto import cms
from asn1crypto import pem as apem
from asn1crypto import x509 as ax509

from tests.edxml_packages import File, package, zipped


def _bytes_level(rnd: random.Random, data: bytes) -> bytes:
    d = bytearray(data)
    if not d:
        return bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 64)))
    kind = rnd.randrange(5)
    if kind == 0:
        for _ in range(rnd.randint(1, 16)):
            d[rnd.randrange(len(d))] ^= 1 << rnd.randrange(8)
    elif kind == 1:
        del d[rnd.randrange(len(d)) :]
    elif kind == 2:
        a = rnd.randrange(len(d))
        d[a:a] = d[a : a + rnd.randint(1, 1024)]
    elif kind == 3:
        a = rnd.randrange(len(d))
        del d[a : a + rnd.randint(1, 256)]
    else:
        a = rnd.randrange(len(d))
        d[a : a + 8] = bytes(rnd.randrange(256) for _ in range(8))
    return bytes(d)


# -- edXML -----------------------------------------------------------------------------------
def edxml_package(rnd: random.Random, pdfs: Sequence[bytes]) -> tuple[bytes, str]:
    """A well-formed package of 0-3 seed PDFs (some zipped), before mutation."""
    files = []
    for i in range(rnd.choice([0, 1, 1, 2, 3])):
        data = rnd.choice(pdfs) if pdfs else b"%PDF-1.7\n"
        name = f"van-ban-{i}.pdf"
        files.append(zipped(name, data) if rnd.random() < 0.2 else File(name, data))
    return package(files), f"edxml-{len(files)}"


_EDXML_SWAPS = [
    (b"<edXML:edXMLHeader>", b"<edXML:edXMLHeadex>"),
    (b"</Attachment>", b""),
    (b"<ContentId>", b"<ContentId>x"),
    (b"application/pdf", b"application/zip"),
    (b"application/pdf", b"text/plain"),
    (b"xmlns:edXML=", b"xmlns:edXMX="),
    (b"<edXML:CodeNumber>", b"<edXML:CodeNumber>\x00"),
]


def edxml_mutation(rnd: random.Random, pdfs: Sequence[bytes]) -> tuple[bytes, str]:
    """One hostile or damaged edXML message and its kind."""
    data, kind = edxml_package(rnd, pdfs)
    variant = rnd.choice(
        ["bytes", "swap", "entities", "doctype", "nesting", "many", "bad-base64", "huge-text"]
    )
    if variant == "bytes":
        return _bytes_level(rnd, data), kind + "-bytes"
    if variant == "swap":
        a, b = rnd.choice(_EDXML_SWAPS)
        hits = [m.start() for m in re.finditer(re.escape(a), data)]
        if hits:
            at = rnd.choice(hits)
            data = data[:at] + b + data[at + len(a) :]
        return data, kind + "-swap"
    if variant == "entities":  # billion laughs
        lol = b'<!ENTITY a "aaaaaaaaaa">' + b"".join(
            b'<!ENTITY %c "%s">' % (98 + i, (b"&%c;" % (97 + i)) * 10) for i in range(8)
        )
        head = b'<?xml version="1.0"?><!DOCTYPE edXML [' + lol + b"]>"
        body = data.split(b"?>", 1)[1].replace(b"Version", b"&i;", 1)
        body = body.replace(b"<edXML:Subject>", b"<edXML:Subject>&i;", 1)
        return head + body, kind + "-entities"
    if variant == "doctype":  # external entity
        head = b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        body = data.split(b"?>", 1)[1].replace(b"<edXML:Subject>", b"<edXML:Subject>&x;", 1)
        return head + body, kind + "-xxe"
    if variant == "nesting":
        depth = rnd.choice([100, 10_000, 200_000])
        inner = b"<a>" * depth + b"</a>" * depth
        return data.replace(b"<edXML:Content>", b"<edXML:Content>" + inner, 1), kind + "-nesting"
    if variant == "many":
        att = re.search(rb"<Attachment>.*?</Attachment>", data, re.S)
        extra = (att.group(0) if att else b"<Attachment></Attachment>") * rnd.choice([50, 2000])
        return data.replace(
            b"</AttachmentEncoded>", extra + b"</AttachmentEncoded>"
        ), kind + "-many"
    if variant == "bad-base64":
        junk = rnd.choice([b"!!!!", b"====", base64.b64encode(b"x" * 10)[:-1], b"\x00\xff"])
        return data.replace(
            b"</edXML:ContentTransferEncoded>", junk + b"</edXML:ContentTransferEncoded>", 1
        ), (kind + "-bad-base64")
    big = b"A" * rnd.choice([10_000, 2_000_000])
    return data.replace(b"<edXML:Subject>", b"<edXML:Subject>" + big, 1), kind + "-huge-text"


# -- trust store -----------------------------------------------------------------------------
def trust_bundle(rnd: random.Random, certs: Sequence[bytes]) -> tuple[bytes, str]:
    """A (possibly damaged) PEM/DER/PKCS#7 bundle of the DER certificates ``certs``."""
    chosen = [rnd.choice(certs) for _ in range(rnd.choice([1, 2, 3, 5]))]
    form = rnd.choice(["pem", "der", "p7b", "p7b-pem", "mixed"])
    damage = rnd.choice(["none", "bytes", "der", "pem"])
    if damage == "der":  # change inside the certificate's DER (then armour)
        i = rnd.randrange(len(chosen))
        chosen[i] = _bytes_level(rnd, chosen[i])
    if form == "pem":
        data = b"".join(apem.armor("CERTIFICATE", c) for c in chosen)
    elif form == "der":
        data = chosen[0]
    elif form in ("p7b", "p7b-pem"):
        try:
            sd = cms.SignedData(
                {
                    "version": "v1",
                    "digest_algorithms": [],
                    "encap_content_info": {"content_type": "data"},
                    "certificates": [ax509.Certificate.load(c) for c in chosen],
                    "signer_infos": [],
                }
            )
            der = cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()
        except Exception:
            der = b"".join(chosen)
        data = apem.armor("PKCS7", der) if form == "p7b-pem" else der
    else:
        data = b"".join(apem.armor("CERTIFICATE", c) for c in chosen) + chosen[0]
    if damage == "bytes":
        data = _bytes_level(rnd, data)
    elif damage == "pem":
        data = rnd.choice(
            [
                data.replace(b"-----END", b"-----EN", 1),
                data + b"-----BEGIN CERTIFICATE-----\n",
                data.replace(b"CERTIFICATE", b"PRIVATE KEY", 1),
                data.replace(b"\n", b"\n!", 1),
            ]
        )
    return data, f"trust-{form}-{damage}"


def bundle_directory(
    rnd: random.Random, manifest: bytes, files: dict[str, bytes]
) -> tuple[bytes, dict[str, bytes], str]:
    """A changed copy of a bundle directory: (manifest, files, kind)."""
    files = dict(files)
    variant = rnd.choice(["json", "manifest-bytes", "file-bytes", "drop-file"])
    if variant == "manifest-bytes":
        return _bytes_level(rnd, manifest), files, "bundle-manifest-bytes"
    if variant == "file-bytes" and files:
        name = rnd.choice(sorted(files))
        files[name] = _bytes_level(rnd, files[name])
        return manifest, files, "bundle-file-bytes"
    if variant == "drop-file" and files:
        del files[rnd.choice(sorted(files))]
        return manifest, files, "bundle-drop-file"
    doc = json.loads(manifest)
    wrong: list[object] = [None, 1, -1.5, "x", [], {}, [1], {"a": 1}, "../etc", "a" * 5000]
    target = rnd.choice(["certificates", "item", "field"])
    items = doc.get("certificates", [])
    if target == "certificates" or not items:
        doc["certificates"] = rnd.choice(wrong)
    elif target == "item":
        items[rnd.randrange(len(items))] = rnd.choice(wrong)
    else:
        item = items[rnd.randrange(len(items))]
        key = rnd.choice(["file", "sha256", "role", "purposes", "note"])
        if rnd.random() < 0.3:
            item.pop(key, None)
        else:
            item[key] = rnd.choice(wrong)
    return json.dumps(doc).encode(), files, f"bundle-json-{target}"
