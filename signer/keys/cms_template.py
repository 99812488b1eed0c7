"""A per-key template of the PAdES B-B CMS, so a signature is assembled as bytes.

Profiling kyso's B-B path showed most of the time in asn1crypto re-encoding the
SignedData (certificates, algorithm identifiers, signed attributes) for every document,
although for one key and one digest algorithm only two things change: the
``messageDigest`` value and the signature value (PAdES B-B carries no signing-time
attribute). The first signature of a key is made by pyHanko as usual and becomes the
template; it is used only after it reproduces pyHanko's output byte for byte (the whole
CMS and the signed attributes for a second digest). Anything else (timestamps, revocation
attributes, CAdES attributes) still goes through pyHanko.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, Signer

log = logging.getLogger("kyso.signer.cms")


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


@dataclass(frozen=True)
class CmsTemplate:
    content_type: bytes  # DER of the ContentInfo's contentType OID (signedData)
    signed_data_prefix: bytes  # version, digestAlgorithms, encapContentInfo, certificates
    signer_info_prefix: bytes  # version, sid, digestAlgorithm
    attrs_before: bytes  # signed attributes' content before the messageDigest value
    attrs_after: bytes
    signature_algorithm: bytes

    def signed_attrs(self, digest: bytes) -> bytes:
        """DER of the signed attributes as signed (SET OF, universal tag)."""
        return _tlv(0x31, self.attrs_before + digest + self.attrs_after)

    def assemble(self, digest: bytes, signature: bytes) -> bytes:
        attrs = _tlv(0xA0, self.attrs_before + digest + self.attrs_after)
        signer_info = _tlv(
            0x30, self.signer_info_prefix + attrs + self.signature_algorithm + _tlv(0x04, signature)
        )
        signed_data = _tlv(0x30, self.signed_data_prefix + _tlv(0x31, signer_info))
        return _tlv(0x30, self.content_type + _tlv(0xA0, signed_data))

    @classmethod
    def from_reference(cls, ref: cms.ContentInfo, digest: bytes) -> CmsTemplate | None:
        sd = ref["content"]
        infos = sd["signer_infos"]
        if len(infos) != 1 or sd["crls"].native is not None:
            return None
        si = infos[0]
        if si["unsigned_attrs"].native is not None:
            return None
        attrs = si["signed_attrs"].contents
        if attrs.count(digest) != 1:
            return None
        before, after = attrs.split(digest)
        prefix = b"".join(
            sd[f].dump()
            for f in ("version", "digest_algorithms", "encap_content_info", "certificates")
        )
        return cls(
            ref["content_type"].dump(),
            prefix,
            si["version"].dump() + si["sid"].dump() + si["digest_algorithm"].dump(),
            before,
            after,
            si["signature_algorithm"].dump(),
        )


class CmsTemplates:
    """Templates of one key by digest algorithm; learnt from its first B-B signature."""

    def __init__(self) -> None:
        self._by_md: dict[str, CmsTemplate | None] = {}
        self._lock = threading.Lock()

    def get(self, md: str) -> CmsTemplate | None:
        return self._by_md.get(md)

    def known(self, md: str) -> bool:
        return md in self._by_md

    async def learn(
        self,
        signer: Signer,
        md: str,
        ref: cms.ContentInfo,
        digest: bytes,
        settings: PdfCMSSignedAttributes,
    ) -> None:
        """Keep a template only if it reproduces pyHanko exactly."""
        tpl = CmsTemplate.from_reference(ref, digest)
        if tpl is not None:
            si = ref["content"]["signer_infos"][0]
            same = tpl.assemble(digest, si["signature"].native) == ref.dump()
            other = bytes(b ^ 0x5A for b in digest)
            expected = await signer.signed_attrs(other, md, attr_settings=settings, use_pades=True)
            if not same or tpl.signed_attrs(other) != expected.dump():
                log.info("CMS template for %s not reproducible; pyHanko builds every CMS", md)
                tpl = None
        with self._lock:
            self._by_md.setdefault(md, tpl)


def eligible(
    signer: Signer,
    dry_run: bool,
    use_pades: bool,
    timestamper: Any,
    settings: PdfCMSSignedAttributes | None,
    is_pdf_sig: bool,
    encap_content_info: Any,
) -> bool:
    """Only plain PAdES B-B signatures use a template."""
    return (
        not dry_run
        and use_pades
        and timestamper is None
        and is_pdf_sig
        and encap_content_info is None
        and settings is not None
        and settings.adobe_revinfo_attr is None
        and settings.cades_signed_attrs is None
        and signer.signed_attr_prov_spec is None
        and signer.unsigned_attr_prov_spec is None
    )
