"""The verifier's message catalogue: every text a check or a note shows, in English and Vietnamese.

Keys are ``<block>.<check>.ok`` / ``.fail`` (see :mod:`verifier.constraints`) and ``note.<code>``
for the warnings a signature or document carries beside its checks.  Texts are ``str.format``
templates; a parameter ending in ``_en``/``_vi`` is already in that language (a reason from a
nested check, a change summary), dates use the format spec of the language.
"""

from __future__ import annotations

from typing import Any

from verifier.model import Message

_T = "%Y-%m-%d %H:%M:%S %Z"  # English date format in templates
_TV = "%d/%m/%Y %H:%M:%S %Z"  # Vietnamese

#: key -> (English, Vietnamese)
MESSAGES: dict[str, tuple[str, str]] = {
    # FC
    "fc.signature_dictionary.ok": ("signature dictionary present", "Có từ điển chữ ký"),
    "fc.signature_dictionary.fail": ("{reason}", "Từ điển chữ ký không hợp lệ: {reason}"),
    "fc.signature_unreadable.fail": (
        "the signature could not be processed",
        "Không xử lý được chữ ký này",
    ),
    "fc.sub_filter.ok": (
        "supported /SubFilter {sub_filter}",
        "Định dạng chữ ký được hỗ trợ ({sub_filter_name})",
    ),
    "fc.sub_filter.fail": (
        "{reason}",
        "Định dạng chữ ký (/SubFilter) không được hỗ trợ: {reason}",
    ),
    "fc.byte_range.ok": ("/ByteRange well formed", "Vùng dữ liệu được ký hợp lệ"),
    "fc.byte_range.fail": ("{reason}", "Vùng dữ liệu được ký (/ByteRange) không hợp lệ: {reason}"),
    "fc.revision_coverage.ok": (
        "the signature covers revision {revision} entirely",
        "Chữ ký bao trùm trọn phiên bản {revision} của tài liệu",
    ),
    "fc.revision_coverage.fail": (
        "{reason}",
        "Chữ ký không bao trùm trọn phiên bản tài liệu được ký: {reason}",
    ),
    "fc.revision_coverage_unreadable.fail": (
        "the signed bytes end with startxref/%%EOF, but the document structure cannot be read "
        "to confirm the signed revision",
        "Phần được ký kết thúc bằng startxref/%%EOF nhưng không đọc được cấu trúc tài liệu để "
        "xác nhận phiên bản được ký",
    ),
    "fc.contents.ok": (
        "/Contents is a well-formed CMS SignedData",
        "Giá trị chữ ký là cấu trúc CMS hợp lệ",
    ),
    "fc.contents.fail": ("{reason}", "Giá trị chữ ký (/Contents) không hợp lệ: {reason}"),
    "fc.detached_content.ok": (
        "no unexpected encapsulated content",
        "Không có nội dung đóng gói trái phép",
    ),
    "fc.detached_content.fail": (
        "{reason}",
        "Chữ ký chứa nội dung đóng gói không được phép: {reason}",
    ),
    "fc.no_changes.ok": (
        "the signature covers the whole document",
        "Chữ ký bao trùm toàn bộ tài liệu",
    ),
    "fc.changes.ok": (
        "only allowed changes after signing: {summary_en}",
        "Sau khi ký chỉ có thay đổi được phép: {summary_vi}",
    ),
    "fc.changes.fail": (
        "the document was changed after signing: {summary_en}",
        "Tài liệu đã bị thay đổi sau khi ký: {summary_vi}",
    ),
    "fc.changes_structure_unreadable.fail": (
        "the PDF structure cannot be read, so the changes after signing cannot be analysed",
        "Không đọc được cấu trúc tệp PDF nên không phân tích được các thay đổi sau khi ký",
    ),
    "fc.changes_not_analysed.fail": (
        "the changes after signing could not be analysed",
        "Không phân tích được các thay đổi sau khi ký",
    ),
    "fc.docmdp_unchanged.ok": (
        "no changes, so no certification permission is violated",
        "Không có thay đổi nên không vi phạm quyền chứng nhận",
    ),
    "fc.docmdp.ok": (
        "certification and field lock permissions respected",
        "Tuân thủ quyền chứng nhận và khóa trường",
    ),
    "fc.docmdp.fail": (
        "changes after signing violate the certification/field lock permissions: {violations}",
        "Thay đổi sau khi ký vi phạm quyền chứng nhận hoặc khóa trường (DocMDP/FieldMDP)",
    ),
    "fc.docmdp_not_checked.fail": (
        "certification permissions could not be checked",
        "Không kiểm tra được quyền chứng nhận (DocMDP)",
    ),
    "fc.annotations_after_signing.ok": (
        "annotations added after signing, allowed by the certification (P=3): {summary_en}",
        "Có chú thích được thêm sau khi ký, được phép theo chữ ký chứng nhận (P=3): {summary_vi}",
    ),
    "fc.annotations_after_signing.fail": (
        "annotations were added or changed after signing: {summary_en}",
        "Có chú thích được thêm hoặc sửa sau khi ký: {summary_vi}",
    ),
    "fc.annotations_coverage_unknown.fail": (
        "what the annotations added after signing cover could not be established",
        "Không xác định được chú thích thêm sau khi ký che lên phần nào của văn bản",
    ),
    "fc.annotation_overlap.ok": (
        "no annotation added after signing covers a signature or an earlier annotation",
        "Không có chú thích thêm sau khi ký che lên chữ ký hoặc chú thích có trước",
    ),
    "fc.annotation_overlap.fail": (
        "an annotation added after signing covers a signature appearance or an earlier "
        "annotation: {found_en}",
        "Chú thích được thêm sau khi ký che lên chữ ký hoặc chú thích có trước: {found_vi}",
    ),
    "fc.annotation_over_content.ok": (
        "no annotation added after signing covers content of the signed document",
        "Không có chú thích thêm sau khi ký che lên nội dung văn bản đã ký",
    ),
    "fc.annotation_over_content.fail": (
        "an annotation added after signing covers content of the signed document; compare with "
        "the signed version: {found_en}",
        "Chú thích được thêm sau khi ký che lên nội dung văn bản đã ký; cần đối chiếu với bản đã "
        "ký: {found_vi}",
    ),
    "fc.annotation_coverage_unclear.fail": (
        "what an annotation added after signing covers could not be established: {found_en}",
        "Không xác định được chú thích thêm sau khi ký che lên phần nào: {found_vi}",
    ),
    "fc.new_field_after_certification.ok": (
        "no signature was placed in a new visible field after the certification",
        "Không có chữ ký nào được đặt vào trường hiển thị mới sau khi chứng thực",
    ),
    "fc.new_field_after_certification.fail": (
        "after a certification allowing form filling and signing (P=2), a signature was "
        "placed in a new visible field: {found_en}",
        "Sau chứng thực cho phép điền biểu mẫu và ký (P=2), có chữ ký được đặt vào trường "
        "hiển thị mới: {found_vi}",
    ),
    "fc.visual_difference.ok": (
        "the pages changed after signing look as signed, outside later signatures: {pages_en}",
        "Các trang bị thay đổi sau khi ký vẫn hiển thị như khi ký (ngoài các chữ ký sau): "
        "{pages_vi}",
    ),
    "fc.visual_difference.fail": (
        "what the signed pages show changed over signed content; compare with the signed "
        "revision: {found_en}",
        "Nội dung hiển thị của trang đã ký bị thay đổi, đè lên nội dung đã ký; cần đối chiếu "
        "với bản đã ký: {found_vi}",
    ),
    "fc.visual_unknown.fail": (
        "pages changed after signing could not be rendered and compared: page(s) {pages_en}",
        "Không hiển thị được để so sánh các trang bị thay đổi sau khi ký: trang {pages_vi}",
    ),
    "fc.visual_addition.ok": (
        "nothing was added to blank areas of the signed pages",
        "Không có gì được thêm vào vùng trống của các trang đã ký",
    ),
    "fc.visual_addition.fail": (
        "something now shows in areas that were blank when signed: {found_en}",
        "Có nội dung mới hiển thị ở vùng còn trống khi ký: {found_vi}",
    ),
    # ISC
    "isc.signing_certificate.ok": (
        "signer certificate: {subject}",
        "Chứng thư số của người ký: {subject}",
    ),
    "isc.signing_certificate.fail": (
        "the signer's certificate is not in the signature",
        "Không tìm thấy chứng thư số của người ký",
    ),
    "isc.tsa_certificate.ok": (
        "TSA certificate: {subject}",
        "Chứng thư số của đơn vị cấp dấu thời gian: {subject}",
    ),
    "isc.tsa_certificate.fail": (
        "the TSA certificate is not in the timestamp",
        "Không tìm thấy chứng thư số của đơn vị cấp dấu thời gian",
    ),
    "isc.reference.ok": (
        "the signed certificate reference matches",
        "Tham chiếu chứng thư số được ký khớp",
    ),
    "isc.reference.fail": ("{reason}", "Tham chiếu chứng thư số trong chữ ký không khớp"),
    "isc.reference_present.ok": (
        "the signature carries an ESS signing-certificate attribute",
        "Chữ ký có thuộc tính tham chiếu chứng thư số (ESS)",
    ),
    "isc.reference_present.fail": (
        "the signature carries no ESS signing-certificate attribute",
        "Chữ ký không có thuộc tính tham chiếu chứng thư số (ESS)",
    ),
    # CV
    "cv.digest_unsupported.fail": (
        "unsupported digest algorithm {algorithm}: kyso cannot evaluate it (nothing is proven "
        "wrong)",
        "Phần mềm chưa hỗ trợ thuật toán băm {algorithm}, chưa kết luận được tính toàn vẹn",
    ),
    "cv.message_digest.ok": (
        "the document has not been changed since it was signed",
        "Nội dung tài liệu được ký còn nguyên vẹn",
    ),
    "cv.message_digest.fail": (
        "{reason}",
        "Nội dung tài liệu đã bị thay đổi sau khi ký (giá trị băm không khớp)",
    ),
    "cv.signature_value.ok": (
        "the signature value matches the signer's public key",
        "Chữ ký khớp với khóa công khai trong chứng thư số",
    ),
    "cv.signature_value.fail": (
        "{reason}",
        "Chữ ký không khớp với khóa công khai trong chứng thư số",
    ),
    "cv.signature_value_unsupported.fail": (
        "{reason}: kyso cannot evaluate this signature (nothing is proven wrong)",
        "Phần mềm chưa hỗ trợ kiểm tra thuật toán chữ ký này, chưa kết luận được ({reason})",
    ),
    "cv.digest_info.fail": (
        "the RSA DigestInfo omits the NULL hash parameters (accepted: RFC 8017 allows both "
        "encodings)",
        "Cấu trúc DigestInfo của chữ ký RSA không có tham số NULL (được chấp nhận theo RFC 8017)",
    ),
    "cv.timestamp_imprint.ok": (
        "the document has not been changed since it was timestamped",
        "Nội dung tài liệu còn nguyên vẹn kể từ khi gắn dấu thời gian",
    ),
    "cv.timestamp_imprint.fail": (
        "the timestamp's message imprint does not match the document",
        "Nội dung tài liệu đã bị thay đổi sau khi gắn dấu thời gian",
    ),
    "cv.timestamp_signature_value.ok": (
        "the timestamp signature is valid",
        "Chữ ký của dấu thời gian hợp lệ",
    ),
    "cv.timestamp_signature_value.fail": (
        "{reason}",
        "Chữ ký của dấu thời gian không hợp lệ",
    ),
    # SAV
    "sav.content_type.ok": ("signed content type is data", "Kiểu nội dung được ký hợp lệ"),
    "sav.content_type.fail": (
        "the signed content-type attribute is not id-data",
        "Thuộc tính kiểu nội dung được ký không hợp lệ",
    ),
    "sav.claimed_signing_time.ok": (
        "claimed signing time {claimed:" + _T + "}",
        "Thời điểm ký do người ký khai báo: {claimed:" + _TV + "}",
    ),
    "sav.claimed_signing_time.fail": ("no claimed signing time", "Không có thời điểm ký khai báo"),
    "sav.digest_algorithm.ok": (
        "digest algorithm {algorithm} is acceptable",
        "Thuật toán băm {algorithm} đạt yêu cầu",
    ),
    "sav.digest_algorithm.fail": (
        "digest algorithm {algorithm} is not allowed{when_en}{cite_en}",
        "Thuật toán băm {algorithm} không được phép sử dụng{when_vi}{cite_vi}",
    ),
    "sav.public_key_size.ok": (
        "public key {key} is long enough",
        "Khóa công khai {key} đạt yêu cầu",
    ),
    "sav.public_key_size.fail": (
        "public key {key} is shorter than {minimum} bits{cite_en}",
        "Khóa công khai {key} ngắn hơn {minimum} bit{cite_vi}",
    ),
    "sav.public_key_algorithm.fail": (
        "public key algorithm {key} is not allowed",
        "Thuật toán khóa công khai {key} không được phép",
    ),
    "sav.signature_algorithm.ok": (
        "signature algorithm {algorithm} is acceptable",
        "Thuật toán chữ ký {algorithm} đạt yêu cầu",
    ),
    "sav.signature_algorithm.fail": (
        "signature algorithm {algorithm} verifies but is not accepted by the policy{cite_en}",
        "Chữ ký dùng thuật toán {algorithm} đúng về mặt mật mã nhưng không nằm trong danh mục "
        "thuật toán được chấp nhận{cite_vi}",
    ),
    "sav.pss_parameters.ok": (
        "RSA-PSS parameters acceptable ({params})",
        "Tham số RSA-PSS đạt yêu cầu ({params})",
    ),
    "sav.pss_parameters.fail": (
        "RSA-PSS parameters not accepted by the policy: {problem}{cite_en}",
        "Tham số RSA-PSS không đạt yêu cầu ({problem}){cite_vi}",
    ),
    # XCV / PSV
    "xcv.validation_data_algorithms.ok": (
        "the certificate chain and revocation data use acceptable algorithms",
        "Chuỗi chứng thư số và dữ liệu thu hồi dùng thuật toán đạt yêu cầu",
    ),
    "xcv.validation_data_digest.fail": (
        "validation data signed with a digest the policy does not accept at this time: "
        "{found}{cite_en}",
        "Dữ liệu xác thực (chứng thư số, OCSP, CRL) dùng thuật toán băm không được chấp nhận tại "
        "thời điểm này: {found}{cite_vi}",
    ),
    "xcv.validation_data_key.fail": (
        "a certificate of the chain has a key shorter than the policy accepts: {found}{cite_en}",
        "Chứng thư số trong chuỗi có khóa ngắn hơn mức tối thiểu: {found}{cite_vi}",
    ),
    "xcv.key_usage.ok": (
        "the certificate may be used for signatures",
        "Chứng thư số được phép dùng để ký",
    ),
    "xcv.key_usage.fail": (
        "the certificate's key usage ({usages}) does not allow signatures",
        "Chứng thư số không có mục đích sử dụng để ký (digitalSignature/nonRepudiation)",
    ),
    "xcv.extended_key_usage.ok": (
        "extended key usage compatible with document signing",
        "Mục đích sử dụng mở rộng phù hợp với ký văn bản",
    ),
    "xcv.extended_key_usage.fail": (
        "extended key usage {usages} is not for document signing",
        "Mục đích sử dụng mở rộng của chứng thư số không dành cho ký văn bản",
    ),
    "xcv.tsa_extended_key_usage.ok": (
        "the TSA certificate is for time-stamping",
        "Chứng thư số của TSA dùng để cấp dấu thời gian",
    ),
    "xcv.tsa_extended_key_usage.fail": (
        "the TSA certificate lacks id-kp-timeStamping",
        "Chứng thư số của TSA không có mục đích cấp dấu thời gian",
    ),
    "xcv.chain_error.fail": (
        "the certificate chain could not be validated",
        "Không kiểm tra được chuỗi chứng thư số",
    ),
    "xcv.no_chain.fail": (
        "no chain from the signer's certificate to a trust anchor in the trust store",
        "Không xây dựng được đường dẫn tin cậy từ chứng thư số của người ký tới chứng thư gốc "
        "trong kho tin cậy",
    ),
    "xcv.chain_found.ok": (
        "chain to a trust anchor found",
        "Có đường dẫn tin cậy tới chứng thư gốc",
    ),
    "xcv.chain_invalid.fail": (
        "the certificate chain is not valid: {error}",
        "Chuỗi chứng thư số không hợp lệ",
    ),
    "xcv.chain_algorithm.fail": (
        "a certificate of the chain uses a forbidden algorithm",
        "Chứng thư số trong chuỗi dùng thuật toán không được phép",
    ),
    "xcv.chain_valid.ok": (
        "chain to the trust anchor {anchor} is valid",
        "Đường dẫn tin cậy tới chứng thư gốc {anchor} hợp lệ",
    ),
    "xcv.revoked.fail": (
        "{who_en} was revoked on {revoked}, before the signing time {best}",
        "{who_vi} đã bị thu hồi ngày {revoked}, trước thời điểm ký {best}",
    ),
    "xcv.revoked_no_poe.fail": (
        "{who_en} was revoked on {revoked}; nothing proves the signature existed before",
        "{who_vi} đã bị thu hồi ngày {revoked}; không có dấu thời gian chứng minh chữ ký được "
        "tạo trước đó",
    ),
    "xcv.revocation_unknown.fail": (
        "the revocation status of the certificates could not be established{cite_en}",
        "Không xác định được trạng thái thu hồi của chứng thư số{cite_vi}",
    ),
    "xcv.not_revoked.ok": (
        "the certificate was not revoked ({source}){at_en}",
        "Chứng thư số không bị thu hồi{at_vi}",
    ),
    "psv.revoked_after_signing.ok": (
        "the certificate was revoked on {revoked}, after the signature timestamp {poe}",
        "Chứng thư số bị thu hồi ngày {revoked}, sau thời điểm ký được chứng minh bằng dấu thời "
        "gian {poe}",
    ),
    "xcv.valid_at_signing_time.ok": (
        "the certificate was valid at the signing time {when}",
        "Chứng thư số còn hiệu lực tại thời điểm ký {when}",
    ),
    "xcv.signing_time_unknown.fail": (
        "no signing time: validity at signing time cannot be established",
        "Không có thời điểm ký: không xác định được hiệu lực tại thời điểm ký",
    ),
    "xcv.chain_outside_validity_proven.fail": (
        "a certificate of the chain {bound_en} {when} and the timestamp proves the signature was "
        "made outside the validity period",
        "Chứng thư số trong chuỗi {bound_vi} {when}; dấu thời gian cho thấy chữ ký được tạo "
        "ngoài thời hạn hiệu lực",
    ),
    "xcv.chain_outside_validity.fail": (
        "a certificate of the chain {bound_en} {when}; no timestamp proves the signature was "
        "made while it was valid",
        "Chứng thư số trong chuỗi {bound_vi} {when}; không có dấu thời gian chứng minh chữ ký "
        "được tạo khi chứng thư còn hiệu lực",
    ),
    "xcv.timestamp_outside_validity.fail": (
        "the signature timestamp {poe} is outside the certificate validity {not_before} – "
        "{not_after}",
        "Dấu thời gian {poe} nằm ngoài thời hạn hiệu lực của chứng thư {not_before} – {not_after}",
    ),
    "xcv.claimed_outside_validity.fail": (
        "the claimed signing time {when} is outside the certificate validity {not_before} – "
        "{not_after}",
        "Thời điểm ký khai báo {when} nằm ngoài thời hạn hiệu lực của chứng thư {not_before} – "
        "{not_after}",
    ),
    # TS
    "ts.present.ok": ("the signature has a signature timestamp", "Chữ ký có dấu thời gian"),
    "ts.present.fail": ("the signature has no timestamp", "Chữ ký không có dấu thời gian"),
    "ts.imprint.ok": (
        "the signature timestamp{which} is intact",
        "Dấu thời gian{which} của chữ ký còn nguyên vẹn",
    ),
    "ts.imprint.fail": (
        "the signature timestamp{which} does not verify ({reason_en}); it is not used as proof "
        "of the signing time and the signature is judged without it",
        "Dấu thời gian{which} của chữ ký không hợp lệ ({reason_vi}); không dùng làm bằng chứng "
        "thời điểm ký, chữ ký được đánh giá như không có dấu thời gian này",
    ),
    "ts.tsa_unknown.fail": (
        "the TSA certificate of the signature timestamp{which} is not available; the claimed "
        "signing time is used",
        "Không có chứng thư số của đơn vị cấp dấu thời gian{which}; dùng thời điểm ký do người "
        "ký khai báo",
    ),
    "ts.valid.ok": (
        "signature timestamp{which} {time:" + _T + "} by a trusted TSA ({tsa})",
        "Dấu thời gian{which} {time:" + _TV + "} do đơn vị cấp dấu thời gian tin cậy cấp ({tsa})",
    ),
    "ts.valid.fail": (
        "the signature timestamp{which} cannot be trusted ({reason_en}); it is not used as "
        "proof of the signing time",
        "Không xác nhận được dấu thời gian{which} ({reason_vi}); không dùng làm bằng chứng thời "
        "điểm ký",
    ),
    # why a timestamp token is not valid (reason_en / reason_vi of the checks above)
    "ts.reason.IMPRINT_MISMATCH": (
        "{reason}",
        "giá trị băm trong dấu thời gian không khớp với dữ liệu được đóng dấu",
    ),
    "ts.reason.SIGNATURE_INVALID": ("{reason}", "chữ ký của đơn vị cấp dấu thời gian không đúng"),
    "ts.reason.SIGNATURE_UNSUPPORTED": (
        "{reason}",
        "phần mềm chưa hỗ trợ thuật toán của dấu thời gian",
    ),
    "ts.reason.NO_TST_INFO": ("{reason}", "dấu thời gian không chứa thông tin thời gian (TSTInfo)"),
    "ts.reason.SIGNER_COUNT": ("{reason}", "dấu thời gian phải có đúng một người ký"),
    "ts.reason.TSA_CERTIFICATE_MISSING": (
        "{reason}",
        "không có chứng thư số của đơn vị cấp dấu thời gian",
    ),
    "ts.reason.SIGNED_ATTRIBUTES": ("{reason}", "thuộc tính được ký của dấu thời gian sai"),
    "ts.reason.MALFORMED": ("{reason}", "dấu thời gian sai cấu trúc"),
    "ts.reason.ALGORITHM": (
        "the timestamp uses {algorithm}, which the policy does not accept at this time",
        "dấu thời gian dùng thuật toán {algorithm} không được chấp nhận tại thời điểm này",
    ),
    "ts.reason.KEY": (
        "the TSA key {key} is too short for the policy",
        "khóa {key} của đơn vị cấp dấu thời gian không đủ độ dài",
    ),
    "ts.reason.ORDER": (
        "the content timestamp {time:" + _T + "} is after the signing time {signing:" + _T + "}",
        "dấu thời gian nội dung {time:" + _TV + "} muộn hơn thời điểm ký {signing:" + _TV + "}",
    ),
    "sav.content_timestamp.ok": (
        "content timestamp{which} {time:" + _T + "} by a trusted TSA ({tsa}) over the signed "
        "content",
        "Dấu thời gian nội dung{which} {time:" + _TV + "} do đơn vị tin cậy cấp ({tsa}) khớp "
        "với nội dung được ký",
    ),
    "sav.content_timestamp.fail": (
        "the content timestamp{which}, signed by the signer, is not valid ({reason_en})",
        "Dấu thời gian nội dung{which} (do người ký ký kèm) không hợp lệ ({reason_vi})",
    ),
    # Notes: warnings beside the checks
    "note.PDF_UNREADABLE.none": (
        "the PDF structure cannot be read and no signature dictionary was found in its bytes, "
        "so its signatures cannot be verified",
        "Không đọc được cấu trúc tệp PDF và không tìm thấy từ điển chữ ký nào trong dữ liệu, "
        "nên không kiểm tra được chữ ký",
    ),
    "note.PDF_UNREADABLE.scanned": (
        "the PDF structure cannot be read; {count} signature dictionary(ies) found by scanning "
        "its bytes were checked for integrity only (changes after signing unknown)",
        "Không đọc được cấu trúc tệp PDF; đã tìm thấy {count} từ điển chữ ký bằng cách dò dữ "
        "liệu và chỉ kiểm tra được tính toàn vẹn (không xác định được thay đổi sau khi ký)",
    ),
    "note.FOUND_BY_BYTE_SCAN": (
        "signature dictionary found by scanning the file's bytes{where}",
        "Từ điển chữ ký được tìm thấy bằng cách dò dữ liệu của tệp",
    ),
    "note.REVOCATION_STATUS_UNKNOWN": (
        "revocation status unknown: the signature cannot be confirmed as valid",
        "Không kiểm tra được trạng thái thu hồi chứng thư số, chưa thể xác nhận chữ ký hợp lệ",
    ),
    "note.FETCH_LIMITED": (
        "outbound fetches (OCSP, CRL, AIA) were refused or cut short by a limit or rule: "
        "{reasons}; what they would have answered is unknown",
        "Một số yêu cầu lấy dữ liệu qua mạng (OCSP, CRL, AIA) bị từ chối hoặc dừng giữa chừng do "
        "giới hạn hoặc quy tắc: {reasons}; không có thông tin mà chúng lẽ ra cung cấp",
    ),
    "note.REVOCATION_DATA_STALE": (
        "a responder was unreachable: a cached revocation answer past its nextUpdate was used",
        "Máy chủ trạng thái chứng thư không phản hồi, đã dùng thông tin thu hồi lưu tạm đã quá "
        "hạn cập nhật",
    ),
    "note.ARCHIVE_TIMESTAMP_POE": (
        "a valid document timestamp of {poe} covering the signature proves it existed then; "
        "the certificates were validated at that time",
        "Dấu thời gian tài liệu hợp lệ lúc {poe} chứng minh chữ ký đã tồn tại vào thời điểm "
        "đó; chứng thư số được kiểm tra tại thời điểm này",
    ),
    "note.LIMIT_REACHED": (
        "the limit {limit} = {value} was reached: the work it bounds stopped there, so what lay "
        "beyond it was not checked",
        "Đã chạm giới hạn {limit} = {value}: phần việc vượt quá giới hạn này không được kiểm tra",
    ),
    "note.SIGNATURES_NOT_CHECKED": (
        "the document has more signature fields than the limit max_signatures = {limit}: only "
        "the first {limit} were checked, the rest were not",
        "Văn bản có nhiều trường chữ ký hơn giới hạn max_signatures = {limit}: chỉ kiểm tra "
        "{limit} trường đầu tiên, các trường còn lại không được kiểm tra",
    ),
    "note.DOCUMENT_TIMESTAMP_NOT_USED": (
        "document timestamp {number} is {indication}/{sub_indication} ({reason_en}); it is not "
        "used as proof of existence and does not change the signatures' verdict",
        "Dấu thời gian tài liệu {number} không hợp lệ hoặc chưa xác định được ({reason_vi}); "
        "không dùng làm bằng chứng thời điểm tồn tại và không ảnh hưởng đến kết quả của các "
        "chữ ký",
    ),
    "note.REVOKED_AFTER_SIGNING": (
        "the signer's certificate was revoked on {revoked}, after signing",
        "Lưu ý: chứng thư số của người ký đã bị thu hồi ngày {revoked}, sau thời điểm ký",
    ),
}


def render(key: str, /, **params: Any) -> tuple[str, str]:
    """(English, Vietnamese) text of ``key`` with ``params`` filled in.

    Raises KeyError for an unknown key (a bug: the catalogue test renders every constraint).
    """
    en, vi = MESSAGES[key]
    return en.format(**params), vi.format(**params)


def note(code: str, key: str = "", /, **params: Any) -> Message:
    """A warning beside the checks: ``note.<code>`` (or ``note.<code>.<key>``) rendered."""
    en, vi = render(f"note.{code}" + (f".{key}" if key else ""), **params)
    return Message(code, en, vi)


__all__ = ["MESSAGES", "note", "render"]
