"""``kyso layout FILE``: the Decree 30/2020 layout report of a PDF (CheckLayout, unary: the
server refuses documents over its ``max_document_bytes`` with DOCUMENT_TOO_LARGE).

For drafts before signing as well as signed documents. Exit codes: 0 PASSED, 1 FAILED,
2 WARNING or NOT_CHECKED, 3 error. ``--json`` prints ``{"layout": {...}, "document_sha256"}``
(the same ``layout`` object as ``kyso verify --json``); otherwise the Vietnamese summary.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import grpc

from kyso.cli._input import read_bytes, readable_size, seconds
from kyso.cli.channel import EXIT_ERROR, client_channel, report_rpc_error
from kyso.cli.verify import report_json

EXIT_PASSED, EXIT_FAILED, EXIT_OTHER = 0, 1, 2


def register(sub: Any) -> None:
    """Add ``layout`` to the ``kyso`` parser."""
    p = sub.add_parser("layout", help="check a PDF's Decree 30/2020 layout (drafts too)")
    p.add_argument("file", type=Path, help="the PDF to check")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--policy", default="", help="policy whose layout rules apply (default vn-gov)")
    p.add_argument("--no-ocr", action="store_true", help="do not read scanned pages by OCR")
    p.add_argument(
        "--timeout", type=seconds("--timeout"), default=60.0, help="seconds (default %(default)s)"
    )
    p.set_defaults(func=_layout)


def _layout(ns: argparse.Namespace) -> int:
    from kyso.v1 import verifier_pb2 as pb
    from kyso.v1 import verifier_pb2_grpc as pb_grpc

    path: Path = ns.file
    readable_size(path)  # a missing or unreadable file is refused here, before any call
    options = pb.CheckLayoutOptions(policy=ns.policy)
    if ns.no_ocr:
        options.ocr = False
    try:
        with client_channel(ns) as ch:
            response = pb_grpc.VerifierStub(ch).CheckLayout(
                pb.CheckLayoutRequest(document=read_bytes(path), options=options),
                timeout=ns.timeout,
            )
    except grpc.RpcError as err:
        report_rpc_error(err, ns)
        return EXIT_ERROR
    if ns.json:
        print(json.dumps(report_json(response), ensure_ascii=False, indent=2))
    else:
        print(response.layout.summary_vi)
    if response.layout.status == pb.LAYOUT_STATUS_PASSED:
        return EXIT_PASSED
    if response.layout.status == pb.LAYOUT_STATUS_FAILED:
        return EXIT_FAILED
    return EXIT_OTHER
