"""``kyso verify DIR|FILES…``: many documents at once, for the records office (issue 12, §9).

The PDFs of each directory (``*.pdf`` directly in it, or below it with ``--recursive``) and
the files named are verified ``--jobs`` at a time over one channel; a progress bar (``rich``)
shows on a terminal, nothing otherwise. Then a summary table — file, indication, signers,
layout status, error — (``rich`` on a terminal, tab-separated lines otherwise) and a total
line in Vietnamese; ``--csv OUT`` writes the table, ``--json-lines OUT`` one JSON object per
document (the report as ``kyso verify --json`` prints it, or the error).

Exit status: 3 when any document could not be checked (an error, the server unreachable,
a file unreadable), else the worst result: 1 when any is TOTAL_FAILED, 2 when any is
INDETERMINATE or has no signature, 0 when all are TOTAL_PASSED. An error is never reported
as a signature failure: it has its own row (``ERROR``) and its code. When the server cannot
be reached at all, one line says so (both languages) and the files left are not tried.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from kyso_client.errors import KysoRpcError

from kyso.cli._input import read_bytes, readable_size, write_bytes
from kyso.cli.channel import (
    EXIT_ERROR,
    UNARY_LIMIT,
    client_channel,
    speaks_tls,
    transport_error,
)
from kyso.errors import Internal, InvalidInput, KysoError

EXIT_PASSED, EXIT_FAILED, EXIT_INDETERMINATE = 0, 1, 2
ERROR = "ERROR"
NOT_CHECKED = "NOT_CHECKED"  # left out after the server could not be reached
COLUMNS = ("file", "indication", "sub_indication", "signers", "layout", "error")


@dataclass
class Outcome:
    """One document's line: its indication (``TOTAL_PASSED`` …, or ``ERROR``), the signers'
    names, the layout status and the error's ``CODE: message``."""

    file: str
    indication: str = ERROR
    sub_indication: str = ""
    signers: list[str] = field(default_factory=list)
    layout: str = ""
    error: str = ""
    report: dict[str, Any] | None = None

    def row(self) -> dict[str, str]:
        return {
            "file": self.file,
            "indication": self.indication,
            "sub_indication": self.sub_indication,
            "signers": "; ".join(self.signers),
            "layout": self.layout,
            "error": self.error,
        }


def documents(paths: Iterable[Path], recursive: bool) -> list[Path]:
    """The files to verify: files as named, and the ``*.pdf`` of each directory, sorted.

    Raises :class:`InvalidInput` (``FILE_UNREADABLE``) for a path that does not exist and
    (``OPTION_INVALID``) when nothing is left to verify."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            pattern = path.rglob("*") if recursive else path.iterdir()
            found.extend(sorted(p for p in pattern if p.suffix.lower() == ".pdf" and p.is_file()))
        elif path.exists():
            found.append(path)
        else:
            raise InvalidInput("FILE_UNREADABLE", path=str(path), problem="no such file")
    if not found:
        raise InvalidInput(
            "OPTION_INVALID", option="FILE|DIR", problem="no PDF file (*.pdf) to verify"
        )
    return found


def _short(name: str, prefix: str) -> str:
    return name.removeprefix(prefix)


def _outcome(path: Path, report: Any) -> Outcome:
    from kyso.cli.verify import report_json
    from kyso.v1 import verifier_pb2 as pb

    signers = [s.signer_name or s.signer_certificate.subject for s in report.signatures]
    layout = ""
    if report.HasField("layout"):
        layout = _short(pb.LayoutStatus.Name(report.layout.status), "LAYOUT_STATUS_")
    return Outcome(
        file=str(path),
        indication=_short(pb.Indication.Name(report.indication), "INDICATION_"),
        sub_indication=_short(pb.SubIndication.Name(report.sub_indication), "SUB_INDICATION_"),
        signers=[s for s in signers if s],
        layout=layout,
        report=report_json(report),
    )


#: The server's per-client limits (docs/security.md): a batch waits and tries again.
_RETRIED = ("CLIENT_CONCURRENCY_LIMITED", "CLIENT_RATE_LIMITED")
_RETRIES, _BACKOFF_SECONDS = 20, 0.1


def _verify_one(stub: Any, path: Path, ns: argparse.Namespace) -> Any:
    """One document's report; a refusal by the client's concurrency or rate limit (``--jobs``
    above the server's ``max_concurrent`` for this client) is tried again after a growing
    pause (at most ~25 s in all), any other error raised."""
    from kyso.cli.verify import options, stream_requests
    from kyso.v1 import verifier_pb2 as pb

    opts = options(ns, path)
    for attempt in range(_RETRIES + 1):
        try:
            if readable_size(path) > UNARY_LIMIT:
                return stub.VerifyStream(stream_requests(opts, path), timeout=ns.timeout)
            request = pb.VerifyRequest(document=read_bytes(path), options=opts)
            return stub.Verify(request, timeout=ns.timeout)
        except grpc.RpcError as err:
            limited = err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            code = KysoRpcError.from_rpc_error(err).code
            if not limited or code not in _RETRIED or attempt == _RETRIES:
                raise
            time.sleep(min(2.0, _BACKOFF_SECONDS * (attempt + 1)))
    raise AssertionError("unreachable")  # pragma: no cover


def exit_status(outcomes: list[Outcome]) -> int:
    """3 when any document could not be checked, else the worst indication's status."""
    kinds = {o.indication for o in outcomes}
    if kinds & {ERROR, NOT_CHECKED}:
        return EXIT_ERROR
    if "TOTAL_FAILED" in kinds:
        return EXIT_FAILED
    return EXIT_PASSED if kinds <= {"TOTAL_PASSED"} else EXIT_INDETERMINATE


class _Progress:
    """A rich progress bar on a terminal's stderr; nothing otherwise."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._bar: Any = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("Đang kiểm tra"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[name]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._bar.add_task("verify", total=total, name="")

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, name: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, name=name[-40:])


def run(ns: argparse.Namespace, paths: list[Path]) -> int:
    """Verify ``paths`` (files and directories); print, write and return the exit status."""
    from kyso.v1 import verifier_pb2_grpc as pb_grpc

    files = documents(paths, ns.recursive)
    outcomes: dict[Path, Outcome] = {}
    unreachable: list[KysoError] = []
    stop = threading.Event()

    def one(stub: Any, path: Path) -> Outcome:
        if stop.is_set():
            return Outcome(str(path), NOT_CHECKED, error="the server could not be reached")
        try:
            return _outcome(path, _verify_one(stub, path, ns))
        except grpc.RpcError as err:
            local = transport_error(err, ns.server, speaks_tls(ns))
            if local is not None:
                stop.set()
                unreachable.append(local)
                return Outcome(str(path), ERROR, error=f"{local.code}: {local.message_en}")
            code = KysoRpcError.from_rpc_error(err).code
            return Outcome(str(path), ERROR, error=f"{code}: {(err.details() or '')[:200]}")
        except KysoError as err:
            return Outcome(str(path), ERROR, error=f"{err.code}: {err.message_en}")
        except Exception as exc:  # a fault of the client itself: still not a signature failure
            fault = Internal("INTERNAL_ERROR")
            return Outcome(str(path), ERROR, error=f"{fault.code}: {type(exc).__name__}")

    with (
        client_channel(ns) as ch,
        _Progress(len(files), sys.stderr.isatty() and not ns.json) as progress,
        ThreadPoolExecutor(max_workers=ns.jobs, thread_name_prefix="kyso-verify") as pool,
    ):
        stub = pb_grpc.VerifierStub(ch)
        futures = {pool.submit(one, stub, f): f for f in files}
        for done in as_completed(futures):
            outcomes[futures[done]] = done.result()
            progress.advance(futures[done].name)
    ordered = [outcomes[f] for f in files]
    if unreachable:
        print(f"kyso: {unreachable[0]}", file=sys.stderr)
    _write(ns.csv, lambda out: _csv(ordered, out))
    _write(ns.json_lines, lambda out: _json_lines(ordered, out))
    if ns.json:
        print(
            json.dumps(
                {
                    "documents": [(o.report or {}) | o.row() for o in ordered],
                    "summary": _counts(ordered),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _print_table(ordered)
    return exit_status(ordered)


def _counts(outcomes: list[Outcome]) -> dict[str, int]:
    counts = Counter(o.indication for o in outcomes)
    return {"documents": len(outcomes), **dict(sorted(counts.items()))}


def _write(path: Path | None, fill: Callable[[io.StringIO], None]) -> None:
    if path is None:
        return
    out = io.StringIO()
    fill(out)
    write_bytes(path, out.getvalue().encode("utf-8"))


def _csv(outcomes: list[Outcome], out: io.StringIO) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(o.row() for o in outcomes)


def _json_lines(outcomes: list[Outcome], out: io.StringIO) -> None:
    for o in outcomes:
        line = {**o.row(), "signers": o.signers, "report": o.report}
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def _print_table(outcomes: list[Outcome]) -> None:
    counts = _counts(outcomes)
    total = (
        f"{counts['documents']} văn bản: {counts.get('TOTAL_PASSED', 0)} hợp lệ, "
        f"{counts.get('TOTAL_FAILED', 0)} không hợp lệ, "
        f"{counts.get('INDETERMINATE', 0) + counts.get('NO_SIGNATURE_FOUND', 0)} chưa xác định "
        f"hoặc không có chữ ký, {counts.get(ERROR, 0) + counts.get(NOT_CHECKED, 0)} lỗi"
    )
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table("Tệp", "Kết quả", "Người ký", "Thể thức", "Lỗi")
        for o in outcomes:  # Text: names from documents are never read as rich markup
            cells = (o.file, o.indication, "; ".join(o.signers), o.layout, o.error)
            table.add_row(*(Text(c) for c in cells))
        console = Console()
        console.print(table)
        console.print(Text(total))
        return
    for o in outcomes:
        print("\t".join((o.file, o.indication, "; ".join(o.signers), o.layout, o.error)))
    print(total)


__all__ = ["COLUMNS", "Outcome", "documents", "exit_status", "run"]
