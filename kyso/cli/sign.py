"""``kyso keys`` and ``kyso sign``: gRPC clients of the Signer service.

The signed PDF is written to a temporary file next to OUT and renamed into place only
when the whole document has arrived, so a failure never leaves a half-written OUT.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc

from kyso.cli._input import (
    UINT32_MAX,
    read_bytes,
    readable_size,
    seconds,
    unwritable,
)
from kyso.cli.channel import (
    EXIT_ERROR,
    UNARY_LIMIT,
    client_channel,
    credentials,
    read_chunks,
    report_rpc_error,
)
from kyso.cli.consent import add_otp_option, read_otp, read_owner_pin, register_enroll
from kyso.errors import InvalidInput

_PROFILES = ("personal", "organisation", "attachment")
_LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


def _rect(text: str) -> tuple[float, float, float, float]:
    """Four numbers as typed; whether they fit the page is the signer's PLACEMENT_INVALID."""
    try:
        x1, y1, x2, y2 = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput(
            "OPTION_INVALID", option="--rect", problem=f"{text!r} is not X1,Y1,X2,Y2 in PDF points"
        ) from None
    return x1, y1, x2, y2


def _page(text: str) -> int:
    """The page as typed (0 included: the signer refuses it); one a request cannot carry
    (protobuf ``uint32``) is refused here with the signer's code, PLACEMENT_INVALID."""
    try:
        page = int(text)
    except ValueError:
        raise InvalidInput(
            "OPTION_INVALID", option="--page", problem=f"{text!r} is not a whole number"
        ) from None
    if not 0 <= page <= UINT32_MAX:
        raise InvalidInput("PLACEMENT_INVALID", page=page, problem="pages are numbered from 1")
    return page


def _options(ns: argparse.Namespace) -> Any:
    from kyso.v1 import signer_pb2 as pb

    profiles = {
        "personal": pb.PROFILE_PERSONAL,
        "organisation": pb.PROFILE_ORGANISATION,
        "attachment": pb.PROFILE_ATTACHMENT,
    }
    levels = {
        "B-B": pb.PADES_B_B,
        "B-T": pb.PADES_B_T,
        "B-LT": pb.PADES_B_LT,
        "B-LTA": pb.PADES_B_LTA,
    }
    placement = pb.SignPlacement()
    # as typed, even empty: the signer decides (an empty anchor is ANCHOR_INVALID)
    if ns.anchor is not None:
        placement.anchor_text = ns.anchor
    elif ns.field is not None:
        placement.field_name = ns.field
    elif ns.rect is not None:
        x1, y1, x2, y2 = ns.rect
        page = 1 if ns.page is None else ns.page
        placement.rect.CopyFrom(pb.PageRect(page=page, x1=x1, y1=y1, x2=x2, y2=y2))
    return pb.SignOptions(
        profile=profiles[ns.profile] if ns.profile else pb.SIGNATURE_PROFILE_UNSPECIFIED,
        level=levels[ns.level] if ns.level else pb.PADES_LEVEL_UNSPECIFIED,
        placement=placement,
        image_png=read_bytes(ns.image) if ns.image else b"",
        document_number=ns.number or "",
        reason=ns.reason or "",
        location=ns.location or "",
    )


def _authorization(ns: argparse.Namespace) -> Any:
    from kyso.v1 import signer_pb2 as pb

    code = read_otp(ns)
    pin = read_owner_pin(ns)
    if code is not None and pin is not None:
        raise InvalidInput(
            "OPTION_INVALID", option="--otp", problem="give --otp or --owner-pin, not both"
        )
    if pin is not None:
        return pb.OwnerAuthorization(pin=pin)
    return pb.OwnerAuthorization(totp=code) if code is not None else pb.OwnerAuthorization()


def _stream_requests(
    ns: argparse.Namespace, options: Any, size: int, authorization: Any
) -> Iterator[Any]:
    from kyso.v1 import signer_pb2 as pb

    yield pb.SignStreamRequest(
        header=pb.SignStreamHeader(
            key=ns.key,
            options=options,
            size=size,
            return_update_only=True,
            authorization=authorization,
        )
    )
    for chunk in read_chunks(ns.input):
        yield pb.SignStreamRequest(chunk=chunk)


def _sign(ns: argparse.Namespace) -> int:
    from kyso.v1 import signer_pb2 as pb
    from kyso.v1 import signer_pb2_grpc as pb_grpc

    size = readable_size(ns.input)
    options = _options(ns)
    tls = credentials(ns)  # unreadable certificate files: refused before anything is written
    authorization = _authorization(ns)
    out: Path = ns.output
    if out.is_dir():
        raise InvalidInput("FILE_UNWRITABLE", path=str(out), problem="it is a directory")
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{out.name}.", suffix=".part", dir=out.parent if str(out.parent) else "."
        )
    except OSError as exc:
        raise unwritable(out, exc) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f, client_channel(ns, tls) as ch:
            stub = pb_grpc.SignerStub(ch)
            if size <= UNARY_LIMIT:
                resp = stub.Sign(
                    pb.SignRequest(
                        document=read_bytes(ns.input),
                        key=ns.key,
                        options=options,
                        authorization=authorization,
                    ),
                    timeout=ns.timeout,
                )
                f.write(resp.document)
                summary = resp.signature
            else:
                # the server sends back only the incremental update: OUT = IN + update
                with ns.input.open("rb") as src:
                    shutil.copyfileobj(src, f, 1024 * 1024)
                summary = None
                for msg in stub.SignStream(
                    _stream_requests(ns, options, size, authorization), timeout=ns.timeout
                ):
                    if msg.WhichOneof("part") == "signature":
                        summary = msg.signature
                    else:
                        f.write(msg.chunk)
                if summary is None:
                    raise RuntimeError("the server sent no signature summary")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is not what a user expects for OUT
        os.replace(tmp, out)
    except grpc.RpcError as err:
        tmp.unlink(missing_ok=True)
        report_rpc_error(err, ns)
        return EXIT_ERROR
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        # reading IN is checked above; what fails here is writing, renaming or a full disk
        raise unwritable(out, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    level = pb.PadesLevel.Name(summary.level).replace("PADES_", "").replace("_", "-")
    print(
        f"kyso: signed {out} ({summary.size or out.stat().st_size} bytes): "
        f"{level}, field {summary.field_name}, {summary.signer_subject}"
        + (f"; {summary.pdfa} kept" if summary.pdfa else "")
    )
    return 0


def _keys(ns: argparse.Namespace) -> int:
    from kyso.v1 import signer_pb2 as pb
    from kyso.v1 import signer_pb2_grpc as pb_grpc

    try:
        with client_channel(ns) as ch:
            resp = pb_grpc.SignerStub(ch).ListKeys(pb.ListKeysRequest(), timeout=ns.timeout)
    except grpc.RpcError as err:
        report_rpc_error(err, ns)
        return EXIT_ERROR
    if not resp.keys:
        print("kyso: no signing keys configured", file=sys.stderr)
    for key in resp.keys:
        profiles = ",".join(
            pb.SignatureProfile.Name(p).replace("PROFILE_", "").lower() for p in key.profiles
        )
        state = "available" if key.available else f"UNAVAILABLE ({key.unavailable_code})"
        print(f"{key.name}\t{profiles}\t{key.backend}\t{key.key_algorithm}\t{state}")
        if key.subject:
            print(f"    subject: {key.subject}")
            print(f"    issuer:  {key.issuer}")
            print(
                f"    valid:   {key.not_before.ToDatetime():%Y-%m-%d} .. "
                f"{key.not_after.ToDatetime():%Y-%m-%d}  sha256 {key.sha256}"
            )
        print(f"    consent: {_consent_line(key)}")
        print(f"    usage:   {_usage_line(key.usage)}")
    return 0


def _local_time(ts: Any) -> str:
    from datetime import UTC
    from zoneinfo import ZoneInfo

    when = ts.ToDatetime().replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    return when.isoformat(timespec="seconds")


def _consent_line(key: Any) -> str:
    """``totp (enrolled)``, ``totp (NOT ENROLLED: signing refused)``, ``none``; a lock."""
    line = key.consent or "none"
    if key.consent == "totp":
        line += " (enrolled)" if key.consent_enrolled else " (NOT ENROLLED: signing refused)"
    if key.HasField("locked_until"):
        line += f", LOCKED until {_local_time(key.locked_until)}"
    return line


def _usage_line(usage: Any) -> str:
    """``12 signatures, 3 today (limits: 100 a day, 1000 in total), last 2026-…+07:00``."""
    limits = [
        f"{usage.max_signatures_per_day} a day" if usage.max_signatures_per_day else "",
        f"{usage.max_signatures_total} in total" if usage.max_signatures_total else "",
    ]
    shown = ", ".join(x for x in limits if x) or "none"
    last = _local_time(usage.last_used) if usage.HasField("last_used") else "never"
    return (
        f"{usage.signatures_total} signatures, {usage.signatures_today} today "
        f"(limits: {shown}), last {last}"
    )


def register(sub: Any) -> None:
    """Add ``kyso keys`` and ``kyso sign`` to the ``kyso`` parser."""
    p = sub.add_parser(
        "keys", help="list the server's signing keys (consent, usage); `keys enroll KEY`"
    )
    p.add_argument("--timeout", type=seconds("--timeout"), default=30.0)
    register_enroll(p, _keys)

    p = sub.add_parser("sign", help="sign a PDF (PAdES) with a key held by the server")
    p.add_argument("input", type=Path, metavar="IN")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT")
    p.add_argument("--key", required=True, help="key name (see `kyso keys`)")
    p.add_argument(
        "--profile",
        choices=_PROFILES,
        default=None,
        help="Decree 30 signature kind (default: the key's first profile)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--anchor",
        help="text on the page (the signer's title or name line); without --anchor, --rect or "
        "--field: personal in the document's signer block, organisation over the personal "
        "signature, attachment top right of page 1",
    )
    where.add_argument(
        "--rect",
        type=_rect,
        metavar="X1,Y1,X2,Y2",
        help="rectangle in PDF points (with --page, default 1)",
    )
    where.add_argument("--field", help="an existing empty signature field")
    p.add_argument("--page", type=_page, default=None, help="1-based page for --rect")
    p.add_argument("--image", type=Path, help="signature/seal PNG (default: the key's image)")
    p.add_argument(
        "--level",
        choices=_LEVELS,
        default=None,
        help="PAdES level (default: B-T with a TSA, else B-B)",
    )
    p.add_argument("--number", help='number and symbol for attachments, e.g. "15/QĐ-UBND"')
    p.add_argument("--reason")
    p.add_argument("--location")
    add_otp_option(p)
    p.add_argument("--timeout", type=seconds("--timeout"), default=600.0)
    p.set_defaults(func=_sign)
