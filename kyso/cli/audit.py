"""``kyso audit verify`` and ``kyso audit list``: the trust store's and the signing audits.

Through the server (reader role, the credentials of :mod:`kyso.cli.trust`), or — for
``verify --file LOG`` — offline on a log file of either chain.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import grpc

from kyso.cli._input import UINT32_MAX, integer, readable_size
from kyso.cli.channel import EXIT_ERROR, report_rpc_error
from kyso.cli.trust import call, client_options, guarded

EXIT_AUDIT_BROKEN = 1
LOGS = ("trust", "signing")

Problems = list[tuple[int, int, str, str]]


def _verify_file(path: Path) -> tuple[bool, int, Problems]:
    from trust_store.audit import FileAuditLog

    readable_size(path)  # a missing or unreadable log is not an intact one
    report = FileAuditLog.trust(path).verify()  # the chain check reads any kyso chain
    problems = [(p.position, p.seq or 0, p.kind, p.message) for p in report.problems]
    return report.ok, report.entries, problems


def _print_report(ok: bool, entries: int, problems: Problems, prefix: str = "") -> None:
    if ok:
        print(f"{prefix}audit chain intact: {entries} entries (nhật ký kiểm toán toàn vẹn)")
        return
    print(f"{prefix}AUDIT CHAIN BROKEN (nhật ký kiểm toán bị sửa đổi): {len(problems)} problem(s)")
    for position, seq, kind, message in problems:
        print(f"  position {position} seq {seq}: {kind}: {message}")


def _audit_verify(ns: argparse.Namespace) -> int:
    if ns.file is not None:
        ok, entries, problems = _verify_file(Path(ns.file))
        _print_report(ok, entries, problems)
        return 0 if ok else EXIT_AUDIT_BROKEN
    from kyso.v1 import trust_store_pb2 as pb

    intact = True
    for name in (ns.log,) if ns.log else LOGS:
        try:
            resp = call(ns, "VerifyAudit", pb.VerifyAuditRequest(log=name))
        except grpc.RpcError as err:
            report_rpc_error(err)
            return EXIT_ERROR
        problems = [(p.position, p.seq, p.kind, p.message) for p in resp.problems]
        _print_report(resp.ok, resp.entries, problems, prefix=f"{name}: ")
        intact = intact and resp.ok
    return 0 if intact else EXIT_AUDIT_BROKEN


_SIGNING_FIELDS = (
    "seq",
    "time",
    "actor",
    "operation",
    "result",
    "code",
    "key",
    "profile",
    "level",
    "field_name",
    "input_sha256",
    "output_sha256",
    "pending_id",
    "hash",
)
_TRUST_FIELDS = ("seq", "time", "actor", "action", "outcome", "code", "reason", "version")


def _row(message: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    out = {name: getattr(message, name) for name in fields}
    if "subjects" in message.DESCRIPTOR.fields_by_name:
        out["subjects"] = list(message.subjects)
    return out


@guarded
def _audit_list(ns: argparse.Namespace) -> int:
    from kyso.v1 import trust_store_pb2 as pb

    req = pb.ListAuditRequest(log=ns.log, key=ns.key or "", since=ns.since or "", limit=ns.limit)
    resp = call(ns, "ListAudit", req)
    if ns.log == "signing":
        for e in resp.signing_entries:
            if ns.json:
                print(json.dumps(_row(e, _SIGNING_FIELDS), ensure_ascii=False))
                continue
            code = f" {e.code}" if e.code else ""
            print(
                f"#{e.seq:<5} {e.time}  {e.actor:<28} {e.operation:<17} {e.result}{code}  "
                f"key={e.key or '-'} {e.profile or '-'} {e.level or '-'} "
                f"field={e.field_name or '-'}  in={e.input_sha256[:16] or '-'} "
                f"out={e.output_sha256[:16] or '-'}"
            )
        return 0
    for t in resp.trust_entries:
        if ns.json:
            print(json.dumps(_row(t, _TRUST_FIELDS), ensure_ascii=False))
            continue
        code = f" {t.code}" if t.code else ""
        print(
            f"#{t.seq:<5} {t.time}  v{t.version:<4} {t.actor:<24} {t.action:<14} "
            f"{t.outcome}{code}  {t.reason}"
        )
    return 0


def register(sub: Any) -> None:
    """Add ``audit`` to the ``kyso`` parser."""
    audit = sub.add_parser("audit", help="the trust store's and the signing audit logs")
    asub = audit.add_subparsers(dest="audit_command", required=True)
    p = asub.add_parser(
        "verify", help="check the hash chains; names altered/removed/reordered entries"
    )
    p.add_argument(
        "--file",
        type=Path,
        default=None,
        help="verify a local audit file (either log) offline instead of asking the server",
    )
    p.add_argument(
        "--log", choices=LOGS, default=None, help="only this log (default: both, via the server)"
    )
    client_options(p)
    p.set_defaults(func=_audit_verify)

    p = asub.add_parser("list", help="audit entries, oldest first")
    p.add_argument("--log", choices=LOGS, default="signing", help="which log (default signing)")
    p.add_argument("--key", default=None, help="signing: only attempts with this key")
    p.add_argument(
        "--since", default=None, help="ISO 8601 date or date-time (UTC unless an offset is given)"
    )
    p.add_argument(
        "--limit",
        type=integer("--limit", 0, UINT32_MAX),
        default=100,
        help="the newest N entries (default %(default)s; 0 -> 100)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    client_options(p)
    p.set_defaults(func=_audit_list)
