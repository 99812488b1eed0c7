"""``kyso audit verify`` and ``kyso audit list``: the trust store's and the signing audits.

Through the server (reader role, the credentials of :mod:`kyso.cli.trust`), or — for
``verify --file LOG`` — offline on a log file of either chain.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from kyso.cli._input import UINT32_MAX, integer, readable_size
from kyso.cli.channel import EXIT_ERROR, report_rpc_error
from kyso.cli.trust import call, client_options, guarded
from kyso.errors import InvalidInput, KysoError

EXIT_AUDIT_BROKEN = 1
LOGS = ("trust", "signing")

Problems = list[tuple[int, int, str, str]]


@dataclass
class Verdict:
    """What `kyso audit verify` prints for one chain (from the server, or a local file)."""

    ok: bool
    entries: int
    problems: Problems
    checkpoints_checked: bool = False
    checkpoints: int = 0
    covered_seq: int = 0
    uncovered: int = 0


def _verify_file(path: Path, public_key: Path | None) -> Verdict:
    from trust_store.audit import FileAuditLog
    from trust_store.checkpoints import check_checkpoints, load_public_keys

    readable_size(path)  # a missing or unreadable log is not an intact one
    chain = FileAuditLog.trust(path)  # the chain check reads any kyso chain
    report = chain.verify()
    verdict = Verdict(report.ok, report.entries, _problems(report.problems))
    pin = public_key or path.parent / "checkpoint.pub"
    if public_key is None and not pin.is_file():
        return verdict
    readable_size(pin)
    try:
        pinned = load_public_keys(pin, setting="--checkpoint-key")
    except KysoError as err:
        raise InvalidInput("FILE_UNREADABLE", path=str(pin), problem=err.message_en) from None
    result = check_checkpoints(
        chain.checkpoint_store().records(),
        chain=None,
        hashes=report.hashes,
        last_seq=report.head_seq,
        public_keys=pinned,
    )
    verdict.problems += [(f.position, f.seq, f.kind, f.message) for f in result.findings or ()]
    verdict.ok = not verdict.problems
    verdict.checkpoints_checked = True
    verdict.checkpoints, verdict.covered_seq = result.count, result.covered_seq
    verdict.uncovered = max(report.head_seq - result.covered_seq, 0)
    return verdict


def _problems(problems: Any) -> Problems:
    return [(p.position, p.seq or 0, p.kind, p.message) for p in problems]


def _print_report(v: Verdict, prefix: str = "") -> None:
    if v.ok:
        print(f"{prefix}audit chain intact: {v.entries} entries (nhật ký kiểm toán toàn vẹn)")
    else:
        print(
            f"{prefix}AUDIT CHAIN BROKEN (nhật ký kiểm toán bị sửa đổi): "
            f"{len(v.problems)} problem(s)"
        )
        for position, seq, kind, message in v.problems:
            print(f"  position {position} seq {seq}: {kind}: {message}")
    if not v.checkpoints_checked:
        print(
            f"{prefix}signed checkpoints not checked: no pinned checkpoint key "
            "(--checkpoint-key) (chưa kiểm tra điểm kiểm tra có chữ ký)"
        )
        return
    print(
        f"{prefix}signed checkpoints: {v.checkpoints}; entries 1..{v.covered_seq} covered "
        f"(điểm kiểm tra có chữ ký: {v.checkpoints})"
    )
    if v.uncovered:
        print(
            f"{prefix}{v.uncovered} entries after the last checkpoint (seq {v.covered_seq}) are "
            "not yet covered by a signed checkpoint (chưa được ký xác nhận)"
        )


def _audit_verify(ns: argparse.Namespace) -> int:
    if ns.file is not None:
        verdict = _verify_file(Path(ns.file), ns.checkpoint_key)
        _print_report(verdict)
        return 0 if verdict.ok else EXIT_AUDIT_BROKEN
    from kyso.v1 import trust_store_pb2 as pb

    intact = True
    for name in (ns.log,) if ns.log else LOGS:
        try:
            resp = call(ns, "VerifyAudit", pb.VerifyAuditRequest(log=name))
        except grpc.RpcError as err:
            report_rpc_error(err, ns)
            return EXIT_ERROR
        verdict = Verdict(
            resp.ok,
            resp.entries,
            _problems(resp.problems),
            resp.checkpoints_checked,
            resp.checkpoints,
            resp.covered_seq,
            resp.uncovered,
        )
        _print_report(verdict, prefix=f"{name}: ")
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
        help="verify a local audit file (either log) offline instead of asking the server; "
        "its signed checkpoints are FILE.checkpoints",
    )
    p.add_argument(
        "--checkpoint-key",
        type=Path,
        default=None,
        help="with --file: the pinned public key(s) (PEM) checking the signed checkpoints "
        "(default: checkpoint.pub beside the log, when it exists)",
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
