"""edXML messages built for the tests from the shape in ../shared/docs/edxml.md §4 (never copied).

:func:`package` writes Fixture A (a new document from a provincial People's Committee) with the
header values of the test Decree 30 document (tests.integration.documents) and any attachments;
keyword arguments change header fields and produce the §4.3 variants.
"""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

QCVN = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


@dataclass
class File:
    name: str
    data: bytes
    content_type: str = "application/pdf"
    description: str = "Văn bản chính"
    manifest_type: str | None = None  # the manifest's ContentType when it differs


def zipped(name: str, data: bytes, entry: str = "0b5d7c1e-6f1a-4e1b-9c5e.pdf") -> File:
    """A file packed the way the VNPT library does: a ZIP of one ``<uuid>.<ext>`` entry."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(entry, data)
    return File(name, buf.getvalue(), "application/zip", manifest_type="application/pdf")


#: Header values matching tests.integration.documents.decree30_pdf (with its date line).
HEADER = {
    "organ_id": "000.00.00.H99",
    "organ_name": "Ủy ban nhân dân tỉnh Sóc Trăng",
    "in_charge": "Ủy ban nhân dân tỉnh Sóc Trăng",
    "code_number": "15",
    "code_notation": "QĐ-UBND",
    "place": "Sóc Trăng",
    "date": "2026/01/05",
    "type_name": "Quyết định",
    "subject": "Về việc ban hành Quy chế công tác văn thư",
    "competence": "KT. CHỦ TỊCH",
    "position": "Phó Chủ tịch",
    "full_name": "Nguyễn Thị Hồng Nhung",
    "business_type": "0",
    "business_document_id": "",
}


def _e(text: str) -> str:
    return escape(text)


def package(
    files: list[File] | tuple[File, ...] = (),
    *,
    signature: str = "",
    unbound: bool = False,
    prolog: str = "",
    **fields: str,
) -> bytes:
    """The edXML bytes; ``fields`` override :data:`HEADER` keys; ``signature`` is XML put at the
    end of edXMLHeader; ``unbound`` writes the VPCP sample's undeclared prefixes (§1.1)."""
    h = {**HEADER, **fields}
    refs, atts = [], []
    for n, f in enumerate(files, start=1):
        cid = f"cid:0b5d7c1e-6f1a-4e1b-9c5e-{n:012d}"
        href = ' xlink:href=""' if unbound else ""
        refs.append(
            f"<edXML:Reference{href}><edXML:ContentId>{cid}</edXML:ContentId>"
            f"<edXML:ContentType>{f.manifest_type or f.content_type}</edXML:ContentType>"
            f"<edXML:Description>{_e(f.description)}</edXML:Description>"
            f"<edXML:AttachmentName>{_e(f.name)}</edXML:AttachmentName></edXML:Reference>"
        )
        b64 = base64.encodebytes(f.data).decode("ascii")  # wrapped at 76, as libraries do
        atts.append(
            f"<Attachment><ContentId>{cid}</ContentId>"
            f"<AttachmentName>{_e(f.name)}</AttachmentName>"
            f"<Description>{_e(f.description)}</Description>"
            f"<ContentType>{f.content_type}</ContentType>"
            f'<edXML:ContentTransferEncoded xmlns:edXML="{QCVN}">{b64}'
            "</edXML:ContentTransferEncoded></Attachment>"
        )
    encoded = "edXML:AttachmentEncoded" if unbound else "AttachmentEncoded"
    return (
        f'{prolog}<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<edXML xmlns="{QCVN}">\n'
        f'<edXML:edXMLEnvelope xmlns:edXML="{QCVN}"><edXML:edXMLHeader><edXML:MessageHeader>'
        f"<edXML:From><edXML:OrganId>{h['organ_id']}</edXML:OrganId>"
        f"<edXML:OrganizationInCharge>{_e(h['in_charge'])}</edXML:OrganizationInCharge>"
        f"<edXML:OrganName>{_e(h['organ_name'])}</edXML:OrganName>"
        "<edXML:OrganAdd>Số 1 đường Thử Nghiệm</edXML:OrganAdd>"
        "<edXML:Email>vanthu@mau.example.vn</edXML:Email></edXML:From>"
        "<edXML:To><edXML:OrganId>000.00.01.H99</edXML:OrganId>"
        "<edXML:OrganName>Sở Thử Nghiệm tỉnh Mẫu</edXML:OrganName></edXML:To>"
        f"<edXML:DocumentId>{h['organ_id']},{h['date']},{h['code_number']}/"
        f"{_e(h['code_notation'])}</edXML:DocumentId>"
        f"<edXML:Code><edXML:CodeNumber>{_e(h['code_number'])}</edXML:CodeNumber>"
        f"<edXML:CodeNotation>{_e(h['code_notation'])}</edXML:CodeNotation></edXML:Code>"
        f"<edXML:PromulgationInfo><edXML:Place>{_e(h['place'])}</edXML:Place>"
        f"<edXML:PromulgationDate>{h['date']}</edXML:PromulgationDate></edXML:PromulgationInfo>"
        "<edXML:DocumentType><edXML:Type>1</edXML:Type><edXML:TypeDetail>0</edXML:TypeDetail>"
        f"<edXML:TypeName>{_e(h['type_name'])}</edXML:TypeName></edXML:DocumentType>"
        f"<edXML:Subject>{_e(h['subject'])}</edXML:Subject>"
        "<edXML:Content>Văn bản dùng cho kiểm thử.</edXML:Content>"
        f"<edXML:SignerInfo><edXML:Competence>{_e(h['competence'])}</edXML:Competence>"
        f"<edXML:Position>{_e(h['position'])}</edXML:Position>"
        f"<edXML:FullName>{_e(h['full_name'])}</edXML:FullName></edXML:SignerInfo>"
        "<edXML:DueDate>2026/03/20</edXML:DueDate>"
        "<edXML:OtherInfo><edXML:Priority>0</edXML:Priority>"
        "<edXML:PageAmount>1</edXML:PageAmount></edXML:OtherInfo>"
        "<edXML:SteeringType>1</edXML:SteeringType>"
        "<edXML:ToPlaces><edXML:Place>Như trên</edXML:Place>"
        "<edXML:Place>Lưu: VT, VP</edXML:Place></edXML:ToPlaces>"
        "</edXML:MessageHeader><edXML:TraceHeaderList>"
        f"<edXML:Bussiness><edXML:BussinessDocType>{h['business_type']}</edXML:BussinessDocType>"
        "<edXML:BussinessDocReason>Văn bản điện tử</edXML:BussinessDocReason>"
        f"<edXML:DocumentId>{_e(h['business_document_id'])}</edXML:DocumentId>"
        "<edXML:Paper>0</edXML:Paper></edXML:Bussiness>"
        f"<edXML:TraceHeader><edXML:OrganId>{h['organ_id']}</edXML:OrganId>"
        "<edXML:Timestamp>2026/01/05 09:15:00</edXML:Timestamp></edXML:TraceHeader>"
        f"</edXML:TraceHeaderList>{signature}</edXML:edXMLHeader>"
        '<edXML:edXMLBody><edXML:edXMLManifest version="1.0">'
        f"{''.join(refs)}</edXML:edXMLManifest></edXML:edXMLBody></edXML:edXMLEnvelope>\n"
        f"<{encoded}>{''.join(atts)}</{encoded}>\n</edXML>\n"
    ).encode()


#: The SDK's placeholder package signature (§2.1): QCVN namespace, rsa-sha1, truncated cert.
PLACEHOLDER_SIGNATURE = (
    "<Signature><SignedInfo>"
    '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>'
    '<Reference URI=""><DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>'
    "<DigestValue>AAAA</DigestValue></Reference></SignedInfo>"
    "<SignatureValue>AAAA</SignatureValue><KeyInfo><X509Data>"
    "<X509SubjectName>CN=user05</X509SubjectName><X509Certificate>MIIFqTCCBJG</X509Certificate>"
    "</X509Data></KeyInfo></Signature>"
)

STATUS_03 = f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="{QCVN}"><edXML:edXMLEnvelope xmlns:edXML="{QCVN}"><edXML:edXMLHeader>
<edXML:MessageHeader><edXML:From><edXML:OrganId>000.00.01.H99</edXML:OrganId>
<edXML:OrganName>Sở Thử Nghiệm tỉnh Mẫu</edXML:OrganName></edXML:From>
<edXML:ResponseFor><edXML:OrganId>000.00.00.H99</edXML:OrganId>
<edXML:Code>15/QĐ-UBND</edXML:Code><edXML:PromulgationDate>2026/01/05</edXML:PromulgationDate>
<edXML:DocumentId>000.00.00.H99,2026/01/05,15/QĐ-UBND</edXML:DocumentId></edXML:ResponseFor>
<edXML:StatusCode>03</edXML:StatusCode>
<edXML:Description>Văn thư: đã tiếp nhận, vào sổ văn bản đến</edXML:Description>
<edXML:Timestamp>2026/01/05 10:02:41</edXML:Timestamp></edXML:MessageHeader>
</edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>
""".encode()

LEGACY_EDOC = b"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:edXML="http://www.e-doc.vn/Schema/"><SOAP-ENV:Header><edXML:MessageHeader>
<edXML:From><edXML:OrganId>000.00.00.H99</edXML:OrganId></edXML:From></edXML:MessageHeader>
</SOAP-ENV:Header><SOAP-ENV:Body><edXML:Manifest/></SOAP-ENV:Body></SOAP-ENV:Envelope>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [
 <!ENTITY a "lollollollollollollollollollol">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&h;</Subject></edXML>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [ <!ENTITY leak SYSTEM "file:///etc/passwd"> ]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&leak;</Subject></edXML>
"""
