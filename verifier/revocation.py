"""Revocation data for XCV (EN 319 102-1 5.2.6): where revocation data comes from and what it said.

Order of sources: what the document carries (DSS dictionary, the CMS
adbe-revocationInfoArchival attribute) first, then OCSP, then CRL, through
the shared fetcher backend (``AppContext.revocation``), which caches
answers until their nextUpdate.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from asn1crypto import cms, crl, ocsp, x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from verifier.identification import intern_certificate
from verifier.integrity import find_attr
from verifier.model import RevocationSource, RevocationStatus, RevocationSummary

_MAX_DSS_ITEMS = 2000
_MAX_DSS_ITEM_BYTES = 16 * 1024 * 1024  # a large CRL; anything bigger is not revocation data


@dataclass
class EmbeddedValidationData:
    """Certificates, OCSP responses and CRLs found in the document itself."""

    certs: list[x509.Certificate] = field(default_factory=list)
    ocsps: list[ocsp.OCSPResponse] = field(default_factory=list)
    crls: list[crl.CertificateList] = field(default_factory=list)

    def extend(self, other: EmbeddedValidationData) -> EmbeddedValidationData:
        return EmbeddedValidationData(
            [*self.certs, *other.certs], [*self.ocsps, *other.ocsps], [*self.crls, *other.crls]
        )


def _bounded_data(stream: generic.StreamObject) -> bytes | None:
    """A DSS stream's bytes, refusing decompression bombs (revocation data is small)."""
    filters = stream.get("/Filter")
    if filters is None:
        raw = stream.encoded_data
        return raw if len(raw) <= _MAX_DSS_ITEM_BYTES else None
    if isinstance(filters, generic.ArrayObject):
        filters = filters[0] if len(filters) == 1 else None
    if filters != "/FlateDecode" or stream.get("/DecodeParms") is not None:
        return None  # nothing else is used for DSS data; skip rather than decode blindly
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(stream.encoded_data, _MAX_DSS_ITEM_BYTES + 1)
    except zlib.error:
        return None
    return data if len(data) <= _MAX_DSS_ITEM_BYTES else None


def _streams(dss: generic.DictionaryObject, key: str) -> list[bytes]:
    out: list[bytes] = []
    try:
        arr = dss.get(key)
        if arr is None:
            return out
        arr = arr.get_object() if isinstance(arr, generic.IndirectObject) else arr
        for item in list(arr)[:_MAX_DSS_ITEMS]:
            try:
                stream = item.get_object()
                if isinstance(stream, generic.StreamObject):
                    data = _bounded_data(stream)
                    if data is not None:
                        out.append(data)
            except Exception:  # noqa: S112 - skip one unreadable item
                continue
    except Exception:
        return out
    return out


def read_dss(reader: PdfFileReader) -> EmbeddedValidationData:
    """The document security store (PAdES LT), read defensively."""
    data = EmbeddedValidationData()
    try:
        dss = reader.root.get("/DSS")
        if dss is None:
            return data
        dss = dss.get_object() if isinstance(dss, generic.IndirectObject) else dss
        if not isinstance(dss, generic.DictionaryObject):
            return data
    except Exception:
        return data
    for der in _streams(dss, "/Certs"):
        try:
            data.certs.append(intern_certificate(x509.Certificate.load(der)))
        except ValueError:
            continue
    for der in _streams(dss, "/OCSPs"):
        try:
            resp = ocsp.OCSPResponse.load(der)
            resp["response_status"].native  # noqa: B018
            data.ocsps.append(resp)
        except ValueError:
            continue
    for der in _streams(dss, "/CRLs"):
        try:
            data.crls.append(crl.CertificateList.load(der))
        except ValueError:
            continue
    return data


def from_cms(signer_info: cms.SignerInfo) -> EmbeddedValidationData:
    """The adbe-revocationInfoArchival signed attribute (PAdES-style LTV inside the CMS)."""
    data = EmbeddedValidationData()
    try:
        for value in find_attr(signer_info, "adobe_revocation_info_archival"):
            for c in value["crl"] or []:  # type: ignore[index]
                data.crls.append(c)
            for o in value["ocsp"] or []:  # type: ignore[index]
                data.ocsps.append(o)
    except (KeyError, ValueError, TypeError):
        pass
    return data


def _single_for(resp: ocsp.OCSPResponse, cert: x509.Certificate) -> ocsp.SingleResponse | None:
    try:
        if resp["response_status"].native != "successful":
            return None
        basic = resp["response_bytes"]["response"].parsed
        for single in basic["tbs_response_data"]["responses"]:
            if single["cert_id"]["serial_number"].native == cert.serial_number:
                return single
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    return None


def summarise(
    cert: x509.Certificate,
    used_ocsps: list[ocsp.OCSPResponse],
    used_crls: list[crl.CertificateList],
    embedded: EmbeddedValidationData,
) -> RevocationSummary:
    """Which answer about ``cert`` the validation had, and where it came from."""
    embedded_ocsp = {o.dump() for o in embedded.ocsps}
    embedded_crl = {c.dump() for c in embedded.crls}
    best: tuple[ocsp.OCSPResponse, ocsp.SingleResponse] | None = None
    for resp in used_ocsps:
        single = _single_for(resp, cert)
        if single is None:
            continue
        if best is None or single["this_update"].native > best[1]["this_update"].native:
            best = (resp, single)
    if best is not None:
        resp, single = best
        status = single["cert_status"]
        summary = RevocationSummary(
            status={"good": RevocationStatus.GOOD, "revoked": RevocationStatus.REVOKED}.get(
                status.name, RevocationStatus.UNKNOWN
            ),
            source=RevocationSource.EMBEDDED
            if resp.dump() in embedded_ocsp
            else RevocationSource.OCSP,
            produced_at=single["this_update"].native,
        )
        if status.name == "revoked":
            summary.revocation_time = status.chosen["revocation_time"].native
            reason = status.chosen["revocation_reason"].native
            summary.reason = str(reason or "unspecified")
        return summary
    for c in used_crls:
        try:
            if c["tbs_cert_list"]["issuer"] != cert.issuer:
                continue
            summary = RevocationSummary(
                status=RevocationStatus.GOOD,
                source=RevocationSource.EMBEDDED
                if c.dump() in embedded_crl
                else RevocationSource.CRL,
                produced_at=c["tbs_cert_list"]["this_update"].native,
            )
            for entry in c["tbs_cert_list"]["revoked_certificates"] or []:
                if entry["user_certificate"].native == cert.serial_number:
                    summary.status = RevocationStatus.REVOKED
                    summary.revocation_time = entry["revocation_date"].native
            return summary
        except (KeyError, ValueError, TypeError):
            continue
    return RevocationSummary(status=RevocationStatus.UNKNOWN)
