"""``kyso verify FILE``: a gRPC client of the Verifier service.

Exit codes: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE or no signature, 3 error.
``--json`` prints one JSON object (the report, with enum names shortened: ``TOTAL_PASSED``,
``HASH_FAILURE``...); otherwise a readable Vietnamese summary. Several files, a directory,
``--csv`` or ``--json-lines``: many documents at once (:mod:`kyso.cli.verify_batch`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc

from kyso.cli._input import integer, read_bytes, readable_size, seconds, write_bytes
from kyso.cli.channel import (
    EXIT_ERROR,
    UNARY_LIMIT,
    client_channel,
    read_chunks,
    report_rpc_error,
)
from kyso.errors import InvalidInput

EXIT_PASSED, EXIT_FAILED, EXIT_INDETERMINATE = 0, 1, 2
_PREFIXES = (
    "INDICATION_",
    "SUB_INDICATION_",
    "SIGNATURE_KIND_",
    "TIMESTAMP_KIND_",
    "SIGNING_TIME_SOURCE_",
    "REVOCATION_DATA_SOURCE_",
    "REVOCATION_RESULT_",
    "CHECK_",
    "LEVEL_",
    "LAYOUT_STATUS_",
)


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "OPTION_INVALID",
            option="--at",
            problem=f"{text!r} is not an ISO 8601 date-time, e.g. 2026-01-05T09:00:00+07:00",
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def register(sub: Any) -> None:
    """Add ``verify`` to the ``kyso`` parser."""
    p = sub.add_parser("verify", help="verify every signature of a PDF (or of many)")
    p.add_argument(
        "files",
        type=Path,
        nargs="+",
        metavar="FILE|DIR",
        help="the PDF to verify; several, or a directory (its *.pdf): a batch with a summary",
    )
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument(
        "--csv", type=Path, default=None, metavar="OUT", help="batch: write the summary as CSV"
    )
    p.add_argument(
        "--json-lines",
        type=Path,
        default=None,
        metavar="OUT",
        help="batch: write one JSON object per document (its report, or its error)",
    )
    p.add_argument(
        "--jobs",
        type=integer("--jobs", 1, 32),
        default=4,
        help="batch: documents verified at once (default %(default)s)",
    )
    p.add_argument(
        "-r", "--recursive", action="store_true", help="batch: also the *.pdf below each DIR"
    )
    p.add_argument(
        "--pdf-report", type=Path, default=None, metavar="OUT", help="write a PDF report for clerks"
    )
    p.add_argument(
        "--html-report", type=Path, default=None, metavar="OUT", help="write an HTML report"
    )
    p.add_argument(
        "--etsi-xml",
        type=Path,
        default=None,
        metavar="OUT",
        help="write the ETSI TS 119 102-2 XML validation report",
    )
    p.add_argument(
        "--sign-report-with",
        default="",
        metavar="KEY",
        help="sign the --pdf-report with this configured key (needs the signer role and the key)",
    )
    p.add_argument("--policy", default="", help="validation policy (default: the server's, vn-gov)")
    p.add_argument(
        "--offline", action="store_true", help="do not fetch OCSP/CRL/certificates online"
    )
    p.add_argument(
        "--at", type=_when, default=None, metavar="ISO8601", help="validation time (default: now)"
    )
    p.add_argument(
        "--timeout", type=seconds("--timeout"), default=60.0, help="seconds (default %(default)s)"
    )
    p.set_defaults(func=_verify)


def options(ns: argparse.Namespace, path: Path) -> Any:
    """The request's options from the command line, for the document ``path``."""
    from kyso.v1 import verifier_pb2 as pb

    # the base name only: the report names the file, the server never sees local paths
    options = pb.VerifyOptions(policy=ns.policy, file_name=path.name)
    if ns.etsi_xml is not None:
        options.etsi_report = True
    if ns.sign_report_with:
        options.sign_report_with = ns.sign_report_with
    if ns.offline:
        options.fetch_revocation = False
    if ns.at is not None:
        options.validation_time.FromDatetime(ns.at.astimezone(UTC))
    if ns.pdf_report is not None:
        options.human_report = pb.HUMAN_REPORT_PDF
    elif ns.html_report is not None:
        options.human_report = pb.HUMAN_REPORT_HTML
    return options


def stream_requests(options: Any, path: Path) -> Iterator[Any]:
    """The VerifyStream messages: the options, then the document in chunks."""
    from kyso.v1 import verifier_pb2 as pb

    yield pb.VerifyStreamRequest(options=options)
    for chunk in read_chunks(path):
        yield pb.VerifyStreamRequest(chunk=chunk)


def short_enum_names(value: Any, prefixes: tuple[str, ...] = _PREFIXES) -> Any:
    """``value`` (JSON of a report) with enum names shorn of their ``prefixes``
    (``INDICATION_TOTAL_PASSED`` -> ``TOTAL_PASSED``), in every dict and list."""
    if isinstance(value, dict):
        return {k: short_enum_names(v, prefixes) for k, v in value.items()}
    if isinstance(value, list):
        return [short_enum_names(v, prefixes) for v in value]
    if isinstance(value, str):
        for prefix in prefixes:
            if value.startswith(prefix) and value.isupper():
                return value[len(prefix) :]
    return value


def report_json(report: Any) -> dict[str, Any]:
    """The report as JSON; every signature carries ``indication`` and ``sub_indication``."""
    from google.protobuf.json_format import MessageToDict

    data = MessageToDict(
        report, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    data.pop("human_report", None)
    data.pop("etsi_report", None)
    data = short_enum_names(data)
    for sig in data.get("signatures", []):
        sig.setdefault("sub_indication", "NONE")
    layout = data.get("layout")
    if isinstance(layout, dict):  # the issue 10 shape: rule, severity, page, rect (points)...
        for finding in layout.get("findings", []):
            finding.setdefault("rect", None)
    return data


def exit_code(indication: Any) -> int:
    from kyso.v1 import verifier_pb2 as pb

    if indication == pb.INDICATION_TOTAL_PASSED:
        return EXIT_PASSED
    if indication == pb.INDICATION_TOTAL_FAILED:
        return EXIT_FAILED
    return EXIT_INDETERMINATE


_SINGLE_ONLY = ("pdf_report", "html_report", "etsi_xml")


def _verify(ns: argparse.Namespace) -> int:
    from kyso.v1 import verifier_pb2_grpc as pb_grpc

    files: list[Path] = ns.files
    if len(files) > 1 or files[0].is_dir() or ns.csv is not None or ns.json_lines is not None:
        for name in _SINGLE_ONLY:
            if getattr(ns, name) is not None:
                raise InvalidInput(
                    "OPTION_INVALID",
                    option="--" + name.replace("_", "-"),
                    problem="one document at a time (not with several files, a directory, "
                    "--csv or --json-lines)",
                )
        from kyso.cli.verify_batch import run

        return run(ns, files)
    path = files[0]
    size = readable_size(path)
    request_options = options(ns, path)
    try:
        with client_channel(ns) as ch:
            stub = pb_grpc.VerifierStub(ch)
            if size > UNARY_LIMIT:
                report = stub.VerifyStream(
                    stream_requests(request_options, path), timeout=ns.timeout
                )
            else:
                from kyso.v1 import verifier_pb2 as pb

                report = stub.Verify(
                    pb.VerifyRequest(document=read_bytes(path), options=request_options),
                    timeout=ns.timeout,
                )
    except grpc.RpcError as err:
        report_rpc_error(err, ns)
        return EXIT_ERROR
    for out in (ns.pdf_report, ns.html_report):
        if out is not None and report.human_report:
            write_bytes(out, report.human_report)
            break
    if ns.etsi_xml is not None and report.etsi_report:
        write_bytes(ns.etsi_xml, report.etsi_report)
    if ns.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        print(report.summary_vi)
    return exit_code(report.indication)
