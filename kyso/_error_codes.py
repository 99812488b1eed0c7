"""The catalogue of kyso's stable error codes, grouped by meaning.

Each code appears once, in the group of the error class that may raise it
(``kyso.errors`` binds each group to its class).  A code never changes once
published: clients and audit records key on it.  English is for logs and
operators, Vietnamese for clerks.  Templates are ``str.format`` strings filled
from the raise site's keyword arguments; the Vietnamese text may use fewer
fields than the English (an English-only ``{problem}`` detail stays out of the
clerk's message).  ``docs/errors.md`` lists the catalogue and the renamed codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


class Texts(NamedTuple):
    """The English and Vietnamese templates of one code."""

    en: str
    vi: str


INVALID_INPUT: Mapping[str, Texts] = {
    # the document
    "NOT_A_PDF": Texts(
        "the document is not a readable PDF ({problem})",
        "tài liệu không phải là tệp PDF đọc được (rỗng, bị hỏng hoặc không đầy đủ)",
    ),
    "DOCUMENT_ENCRYPTED": Texts(
        "the document is encrypted; remove the password first",
        "văn bản đã được mã hóa; cần gỡ mật khẩu trước",
    ),
    "DOCUMENT_TOO_COMPLEX": Texts(
        "text extraction timed out", "trích xuất văn bản quá lâu (văn bản quá phức tạp)"
    ),
    "CHANGE_ANALYSIS_FAILED": Texts(
        "the changes after signing cannot be analysed ({problem})",
        "không phân tích được các thay đổi sau khi ký",
    ),
    # files named on the command line (the CLI, before anything is sent)
    "FILE_UNREADABLE": Texts(
        "cannot read {path} ({problem})",
        "không đọc được tệp {path} (không tồn tại, là thư mục hoặc không có quyền đọc)",
    ),
    "FILE_UNWRITABLE": Texts(
        "cannot write {path} ({problem})",
        "không ghi được tệp {path} (thư mục không tồn tại, là thư mục hoặc không có quyền ghi)",
    ),
    # request options
    "OPTION_INVALID": Texts(
        "option {option} is invalid ({problem})", "tùy chọn {option} không hợp lệ"
    ),
    "COMMAND_LINE_INVALID": Texts(
        "the command line is invalid: {problem} (kyso --help, kyso COMMAND --help)",
        "dòng lệnh không hợp lệ; xem kyso --help",
    ),
    "OUTPUT_CLOSED": Texts(
        "the output was closed before everything was written (e.g. `| head`)",
        "đầu ra đã bị đóng trước khi ghi xong",
    ),
    "STREAM_HEADER_REQUIRED": Texts(
        "the first message of the stream must carry the header (options)",
        "thông điệp đầu tiên phải là phần đầu (chứa tùy chọn)",
    ),
    "STREAM_SIZE_MISMATCH": Texts(
        "the header declared {declared} bytes but {received} bytes arrived",
        "phần đầu khai báo {declared} byte nhưng nhận được {received} byte",
    ),
    "EDXML_EMPTY": Texts("the edXML package is empty", "gói tin edXML rỗng"),
    "STREAM_INVALID": Texts(
        "only document chunks may follow the header",
        "sau phần đầu chỉ được gửi các phần của tài liệu",
    ),
    "PROFILE_NOT_ALLOWED": Texts(
        "key {key} is not configured for profile {profile}",
        "khóa không được cấu hình cho loại chữ ký {profile}",
    ),
    "LEVEL_NOT_SUPPORTED": Texts(
        "the two-step flow signs at B-B or B-T; extend to B-LT/B-LTA afterwards",
        "ký hai bước chỉ hỗ trợ mức B-B hoặc B-T",
    ),
    "NUMBER_REQUIRED": Texts(
        "an attachment signature needs the document's number and symbol",
        "chữ ký trên tệp đính kèm cần số và ký hiệu văn bản",
    ),
    "PLACEMENT_INVALID": Texts(
        "the placement on page {page} is invalid: {problem}",
        "vị trí ký trên trang {page} không hợp lệ (trang phải có trong văn bản; khung ký "
        "phải nằm trọn trong trang, với x1 < x2 và y1 < y2)",
    ),
    "ANCHOR_INVALID": Texts("empty anchor text", "văn bản neo vị trí ký bị trống"),
    "PLACEMENT_AMBIGUOUS": Texts(
        "{count} candidate signer blocks and none is the signer's ({candidates}): give a "
        "placement (anchor text, rectangle or field)",
        "văn bản có {count} khối chữ ký ({candidates}), không xác định được khối của người ký; "
        "cần chỉ rõ vị trí ký (dòng chữ neo, khung ký hoặc ô chữ ký)",
    ),
    "FIELD_FILLED": Texts("field {field!r} is already signed", "ô chữ ký {field!r} đã được ký"),
    "FIELD_NOT_FOUND": Texts(
        "no signature field named {field!r}", "không có ô chữ ký tên {field!r}"
    ),
    "IMAGE_REQUIRED": Texts(
        "no signature image: send one or configure the key's image",
        "chưa có ảnh chữ ký/con dấu: cần gửi kèm hoặc cấu hình",
    ),
    "IMAGE_INVALID": Texts(
        "the signature image is unusable ({problem})",
        "ảnh chữ ký không dùng được (cần ảnh PNG đọc được, không trống, không quá lớn)",
    ),
    "POLICY_INVALID": Texts(
        "validation policy {policy} is invalid ({problem})",
        "chính sách kiểm tra {policy} không hợp lệ",
    ),
    "SIGNING_REFUSED": Texts(
        "the document cannot be signed as requested", "không thể ký văn bản theo yêu cầu"
    ),
    # two-step signing
    "CERTIFICATE_REQUIRED": Texts(
        "the signer's certificate is required", "cần chứng thư số của người ký"
    ),
    "DOCUMENT_SHA256_REQUIRED": Texts(
        "document_sha256 is required", "cần mã băm SHA-256 của văn bản"
    ),
    "SIGNATURE_REQUIRED": Texts("a signature or a CMS is required", "cần gửi chữ ký hoặc CMS"),
    "SIGNATURE_INVALID": Texts(
        "the signature does not verify against the signer's certificate",
        "chữ ký không khớp với chứng thư số của người ký",
    ),
    "CMS_INVALID": Texts("the CMS cannot be parsed", "không đọc được CMS"),
    "CMS_MISMATCH": Texts(
        "the CMS does not sign the prepared attributes",
        "CMS không ký đúng các thuộc tính đã chuẩn bị",
    ),
    # keys, certificates and algorithms
    "CERTIFICATE_INVALID": Texts(
        "the data is not a valid X.509 certificate (DER or PEM)",
        "dữ liệu không phải là chứng thư số X.509 hợp lệ",
    ),
    "KEY_UNSUPPORTED": Texts(
        "only RSA and ECDSA keys are supported ({key})", "chỉ hỗ trợ khóa RSA và ECDSA"
    ),
    "KEY_FILE_INVALID": Texts(
        "cannot read key file {path} (wrong passphrase or damaged file)",
        "không đọc được tệp khóa {path} (sai mật khẩu hoặc tệp hỏng)",
    ),
    "ALGORITHM_NOT_ALLOWED": Texts(
        "algorithm {algorithm} is not allowed (digests: SHA-256 or stronger)",
        "thuật toán {algorithm} không được phép (thuật toán băm cần SHA-256 trở lên)",
    ),
    # configuration (seen by operators at start-up)
    "CONFIG_INVALID": Texts(
        "the configuration is invalid: {problem}",
        "cấu hình kyso không hợp lệ: sửa khóa cấu hình (hoặc biến môi trường KYSO_*) được nêu "
        "theo kiểu giá trị cần có, rồi khởi động lại kyso; mọi khóa được liệt kê trong "
        "docs/configuration.md",
    ),
    "CONFIG_PIN_IN_FILE": Texts(
        "a PIN must not be written in the config file; use pin_env or pin_file",
        "không được ghi mã PIN trong tệp cấu hình; dùng pin_env hoặc pin_file",
    ),
    "KEY_PIN_MISSING": Texts(
        "key {key}: environment variable {variable} is not set",
        "khóa {key}: chưa đặt biến môi trường {variable}",
    ),
    "SECRET_FILE_UNPROTECTED": Texts(
        "{setting}: {path} {problem}; fix: {fix}",
        "tệp bí mật {path} ({setting}) phải chỉ người dùng chạy kyso đọc được; sửa: {fix}",
    ),
    # trust store administration
    "TRUST_REASON_REQUIRED": Texts(
        "a reason is required for every change to the trust store",
        "mọi thay đổi kho tin cậy phải ghi rõ lý do",
    ),
    "TRUST_REASON_TOO_LONG": Texts("the reason is too long", "lý do quá dài"),
    "TRUST_BAD_FINGERPRINT": Texts(
        "name a certificate by its SHA-256 fingerprint (hex, colons optional)",
        "hãy nêu chứng thư bằng dấu vân tay SHA-256 (dạng hex)",
    ),
    "TRUST_AMBIGUOUS_FINGERPRINT": Texts(
        "fingerprint prefix {prefix} matches {count} certificates; give more digits",
        "tiền tố {prefix} khớp {count} chứng thư; hãy nhập thêm chữ số",
    ),
    "TRUST_NOT_CA": Texts(
        "{name} is not a CA certificate and cannot be a trust {role}",
        "{name} không phải chứng thư của tổ chức chứng thực (CA), không thể làm chứng thư gốc "
        "hoặc chứng thư trung gian trong kho tin cậy",
    ),
    "TRUST_ANCHOR_NOT_SELF_SIGNED": Texts(
        "{name} is not self-signed; add it as an intermediate",
        "{name} không tự ký; hãy thêm làm chứng thư trung gian",
    ),
    "TRUST_ONE_CERTIFICATE": Texts(
        "add takes exactly one certificate; use import for a bundle",
        "lệnh thêm chỉ nhận một chứng thư; dùng lệnh nhập cho một bộ chứng thư",
    ),
    "TRUST_BAD_BUNDLE": Texts(
        "the certificate bundle is unusable ({problem})",
        "tệp chứng thư không hợp lệ (rỗng, quá lớn, bị cắt cụt, bị hỏng "
        "hoặc chứa dữ liệu không phải chứng thư số)",
    ),
    "TRUST_BAD_BUNDLE_NAME": Texts(
        "a bundle name is lower-case letters, digits and dashes",
        "tên bộ chứng thư chỉ gồm chữ thường, chữ số và dấu gạch ngang",
    ),
}

NOT_FOUND: Mapping[str, Texts] = {
    "KEY_NOT_FOUND": Texts("unknown key {key!r}", "không có khóa ký tên {key!r}"),
    "KEY_NOT_ON_TOKEN": Texts(
        "{count} objects match label={label!r} id={key_id!r} on the token",
        "không tìm thấy đúng một khóa/chứng thư trên thiết bị ký",
    ),
    "TOKEN_NOT_FOUND": Texts(
        "PKCS#11 token not found ({problem})", "không tìm thấy thiết bị ký (token PKCS#11)"
    ),
    "PENDING_NOT_FOUND": Texts(
        "no pending signature with this id (unknown or expired)",
        "không có yêu cầu ký đang chờ với mã này (sai mã hoặc đã hết hạn)",
    ),
    "ANCHOR_NOT_FOUND": Texts(
        "anchor text {anchor!r} not found in the document",
        "không tìm thấy dòng chữ {anchor!r} trong văn bản",
    ),
    "SIGNER_BLOCK_NOT_FOUND": Texts(
        "no signer block (title lines, then the name line: Decree 30/2020 Appendix I) in the "
        "document's text layer: give a placement (anchor text, rectangle or field)",
        "không tìm thấy khối chữ ký (chức vụ, họ tên người ký) trong văn bản; cần chỉ rõ vị trí "
        "ký (dòng chữ neo, khung ký hoặc ô chữ ký)",
    ),
    "POLICY_NOT_FOUND": Texts(
        "unknown validation policy {policy}", "không có chính sách kiểm tra {policy}"
    ),
    "TRUST_CERTIFICATE_NOT_FOUND": Texts(
        "no certificate {prefix} in the trust store",
        "không có chứng thư {prefix} trong kho tin cậy",
    ),
    "TRUST_BUNDLE_NOT_FOUND": Texts(
        "no bundle named {bundle!r}", "không có bộ chứng thư tên {bundle!r}"
    ),
}

ALREADY_EXISTS: Mapping[str, Texts] = {
    "TRUST_CERTIFICATE_EXISTS": Texts(
        "{name} ({fingerprint}…) is already in the trust store",
        "chứng thư {name} đã có trong kho tin cậy",
    ),
    "CONSENT_ENROLLED": Texts(
        "key {key} already has an enrolled owner secret; enrol again with --replace",
        "khóa {key} đã được đăng ký mã xác thực của người sở hữu",
    ),
}

PRECONDITION: Mapping[str, Texts] = {
    # owner consent (docs/security.md, "Owner consent")
    "KEY_LOCKED": Texts(
        "key {key} is locked after repeated failed owner authorisations until {until}",
        "khóa {key} đang bị tạm khóa do xác thực sai nhiều lần, đến {until}",
    ),
    "CONSENT_NOT_ENROLLED": Texts(
        "key {key} needs its owner's consent ({kind}) but has no usable enrolled secret "
        "({problem}); run `kyso keys enroll {key}` on the server",
        "khóa {key} chưa được đăng ký mã xác thực của người sở hữu",
    ),
    "IMAGE_UNAVAILABLE": Texts(
        "cannot read the image of key {key}", "không đọc được ảnh chữ ký/con dấu đã cấu hình"
    ),
    "DOCUMENT_MISMATCH": Texts(
        "this is not the document that was prepared",
        "văn bản không phải văn bản đã được chuẩn bị để ký",
    ),
    "SIGNING_BINDING_FAILED": Texts(
        "the key was not used: what the document worker asked to sign does not bind the "
        "document ({problem})",
        "khóa ký không được dùng: dữ liệu cần ký không khớp với văn bản",
    ),
    "TSA_NOT_CONFIGURED": Texts(
        "level {level} needs a timestamp authority; none is configured",
        "mức {level} cần máy chủ cấp dấu thời gian nhưng chưa được cấu hình",
    ),
    "PERSONAL_SIGNATURE_REQUIRED": Texts(
        "the organisation signature needs a valid personal signature on the document first",
        "văn bản chưa có chữ ký số hợp lệ của người có thẩm quyền; "
        "chưa được ký số của cơ quan, tổ chức (Nghị định 30/2020, Điều 32)",
    ),
    # the signer's certificate (precheck, Circular 15/2025)
    "CERT_KEY_TOO_WEAK": Texts(
        "the signer's key ({key}) is not allowed: RSA needs 2048 bits or more, "
        "ECDSA an approved curve of 256 bits or more",
        "khóa của chứng thư số quá yếu hoặc không được phép "
        "(RSA tối thiểu 2048 bit, ECDSA từ 256 bit)",
    ),
    "CERT_KEY_USAGE": Texts(
        "the certificate's key usage does not allow signing documents",
        "chứng thư số không được phép dùng để ký văn bản (key usage)",
    ),
    "CERT_NOT_YET_VALID": Texts(
        "{which} is not valid yet",
        "chứng thư số của người ký (hoặc trong chuỗi chứng thực) chưa đến thời hạn hiệu lực",
    ),
    "CERT_EXPIRED": Texts(
        "{which} has expired",
        "chứng thư số của người ký (hoặc trong chuỗi chứng thực) đã hết hạn",
    ),
    "CERT_UNTRUSTED": Texts(
        "the signer's certificate is not trusted ({problem})",
        "chứng thư số của người ký không thuộc chuỗi tin cậy được chấp nhận",
    ),
    "CERT_REVOKED": Texts(
        "the signer's certificate (or its CA) has been revoked",
        "chứng thư số của người ký đã bị thu hồi",
    ),
    "CERT_REVOCATION_UNKNOWN": Texts(
        "the revocation status of the signer's certificate cannot be checked",
        "không kiểm tra được tình trạng thu hồi của chứng thư số (OCSP/CRL không phản hồi)",
    ),
    "CERT_ALGORITHM_WEAK": Texts(
        "the chain uses a disallowed algorithm",
        "chuỗi chứng thực dùng thuật toán không được phép",
    ),
    "CERT_INVALID": Texts(
        "the signer's certificate failed validation", "chứng thư số của người ký không hợp lệ"
    ),
    # trust store administration
    "TRUST_CERTIFICATE_EXPIRED": Texts(
        "{name} expired on {not_after:%Y-%m-%d}; add it only with the allow-expired flag "
        "(needed to verify old signatures)",
        "{name} đã hết hạn ngày {not_after:%d/%m/%Y}; "
        "chỉ thêm khi chọn rõ cho phép chứng thư hết hạn",
    ),
    "TRUST_CERTIFICATE_NOT_YET_VALID": Texts(
        "{name} is not valid before {not_before:%Y-%m-%d}",
        "{name} chưa có hiệu lực trước ngày {not_before:%d/%m/%Y}",
    ),
    "TRUST_ANCHOR_IN_USE": Texts(
        "this anchor is still valid and {count} certificate(s) in the store chain to it, "
        "so signatures may depend on it; confirm the removal explicitly",
        "chứng thư gốc này còn hiệu lực ({count} chứng thư trong kho phụ thuộc), "
        "các chữ ký số có thể phụ thuộc vào nó; hãy xác nhận rõ việc gỡ bỏ",
    ),
    "TRUST_BUNDLE_BROKEN": Texts(
        "bundle {bundle} has an unreadable manifest",
        "bộ chứng thư {bundle} có tệp kê khai bị hỏng",
    ),
    "TRUST_BUNDLE_PIN_MISMATCH": Texts(
        "bundle file {file} does not match its pinned fingerprint ({problem}); nothing installed",
        "tệp {file} không khớp dấu vân tay đã ghim; không cài đặt gì",
    ),
}

ABORTED: Mapping[str, Texts] = {
    "TRUST_VERSION_CONFLICT": Texts(
        "the trust store is at version {current}, not {expected}; reload and try again",
        "kho tin cậy đã ở phiên bản {current}, không phải {expected}; hãy tải lại và thử lại",
    ),
}

RESOURCE_EXHAUSTED: Mapping[str, Texts] = {
    "PARSE_LIMIT_EXCEEDED": Texts(
        "the document needs more than the limit {limit} allows to be read ({problem})",
        "văn bản cần vượt quá giới hạn {limit} để đọc được ({problem})",
    ),
    "DOCUMENT_TOO_LARGE": Texts(
        "the document is larger than the limit of {limit} bytes",
        "văn bản vượt quá dung lượng cho phép ({limit} byte)",
    ),
    "PENDING_TOO_LARGE": Texts(
        "the prepared document is too large to keep for the two-step flow",
        "văn bản đã chuẩn bị quá lớn để lưu chờ ký hai bước",
    ),
    "PENDING_LIMIT": Texts("too many pending signatures", "quá nhiều chữ ký đang chờ hoàn tất"),
    "PENDING_CLIENT_LIMIT": Texts(
        "client {client} already has {value} two-step signatures waiting for "
        "CompleteSignature (limit {limit} = {value}); complete them or let them expire",
        "máy khách {client} đã có {value} chữ ký hai bước đang chờ hoàn tất "
        "(giới hạn {limit} = {value}); hãy hoàn tất hoặc chờ chúng hết hạn",
    ),
    # per-client limits at the door (kyso.server.client_limits, docs/security.md)
    "CLIENT_RATE_LIMITED": Texts(
        "client {client} is calling faster than its limit {limit} = {value} a second "
        "(burst {burst}); retry in {retry} s",
        "máy khách {client} gọi nhanh hơn giới hạn {limit} = {value} lần mỗi giây; "
        "hãy thử lại sau {retry} giây",
    ),
    "CLIENT_CONCURRENCY_LIMITED": Texts(
        "client {client} already has {value} calls running (limit {limit} = {value}); "
        "retry when one has ended",
        "máy khách {client} đã có {value} yêu cầu đang xử lý (giới hạn {limit} = {value}); "
        "hãy thử lại khi một yêu cầu kết thúc",
    ),
    "KEY_LIMIT_REACHED": Texts(
        "key {key} has reached its limit {limit} = {value}",
        "khóa {key} đã đạt giới hạn số lần ký ({limit} = {value})",
    ),
    "VERIFY_MEMORY_LIMIT": Texts(
        "processing the document (checking or preparing it for signing) needed more memory "
        "than process_pool.memory_limit_bytes = {limit} allows; the work was stopped",
        "xử lý văn bản (kiểm tra hoặc chuẩn bị ký) cần nhiều bộ nhớ hơn giới hạn "
        "process_pool.memory_limit_bytes = {limit}; việc xử lý đã bị dừng",
    ),
    "VERIFY_CPU_LIMIT": Texts(
        "processing the document (checking or preparing it for signing) needed more CPU time "
        "than process_pool.cpu_seconds = {limit} allows; the work was stopped",
        "xử lý văn bản (kiểm tra hoặc chuẩn bị ký) cần nhiều thời gian hơn giới hạn "
        "process_pool.cpu_seconds = {limit}; việc xử lý đã bị dừng",
    ),
}

UNAVAILABLE: Mapping[str, Texts] = {
    # the CLI: a call that never reached kyso (kyso.cli.channel.transport_error)
    "SERVER_UNREACHABLE": Texts(
        "cannot reach the kyso server at {address} ({problem}); check --server (KYSO_SERVER), "
        "that `kyso serve` runs, and give --ca if the server has [tls]",
        "không kết nối được tới máy chủ kyso tại {address}; kiểm tra --server và máy chủ "
        "đã chạy chưa",
    ),
    "TLS_HANDSHAKE_FAILED": Texts(
        "the TLS handshake with {address} failed ({problem}): check --ca (the CA of the "
        "server's certificate, whose names must include the address) and, with mTLS, "
        "--cert/--key (a client certificate of the server's client CA)",
        "bắt tay TLS với máy chủ {address} thất bại; kiểm tra chứng thư CA (--ca) và chứng "
        "thư máy khách (--cert/--key)",
    ),
    "TSA_UNAVAILABLE": Texts(
        "the timestamp authority did not answer", "máy chủ cấp dấu thời gian không phản hồi"
    ),
    "TOKEN_UNAVAILABLE": Texts(
        "the signing token cannot be used ({problem})",
        "thiết bị ký (token PKCS#11) không sẵn sàng hoặc gặp lỗi",
    ),
    "TOKEN_LOGIN_FAILED": Texts(
        "PKCS#11 login failed: wrong PIN", "đăng nhập thiết bị ký thất bại: sai mã PIN"
    ),
    "TOKEN_SIGN_FAILED": Texts(
        "token refused to sign: {problem}", "thiết bị ký từ chối thao tác ký"
    ),
    "PENDING_STORE_UNAVAILABLE": Texts(
        "the pending-signature store (Redis) cannot be reached",
        "không truy cập được nơi lưu chữ ký đang chờ (Redis)",
    ),
    "TRUST_STORE_UNAVAILABLE": Texts(
        "the trust store cannot be changed right now ({problem})",
        "kho tin cậy tạm thời không thể thay đổi (không ghi được hoặc không truy cập được)",
    ),
    "TRUST_STORE_READ_ONLY": Texts("this trust store is read-only", "kho tin cậy chỉ đọc"),
    "TRUST_STORE_BUSY": Texts(
        "the trust store is too busy, try again", "kho tin cậy đang bận, hãy thử lại"
    ),
    "AUDIT_UNAVAILABLE": Texts(
        "the audit log cannot be written ({problem})",
        "không ghi được nhật ký kiểm toán (đang bận hoặc không truy cập được)",
    ),
    "KEY_STATE_UNAVAILABLE": Texts(
        "the keys' usage and consent state cannot be read or written ({problem})",
        "không đọc/ghi được trạng thái sử dụng của khóa ký",
    ),
    "VERIFY_WORKER_LOST": Texts(
        "the worker process handling the document ended unexpectedly ({problem}); "
        "it was replaced, try again",
        "tiến trình xử lý văn bản bị dừng bất thường; đã được thay thế, hãy thử lại",
    ),
}

DEADLINE_EXCEEDED: Mapping[str, Texts] = {
    "DEADLINE_EXCEEDED": Texts(
        "verification took longer than the request deadline",
        "kiểm tra chữ ký vượt quá thời gian cho phép",
    ),
    "SIGNING_DEADLINE_EXCEEDED": Texts(
        "signing stopped: the request deadline passed or the caller went away (at {step})",
        "đã dừng ký số: quá thời gian cho phép của yêu cầu hoặc bên gọi đã hủy",
    ),
    "REQUEST_DEADLINE_EXCEEDED": Texts(
        "the request's deadline passed before kyso could start it",
        "yêu cầu đã quá thời gian cho phép trước khi được xử lý",
    ),
}

PERMISSION_DENIED: Mapping[str, Texts] = {
    "PERMISSION_DENIED": Texts(
        "{actor} may not call {method} (role required: {role})",
        "không có quyền thực hiện thao tác này (cần vai trò {role})",
    ),
    "KEY_NOT_PERMITTED": Texts(
        "{actor} may not sign with key {key} (not among the keys of its [[clients]] table)",
        "không được phép ký bằng khóa {key}",
    ),
    "METHOD_NOT_IN_POLICY": Texts(
        "{method} is not in kyso's access policy: denied",
        "thao tác {method} không được phép",
    ),
}

UNAUTHENTICATED: Mapping[str, Texts] = {
    "UNAUTHENTICATED": Texts(
        "a valid credential is required: a client certificate (mTLS) or a bearer token "
        "(authorization: Bearer <token>)",
        "cần thông tin xác thực hợp lệ (chứng thư số máy khách hoặc mã truy cập)",
    ),
    "CONSENT_REQUIRED": Texts(
        "key {key} signs only with its owner's authorisation ({kind}) in the request",
        "khóa {key} chỉ được ký khi có xác thực của người sở hữu khóa (mã dùng một lần hoặc PIN)",
    ),
    "CONSENT_INVALID": Texts(
        "the owner's authorisation for key {key} is wrong or expired",
        "xác thực của người sở hữu khóa {key} không đúng hoặc đã hết hạn",
    ),
    "CONSENT_REPLAYED": Texts(
        "this one-time code of key {key} has already been used; wait for the next code",
        "mã xác thực này của khóa {key} đã được sử dụng; hãy dùng mã tiếp theo",
    ),
}

INTERNAL: Mapping[str, Texts] = {
    "INTERNAL_ERROR": Texts("internal error", "lỗi nội bộ"),
    "TRUST_STORE_CORRUPT": Texts(
        "the stored trust state is corrupt ({problem})", "kho tin cậy bị hỏng"
    ),
}

RENAMED: Mapping[str, tuple[str, str]] = {
    # old code: (new code, why)
    "DOCUMENT_INVALID": (
        "NOT_A_PDF",
        "the Signer said DOCUMENT_INVALID and the Verifier NOT_A_PDF for the same unreadable "
        "input; NOT_A_PDF cannot be mistaken for a verification verdict",
    ),
    "PDF_ENCRYPTED": (
        "DOCUMENT_ENCRYPTED",
        "the Verifier said PDF_ENCRYPTED and the Signer DOCUMENT_ENCRYPTED for the same input; "
        "DOCUMENT_ENCRYPTED matches DOCUMENT_TOO_LARGE and DOCUMENT_TOO_COMPLEX",
    ),
    "INVALID_OPTION": (
        "OPTION_INVALID",
        "the Verifier said INVALID_OPTION and the Signer OPTION_INVALID; every other code "
        "names the thing first (PLACEMENT_INVALID, POLICY_INVALID, IMAGE_INVALID)",
    ),
    "STREAM_PROTOCOL": (
        "STREAM_HEADER_REQUIRED or STREAM_INVALID",
        "VerifyStream said STREAM_PROTOCOL for the two conditions that the Signer's streams "
        "call STREAM_HEADER_REQUIRED (first message not the header) and STREAM_INVALID "
        "(something other than a chunk after it)",
    ),
    "TRUST_BAD_CERTIFICATE": (
        "CERTIFICATE_INVALID",
        "the trust store said TRUST_BAD_CERTIFICATE and the signer's key loader "
        "CERTIFICATE_INVALID for bytes that are not an X.509 certificate",
    ),
}
"""Codes no longer raised; the new code(s) and the reason.  Old codes are never reused."""
