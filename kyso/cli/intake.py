"""``kyso intake FILE.edxml`` and ``kyso intake DIR``: gRPC clients of the Intake service.

One package: the clerk's conclusion and reasons in Vietnamese (``--json``: the whole report as
one JSON object, enum prefixes shortened as ``kyso verify --json`` does; ``--pdf-report OUT``:
the intake report as PDF). Exit codes: 0 ACCEPT, 1 RETURN_TO_SENDER, 2 ACCEPT_WITH_WARNINGS,
3 error.

A directory (a day's packages): every ``*.edxml`` file directly in it, by name; one summary line
per package and the totals, ``--csv OUT`` one row per package (file, conclusion, edXML status
code, kind, number and symbol, date, sender, attachments, rules that fired), ``--json`` one
object ``{"packages": [...], "summary": {...}}``. A package the server could not take (too
large, unreadable file) is counted as an error and the others go on. Exit code: 3 when any
package gave an error, else the worst conclusion's code (1 before 2 before 0).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc

from kyso.cli._input import read_bytes, readable_size, seconds, write_bytes
from kyso.cli.channel import (
    EXIT_ERROR,
    UNARY_LIMIT,
    client_channel,
    read_chunks,
    report_rpc_error,
)
from kyso.cli.verify import report_json as verify_report_json
from kyso.cli.verify import short_enum_names
from kyso.errors import KysoError

EXIT_ACCEPT, EXIT_RETURN, EXIT_WARNINGS = 0, 1, 2
_PREFIXES = (
    "PACKAGE_KIND_",
    "INTAKE_CONCLUSION_",
    "FINDING_SEVERITY_",
    "MATCH_LEVEL_",
)
_EXIT = {
    "ACCEPT": EXIT_ACCEPT,
    "RETURN_TO_SENDER": EXIT_RETURN,
    "ACCEPT_WITH_WARNINGS": EXIT_WARNINGS,
}
_CSV_COLUMNS = (
    "file",
    "conclusion",
    "edxml_status_code",
    "kind",
    "number",
    "promulgation_date",
    "sender",
    "attachments",
    "fail_rules",
    "warn_rules",
    "error",
)


def register(sub: Any) -> None:
    """Add ``intake`` to the ``kyso`` parser."""
    p = sub.add_parser("intake", help="check an edXML package (or a directory of them)")
    p.add_argument("path", type=Path, help="an .edxml file, or a directory of .edxml files")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--pdf-report", type=Path, default=None, metavar="OUT", help="write the report as PDF"
    )
    p.add_argument("--csv", type=Path, default=None, metavar="OUT", help="DIR: one row a package")
    p.add_argument("--policy", default="", help="validation policy of the attachments")
    p.add_argument(
        "--offline", action="store_true", help="do not fetch OCSP/CRL/certificates online"
    )
    p.add_argument(
        "--timeout", type=seconds("--timeout"), default=120.0, help="seconds (default %(default)s)"
    )
    p.set_defaults(func=_intake)


def _options(ns: argparse.Namespace, pdf: bool) -> Any:
    from kyso.v1 import intake_pb2 as ipb
    from kyso.v1 import verifier_pb2 as pb

    verify = pb.VerifyOptions(policy=ns.policy)
    if ns.offline:
        verify.fetch_revocation = False
    if pdf:
        verify.human_report = pb.HUMAN_REPORT_PDF
    return ipb.IntakeOptions(verify=verify)


def _stream(options: Any, path: Path) -> Iterator[Any]:
    from kyso.v1 import intake_pb2 as ipb

    yield ipb.IntakeStreamRequest(options=options)
    for chunk in read_chunks(path):
        yield ipb.IntakeStreamRequest(chunk=chunk)


def report_json(report: Any) -> dict[str, Any]:
    """The intake report as JSON; each attachment's validation as ``kyso verify --json``."""
    from google.protobuf.json_format import MessageToDict

    data = MessageToDict(
        report, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    data.pop("human_report", None)
    data = short_enum_names(data, _PREFIXES)
    for att, msg in zip(data.get("attachments", []), report.attachments, strict=True):
        att["validation"] = verify_report_json(msg.validation) if msg.verified else None
    return dict(data)


def _call(stub: Any, ns: argparse.Namespace, path: Path, pdf: bool) -> Any:
    from kyso.v1 import intake_pb2 as ipb

    options = _options(ns, pdf)
    if readable_size(path) > UNARY_LIMIT:
        return stub.IntakeStream(_stream(options, path), timeout=ns.timeout)
    return stub.Intake(
        ipb.IntakeRequest(package=read_bytes(path), options=options), timeout=ns.timeout
    )


def _conclusion(report: Any) -> str:
    from kyso.v1 import intake_pb2 as ipb

    return str(ipb.IntakeConclusion.Name(report.conclusion)).removeprefix("INTAKE_CONCLUSION_")


def _print_one(report: Any) -> None:
    from kyso.v1 import intake_pb2 as ipb

    code = f" (edXML StatusCode {report.edxml_status_code})" if report.edxml_status_code else ""
    print(f"{_conclusion(report)}{code}: {report.conclusion_message.message_vi}")
    h = report.header
    if report.kind == ipb.PACKAGE_KIND_DOCUMENT:
        print(f"  Nơi gửi: {h.sender.organ_name} ({h.sender.organ_id})")
        print(f"  Số, ký hiệu: {h.code_number}/{h.code_notation}; ngày {h.promulgation_date}")
        print(f"  Người ký: {h.signer_position} {h.signer_full_name}".rstrip())
    for a in report.attachments:
        verdict = (
            str(a.validation.conclusion.message_vi or a.validation.indication)
            if a.verified
            else "không kiểm tra"
        )
        print(f"  Tệp {a.index + 1}: {a.name} — {verdict}")
    for f in report.findings:
        sev = str(ipb.FindingSeverity.Name(f.severity)).removeprefix("FINDING_SEVERITY_")
        print(f"  [{sev}] {f.message.message_vi} ({f.rule})")


def _intake(ns: argparse.Namespace) -> int:
    from kyso.v1 import intake_pb2_grpc as ipb_grpc

    path: Path = ns.path
    if path.is_dir():
        return _batch(ns, path)
    try:
        with client_channel(ns) as ch:
            report = _call(ipb_grpc.IntakeStub(ch), ns, path, ns.pdf_report is not None)
    except grpc.RpcError as err:
        report_rpc_error(err, ns)
        return EXIT_ERROR
    if ns.pdf_report is not None and report.human_report:
        write_bytes(ns.pdf_report, report.human_report)
    if ns.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        _print_one(report)
    return _EXIT[_conclusion(report)]


def _row(name: str, report: Any | None, error: str) -> dict[str, Any]:
    from kyso.v1 import intake_pb2 as ipb

    if report is None:
        return {c: "" for c in _CSV_COLUMNS} | {"file": name, "conclusion": "ERROR", "error": error}
    h = report.header
    rules = {
        sev: " ".join(f.rule for f in report.findings if f.severity == value)
        for sev, value in (
            ("fail_rules", ipb.FINDING_SEVERITY_FAIL),
            ("warn_rules", ipb.FINDING_SEVERITY_WARN),
        )
    }
    return {
        "file": name,
        "conclusion": _conclusion(report),
        "edxml_status_code": report.edxml_status_code,
        "kind": str(ipb.PackageKind.Name(report.kind)).removeprefix("PACKAGE_KIND_"),
        "number": f"{h.code_number}/{h.code_notation}" if h.code_number else "",
        "promulgation_date": h.promulgation_date,
        "sender": h.sender.organ_name,
        "attachments": len(report.attachments),
        **rules,
        "error": "",
    }


def _batch(ns: argparse.Namespace, directory: Path) -> int:
    from kyso.v1 import intake_pb2_grpc as ipb_grpc

    files = sorted(p for p in directory.iterdir() if p.suffix.lower() == ".edxml" and p.is_file())
    rows, reports = [], []
    with client_channel(ns) as ch:
        stub = ipb_grpc.IntakeStub(ch)
        for f in files:
            report, error = None, ""
            try:
                report = _call(stub, ns, f, False)
            except grpc.RpcError as err:
                error = f"{err.code().name}: {(err.details() or '')[:200]}"
            except KysoError as err:
                error = f"{err.code}: {err.message_en}"
            rows.append(_row(f.name, report, error))
            reports.append(report_json(report) if report is not None else {"error": error})
            if not ns.json:
                print(
                    f"{f.name}\t{rows[-1]['conclusion']}\t{rows[-1]['edxml_status_code']}\t"
                    f"{rows[-1]['fail_rules'] or rows[-1]['warn_rules'] or error}"
                )
    counts = Counter(r["conclusion"] for r in rows)
    summary = {"packages": len(rows), **{k: counts.get(k, 0) for k in (*_EXIT, "ERROR")}}
    if ns.csv is not None:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=_CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        write_bytes(ns.csv, out.getvalue().encode("utf-8"))
    if ns.json:
        for name, rep in zip((r["file"] for r in rows), reports, strict=True):
            rep["file"] = name
        print(json.dumps({"packages": reports, "summary": summary}, ensure_ascii=False, indent=2))
    else:
        print(
            f"{summary['packages']} gói tin: {summary['ACCEPT']} tiếp nhận, "
            f"{summary['ACCEPT_WITH_WARNINGS']} tiếp nhận có lưu ý, "
            f"{summary['RETURN_TO_SENDER']} trả lại, {summary['ERROR']} lỗi",
            file=sys.stdout,
        )
    if summary["ERROR"]:
        return EXIT_ERROR
    if summary["RETURN_TO_SENDER"]:
        return EXIT_RETURN
    return EXIT_WARNINGS if summary["ACCEPT_WITH_WARNINGS"] else EXIT_ACCEPT
