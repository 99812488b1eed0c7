"""Hostile inputs for the robustness tests, built in the test from a kyso-signed PDF.

Small, fast versions of the generators in ``../shared/cases/robustness`` (``inject_certs.py``,
``gen_hostile.py``, ``pdfraw.py``): each is one instance of a kind of work amplification
(robustness issue 9, items 4-6).  Every input is synthetic (own keys, invented names).
"""

from __future__ import annotations

import binascii
import datetime as dt
import re
import struct
import zlib
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from asn1crypto import cms
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

MiB = 1024 * 1024


def _last_contents(pdf: bytes) -> re.Match[bytes]:
    return list(re.finditer(rb"/Contents\s*<([0-9A-Fa-f]+)>", pdf))[-1]


def _issuer_name(sd: cms.SignedData) -> x509.Name:
    sid = sd["signer_infos"][0]["sid"].chosen
    for choice in sd["certificates"]:
        cert = choice.chosen
        if cert.issuer == sid["issuer"] and cert.serial_number == sid["serial_number"].native:
            return x509.load_der_x509_certificate(cert.dump()).issuer
    raise ValueError("no signer certificate in the CMS")


def fake_ca_certificates(name: x509.Name, count: int, *, kind: str) -> list[ax509.Certificate]:
    """``count`` self-signed CA certificates named ``name`` without key identifiers.

    ``kind``: ``ec`` (one small EC key each), ``ec-shared`` or ``rsa`` (one shared key).
    """
    now = dt.datetime.now(dt.UTC)
    shared: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None
    if kind == "rsa":
        shared = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif kind == "ec-shared":
        shared = ec.generate_private_key(ec.SECP256R1())
    out = []
    for i in range(count):
        key = shared or ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(1000 + i)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        out.append(ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
    return out


def inject_certificates(signed: bytes, count: int, *, kind: str = "ec") -> bytes:
    """Add ``count`` certificates carrying the signer's issuer name to the unsigned CMS
    certificate set, before the real ones, changing only bytes inside the /Contents gap."""
    m = _last_contents(signed)
    raw = binascii.unhexlify(m.group(1))
    sd = cms.ContentInfo.load(raw)["content"]
    fakes = fake_ca_certificates(_issuer_name(sd), count, kind=kind)
    sd["certificates"] = cms.CertificateSet(
        [cms.CertificateChoices({"certificate": c}) for c in fakes] + list(sd["certificates"])
    )
    new = cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump(force=True)
    if len(new) > len(raw):
        raise ValueError(f"{count} certificates do not fit: {len(new)} > {len(raw)} bytes")
    hexed = binascii.hexlify(new + b"\0" * (len(raw) - len(new))).upper()
    return signed[: m.start(1)] + hexed + signed[m.end(1) :]


def _info(pdf: bytes) -> tuple[int, int, bytes]:
    """Root object number, /Size and the serialised /ID of ``pdf``."""
    r = PdfFileReader(BytesIO(pdf), strict=False)
    ids = b""
    if "/ID" in r.trailer:
        out = BytesIO()
        r.trailer.raw_get("/ID").write_to_stream(out, None)
        ids = out.getvalue()
    return r.trailer.raw_get("/Root").idnum, int(r.trailer["/Size"]), ids


def _startxref(pdf: bytes) -> int:
    return int(list(re.finditer(rb"startxref\s+(\d+)", pdf))[-1].group(1))


def xref_stream_update(
    base: bytes,
    objs: dict[int, bytes],
    members: dict[int, tuple[int, int]],
    *,
    xref_num: int,
    size: int | None = None,
) -> bytes:
    """``base`` plus top-level objects ``objs`` and an xref stream that also lists the
    object-stream members ``members`` (number -> (stream number, index))."""
    root, old_size, ids = _info(base)
    buf = bytearray(base if base.endswith(b"\n") else base + b"\n")
    entries: dict[int, bytes] = {}
    for num in sorted(objs):
        entries[num] = struct.pack(">BII", 1, len(buf), 0)
        buf += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    xref_at = len(buf)
    for num, (sn, idx) in members.items():
        entries[num] = struct.pack(">BII", 2, sn, idx)
    entries[xref_num] = struct.pack(">BII", 1, xref_at, 0)
    nums = sorted(entries)
    runs: list[list[int]] = []
    for n in nums:
        if runs and runs[-1][0] + runs[-1][1] == n:
            runs[-1][1] += 1
        else:
            runs.append([n, 1])
    data = zlib.compress(b"".join(entries[n] for n in nums), 6)
    declared = size if size is not None else max(old_size, nums[-1] + 1)
    index = b" ".join(b"%d %d" % (a, b) for a, b in runs)
    head = b"<< /Type /XRef /W [1 4 4] /Index [%s] /Size %d /Root %d 0 R /Prev %d " % (
        index,
        declared,
        root,
        _startxref(base),
    )
    if ids:
        head += b"/ID " + ids + b" "
    head += b"/Filter /FlateDecode /Length %d >>" % len(data)
    buf += b"%d 0 obj\n" % xref_num + head + b"\nstream\n" + data + b"\nendstream\nendobj\n"
    buf += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(buf)


def _stream(encoded: bytes, extra: bytes) -> bytes:
    return (
        b"<< /Filter /FlateDecode "
        + extra
        + b" /Length %d >>\nstream\n" % len(encoded)
        + encoded
        + b"\nendstream"
    )


def objstm_token_bomb(signed: bytes, decoded: int) -> bytes:
    """An object stream added after signing: /N 1, a header region of ``decoded`` bytes of
    tokens (``00 00 00 ...``) before its one object (gen_hostile.py's token bomb)."""
    _root, size, _ids = _info(signed)
    n = max(size, 30)
    first = decoded - 64
    c = zlib.compressobj(9)
    parts = [c.compress(b"%d 0 " % (n + 1))]
    block = b"00 " * (MiB // 3)
    left = first - len(b"%d 0 " % (n + 1))
    while left > 0:
        chunk = block[: min(left, len(block))]
        parts.append(c.compress(chunk))
        left -= len(chunk)
    parts.append(c.compress(b"<< /Kyso (bomb) >>"))
    parts.append(c.flush())
    stm = _stream(b"".join(parts), b"/Type /ObjStm /N 1 /First %d" % first)
    return xref_stream_update(signed, {n: stm}, {n + 1: (n, 0)}, xref_num=n + 2)


def objstm_many_objects(signed: bytes, count: int) -> bytes:
    """One object stream added after signing holding ``count`` new objects that cannot be
    read (``@@n``): each is a distinct change after signing (OBJECT_REDEFINED, "object n
    written after signing cannot be read"); the xref stream lists them all."""
    _root, size, _ids = _info(signed)
    first_num = max(size, 30) + 10
    sn = first_num - 5
    bodies = [b"@@%d" % i for i in range(count)]
    offsets, pos = [], 0
    for body in bodies:
        offsets.append(pos)
        pos += len(body) + 1
    header = b" ".join(b"%d %d" % (first_num + i, off) for i, off in enumerate(offsets)) + b" "
    data = header + b" ".join(bodies)
    stm = _stream(zlib.compress(data, 6), b"/Type /ObjStm /N %d /First %d" % (count, len(header)))
    members = {first_num + i: (sn, i) for i in range(count)}
    return xref_stream_update(signed, {sn: stm}, members, xref_num=first_num + count)


def declared_size(signed: bytes, size: int) -> bytes:
    """An update whose xref stream declares ``/Size`` ``size`` and lists that many entries
    (each a free object): what pyHanko spends about 20 µs an entry reading."""
    _root, old, _ids = _info(signed)
    n = max(old, 30)
    entries: Iterable[int] = range(n, size)
    members = {num: (0, 0) for num in entries}  # type 2 entries into a stream never read
    return xref_stream_update(signed, {}, members, xref_num=size, size=size + 1)


def signature_fields(signed: bytes, count: int) -> bytes:
    """``count`` extra signature fields after signing, all pointing at the real signature
    value (classic xref table update)."""
    r = PdfFileReader(BytesIO(signed), strict=False)
    root_ref = r.trailer.raw_get("/Root")
    size = int(r.trailer["/Size"])
    n = max(size, 30)
    acro = r.root["/AcroForm"]
    fields = list(acro.raw_get("/Fields"))
    sig_v = next(
        f.get_object().raw_get("/V") for f in fields if f.get_object().get("/FT") == "/Sig"
    )
    page_ref = r.root["/Pages"]["/Kids"].raw_get(0)
    objs: dict[int, bytes] = {}
    refs = [b"%d 0 R" % f.idnum for f in fields]
    for i in range(count):
        objs[n + i] = (
            b"<< /FT /Sig /T (f%d) /V %d 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 2 "
            b"/P %d 0 R >>" % (i, sig_v.idnum, page_ref.idnum)
        )
        refs.append(b"%d 0 R" % (n + i))
    acro_num = n + count
    objs[acro_num] = b"<< /Fields [" + b" ".join(refs) + b"] >>"
    catalog = BytesIO()
    root = generic.DictionaryObject(r.root)
    root[generic.NameObject("/AcroForm")] = generic.IndirectObject(acro_num, 0, r)
    root.write_to_stream(catalog, None)
    objs[root_ref.idnum] = catalog.getvalue()
    buf = bytearray(signed if signed.endswith(b"\n") else signed + b"\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = len(buf)
        buf += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    xref_at = len(buf)
    buf += b"xref\n"
    for num in sorted(offsets):
        buf += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
    buf += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        acro_num + 1,
        root_ref.idnum,
        _startxref(signed),
        xref_at,
    )
    return bytes(buf)


def long_contents(signed: bytes, hex_len: int) -> bytes:
    """The signature's /Contents widened to ``hex_len`` hex digits (the CMS, then zeros),
    /ByteRange and startxref made consistent (the signed bytes change: not a valid signature,
    only a large one)."""
    m = _last_contents(signed)
    cms_hex = m.group(1).rstrip(b"0")
    cms_hex += b"0" * (len(cms_hex) % 2)
    lt, gt = m.start(1) - 1, m.end(1) + 1
    head, tail = signed[:lt], signed[gt:]
    new_gt = lt + 2 + hex_len
    doc = bytearray(head + b"<" + cms_hex + b"0" * (hex_len - len(cms_hex)) + b">" + tail)
    br = list(re.finditer(rb"/ByteRange\s*\[[^\]]*\]\s*", doc))[-1]
    rep = b"/ByteRange [0 %d %d %d]" % (lt, new_gt, len(doc) - new_gt)
    doc[br.start() : br.end()] = rep + b" " * (br.end() - br.start() - len(rep) - 1) + b"\n"
    sx = list(re.finditer(rb"startxref\s+(\d+)", doc))[-1]
    doc[sx.start(1) : sx.end(1)] = b"%d" % (int(sx.group(1)) + new_gt - gt)
    return bytes(doc)


__all__ = [
    "declared_size",
    "fake_ca_certificates",
    "inject_certificates",
    "long_contents",
    "objstm_many_objects",
    "objstm_token_bomb",
    "signature_fields",
    "xref_stream_update",
]


def signed_at_b_t(server: str, tmp: Path) -> bytes:
    """A Decree 30 draft signed at B-T by the kyso server at ``server`` through the CLI (key
    ``personal``, at the signer's anchor): the valid signature the hostile generators tamper
    with; it verifies TOTAL_PASSED."""
    from kyso.cli.main import main
    from tests.integration.documents import DECREE30_NAME, decree30_pdf

    src, out = tmp / "in.pdf", tmp / "out.pdf"
    src.write_bytes(decree30_pdf())
    args = ["--server", server, "sign", str(src), "-o", str(out), "--key", "personal"]
    assert main([*args, "--level", "B-T", "--anchor", DECREE30_NAME]) == 0
    return out.read_bytes()
