"""What the clerk does next, for each conclusion: a table keyed by indication and sub-indication.

Circular 15/2025/TT-BKHCN asks the verifying software to show the result of the check; the
receiving office's procedure (Decree 30/2020 Art. 22: an electronic document received through
the system that does not meet the requirements is returned to the sender through the system)
turns it into one of a few steps. The table is data: an exact (indication, sub-indication)
entry first, else the indication's entry (sub-indication ``None``).
"""

from __future__ import annotations

from dataclasses import dataclass

from verifier.model import Indication, SubIndication


@dataclass(frozen=True)
class NextStep:
    """A stable code (``ACCEPT``, ``RETURN_TO_SENDER``, ``CHECK_TRUST_STORE``, ``RETRY_LATER``,
    ``ASK_SECURITY_OFFICER``) and the step in English and Vietnamese."""

    code: str
    message_en: str
    message_vi: str


ACCEPT = NextStep(
    "ACCEPT",
    "Accept the document and process it as usual.",
    "Tiếp nhận văn bản và xử lý theo quy trình.",
)
RETURN_TO_SENDER = NextStep(
    "RETURN_TO_SENDER",
    "Do not accept it: return it to the sender through the system, stating the reason.",
    "Không tiếp nhận; trả lại nơi gửi qua hệ thống, nêu rõ lý do.",
)
RE_SIGN = NextStep(
    "RETURN_TO_SENDER",
    "Return it to the sender through the system and ask for it to be signed again with a valid "
    "certificate and an accepted algorithm, with a timestamp.",
    "Trả lại nơi gửi qua hệ thống, đề nghị ký lại bằng chứng thư số còn hiệu lực, thuật toán "
    "được chấp nhận và có dấu thời gian.",
)
CHECK_TRUST_STORE = NextStep(
    "CHECK_TRUST_STORE",
    "Ask the security officer to check that the issuing CA is in kyso's trust store, then check "
    "the document again.",
    "Đề nghị cán bộ phụ trách an toàn thông tin kiểm tra chứng thư số của tổ chức cung cấp dịch "
    "vụ chứng thực trong kho tin cậy, sau đó kiểm tra lại văn bản.",
)
RETRY_LATER = NextStep(
    "RETRY_LATER",
    "Check the document again when the certificate status service (OCSP/CRL) answers; if it "
    "still does not, ask the security officer.",
    "Kiểm tra lại văn bản khi dịch vụ trạng thái chứng thư số phản hồi; nếu vẫn không được, "
    "báo cán bộ phụ trách an toàn thông tin.",
)
ASK_SECURITY_OFFICER = NextStep(
    "ASK_SECURITY_OFFICER",
    "Ask the security officer to look at the report before the document is accepted.",
    "Đề nghị cán bộ phụ trách an toàn thông tin xem xét báo cáo trước khi tiếp nhận văn bản.",
)
NO_SIGNATURE = NextStep(
    "RETURN_TO_SENDER",
    "The document is not signed: if it must be, return it to the sender through the system.",
    "Văn bản không có chữ ký số: nếu văn bản phải được ký số, trả lại nơi gửi qua hệ thống.",
)

_I, _S = Indication, SubIndication

#: (indication, sub-indication or None for "any other") -> next step.
NEXT_STEPS: dict[tuple[Indication, SubIndication | None], NextStep] = {
    (_I.TOTAL_PASSED, None): ACCEPT,
    (_I.TOTAL_FAILED, None): RETURN_TO_SENDER,
    (_I.NO_SIGNATURE_FOUND, None): NO_SIGNATURE,
    (_I.INDETERMINATE, None): ASK_SECURITY_OFFICER,
    (_I.INDETERMINATE, _S.TRY_LATER): RETRY_LATER,
    (_I.INDETERMINATE, _S.NO_CERTIFICATE_CHAIN_FOUND): CHECK_TRUST_STORE,
    (_I.INDETERMINATE, _S.CERTIFICATE_CHAIN_GENERAL_FAILURE): CHECK_TRUST_STORE,
    (_I.INDETERMINATE, _S.REVOKED_NO_POE): RE_SIGN,
    (_I.INDETERMINATE, _S.REVOKED_CA_NO_POE): RE_SIGN,
    (_I.INDETERMINATE, _S.OUT_OF_BOUNDS_NO_POE): RE_SIGN,
    (_I.INDETERMINATE, _S.OUT_OF_BOUNDS_NOT_REVOKED): RE_SIGN,
    (_I.INDETERMINATE, _S.CRYPTO_CONSTRAINTS_FAILURE_NO_POE): RE_SIGN,
    (_I.INDETERMINATE, _S.NO_POE): RE_SIGN,
    (_I.INDETERMINATE, _S.SIG_CONSTRAINTS_FAILURE): RE_SIGN,
    (_I.INDETERMINATE, _S.CHAIN_CONSTRAINTS_FAILURE): RE_SIGN,
    (_I.INDETERMINATE, _S.NO_SIGNING_CERTIFICATE_FOUND): RETURN_TO_SENDER,
}


def next_step(indication: Indication, sub_indication: SubIndication) -> NextStep:
    """The step for a conclusion: the exact entry, else the indication's."""
    return NEXT_STEPS.get((indication, sub_indication)) or NEXT_STEPS[(indication, None)]


__all__ = ["NEXT_STEPS", "NextStep", "next_step"]
