"""``kyso trust …``: the security officer's commands (gRPC clients); ``kyso audit`` is in
:mod:`kyso.cli.audit`.

Credentials (:func:`kyso.cli.channel.bearer_token`): ``--token-file``, else ``KYSO_TOKEN``,
else, when the server is on this machine, the local CLI's credential the embedded defaults
created under the data directory (``<KYSO_HOME>/auth/local-cli.token``); or a client
certificate (``--cert``/``--key`` before the command).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from kyso.cli._input import (
    UINT32_MAX,
    UINT64_MAX,
    integer,
    read_bytes,
    seconds,
)
from kyso.cli._input import write_bytes as write_file
from kyso.cli.channel import EXIT_ERROR, client_channel, report_rpc_error
from kyso.errors import InvalidInput
from kyso.settings import shorten

_PURPOSES = ("signature", "timestamping", "ocsp_signing")


def call(ns: argparse.Namespace, method: str, request: Any) -> Any:
    from kyso.v1 import trust_store_pb2_grpc as pb_grpc

    with client_channel(ns) as ch:
        stub = pb_grpc.TrustStoreStub(ch)
        return getattr(stub, method)(request, timeout=ns.timeout)


def guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(ns: argparse.Namespace) -> int:
        try:
            return func(ns)
        except grpc.RpcError as err:
            report_rpc_error(err, ns)
            return EXIT_ERROR

    return run


# -- formatting -----------------------------------------------------------------------


def _purpose_names(values: Any) -> list[str]:
    from kyso.v1 import trust_store_pb2 as pb

    return [pb.TrustPurpose.Name(v).removeprefix("TRUST_PURPOSE_").lower() for v in values]


def _role_name(value: int) -> str:
    from kyso.v1 import trust_store_pb2 as pb

    return pb.TrustRole.Name(value).removeprefix("TRUST_ROLE_").lower()


def _cert_dict(c: Any) -> dict[str, Any]:
    return {
        "sha256": c.sha256,
        "role": _role_name(c.role),
        "subject": c.subject,
        "issuer": c.issuer,
        "serial": c.serial,
        "not_before": c.not_before.ToDatetime().isoformat() + "Z",
        "not_after": c.not_after.ToDatetime().isoformat() + "Z",
        "purposes": _purpose_names(c.purposes),
        "added_by": c.added_by,
        "added_at": c.added_at.ToDatetime().isoformat() + "Z" if c.HasField("added_at") else None,
        "reason": c.reason,
        "expired": c.expired,
        "expires_within_90_days": c.expires_within_90_days,
    }


def _print_cert(c: Any, *, long: bool) -> None:
    flag = (
        " [EXPIRED / HẾT HẠN]"
        if c.expired
        else (" [expires within 90 days / sắp hết hạn]" if c.expires_within_90_days else "")
    )
    if not long:
        print(f"{c.sha256[:16]}  {_role_name(c.role):<12}  {c.subject}{flag}")
        return
    for key, value in _cert_dict(c).items():
        print(f"{key:>24}: {value}")


def _print_change(resp: Any) -> int:
    for c in resp.added:
        print(f"added    {c.sha256}  {_role_name(c.role)}  {c.subject}")
    for c in resp.removed:
        print(f"removed  {c.sha256}  {_role_name(c.role)}  {c.subject}")
    if not resp.added and not resp.removed:
        print("nothing to change (không có thay đổi)")
    print(
        f"trust store version {resp.version}"
        + (f", audit #{resp.audit_seq}" if resp.audit_seq else "")
    )
    return 0


def _purposes(ns: argparse.Namespace) -> list[str]:
    return ["TRUST_PURPOSE_" + p.upper() for p in (ns.purpose or [])]


def _expected(ns: argparse.Namespace) -> dict[str, int]:
    return {} if ns.expected_version is None else {"expected_version": ns.expected_version}


# -- commands -------------------------------------------------------------------------


@guarded
def _list(ns: argparse.Namespace) -> int:
    from kyso.v1 import trust_store_pb2 as pb

    req = pb.ListTrustCertificatesRequest(
        role="TRUST_ROLE_" + ns.role.upper() if ns.role else None,
        purpose="TRUST_PURPOSE_" + ns.purpose.upper() if ns.purpose else None,
    )
    resp = call(ns, "List", req)
    if ns.json:
        print(
            json.dumps(
                {
                    "version": resp.version,
                    "certificates": [_cert_dict(c) for c in resp.certificates],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(f"trust store version {resp.version}: {len(resp.certificates)} certificate(s)")
    for c in resp.certificates:
        _print_cert(c, long=False)
    return 0


@guarded
def _show(ns: argparse.Namespace) -> int:
    from kyso.v1 import trust_store_pb2 as pb

    c = call(ns, "Get", pb.GetTrustCertificateRequest(sha256=ns.fingerprint))
    if ns.json:
        print(json.dumps(_cert_dict(c), ensure_ascii=False, indent=2))
    else:
        _print_cert(c, long=True)
    return 0


@guarded
def _add(ns: argparse.Namespace) -> int:
    from kyso.v1 import trust_store_pb2 as pb

    req = pb.AddTrustCertificateRequest(
        certificate=read_bytes(Path(ns.file)),
        role="TRUST_ROLE_" + ns.role.upper() if ns.role else None,
        purposes=_purposes(ns),
        reason=ns.reason,
        allow_expired=ns.allow_expired,
        **_expected(ns),
    )
    return _print_change(call(ns, "Add", req))


@guarded
def _remove(ns: argparse.Namespace) -> int:
    from kyso.v1 import trust_store_pb2 as pb

    req = pb.RemoveTrustCertificateRequest(
        sha256=ns.fingerprint, reason=ns.reason, confirm_anchor_in_use=ns.confirm, **_expected(ns)
    )
    return _print_change(call(ns, "Remove", req))


@guarded
def _import(ns: argparse.Namespace) -> int:
    from kyso.v1 import trust_store_pb2 as pb

    req = pb.ImportTrustBundleRequest(
        bundle=read_bytes(Path(ns.file)),
        purposes=_purposes(ns),
        reason=ns.reason,
        allow_expired=ns.allow_expired,
        skip_existing=ns.skip_existing,
        **_expected(ns),
    )
    return _print_change(call(ns, "Import", req))


@guarded
def _export(ns: argparse.Namespace) -> int:
    from kyso.v1 import trust_store_pb2 as pb

    fmt = pb.TRUST_EXPORT_FORMAT_P7B if ns.format == "p7b" else pb.TRUST_EXPORT_FORMAT_PEM
    resp = call(ns, "Export", pb.ExportTrustStoreRequest(format=fmt, anchors_only=ns.anchors_only))
    if ns.output:
        write_file(Path(ns.output), resp.data)
        print(
            f"wrote {resp.count} certificate(s) of version {resp.version} to {ns.output}",
            file=sys.stderr,
        )
    else:
        sys.stdout.buffer.write(resp.data)
        sys.stdout.buffer.flush()
    return 0


@guarded
def _install_bundle(ns: argparse.Namespace) -> int:
    from kyso.v1 import trust_store_pb2 as pb

    req = pb.InstallTrustBundleRequest(name=ns.name, reason=ns.reason or "", **_expected(ns))
    return _print_change(call(ns, "InstallBundle", req))


@guarded
def _bundles(ns: argparse.Namespace) -> int:
    from kyso.v1 import trust_store_pb2 as pb

    for name in call(ns, "ListBundles", pb.ListTrustBundlesRequest()).names:
        print(name)
    return 0


@guarded
def _history(ns: argparse.Namespace) -> int:
    from kyso.v1 import trust_store_pb2 as pb

    resp = call(ns, "History", pb.TrustHistoryRequest(limit=ns.limit, sha256=ns.cert or ""))
    for e in resp.entries:
        if ns.json:
            print(
                json.dumps(
                    {
                        "seq": e.seq,
                        "time": e.time,
                        "actor": e.actor,
                        "action": e.action,
                        "outcome": e.outcome,
                        "code": e.code,
                        "reason": e.reason,
                        "version": e.version,
                        "subjects": list(e.subjects),
                    },
                    ensure_ascii=False,
                )
            )
            continue
        subjects = ",".join(s[:12] for s in e.subjects)
        code = f" {e.code}" if e.code else ""
        print(
            f"#{e.seq:<5} {e.time}  v{e.version:<4} {e.actor:<24} {e.action:<14} "
            f"{e.outcome}{code}  {subjects}  {e.reason}"
        )
    return 0


@guarded
def _status(ns: argparse.Namespace) -> int:
    from google.protobuf.descriptor import FieldDescriptor
    from google.protobuf.json_format import MessageToDict

    from kyso.v1 import trust_store_pb2 as pb

    resp = call(ns, "Status", pb.TrustStoreStatusRequest())
    data = MessageToDict(
        resp, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    # protobuf's JSON writes 64-bit integers as strings; the counters are numbers here, with
    # the field names of the .proto like every other --json output of kyso
    for field in resp.DESCRIPTOR.fields:
        wide = field.cpp_type in (FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64)
        if wide and isinstance(data.get(field.name), str):
            data[field.name] = int(data[field.name])
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


def _token_add(ns: argparse.Namespace) -> int:
    from kyso.server.settings import default_home, load_settings
    from kyso.server.tokens import CLIENTS, OFFICERS, READERS, add_token, token_files

    config = ns.config
    if config is None:  # the file `kyso serve` writes for its embedded defaults, as keys enroll
        config = default_home() / "kyso.toml"
        if not config.is_file():
            raise InvalidInput(
                "CONFIG_INVALID", problem=f"no --config given and {config} does not exist"
            )
    settings = load_settings(config)
    files = token_files(settings)
    if ns.role is None:
        if not any(c.name == ns.name and c.token for c in settings.clients):
            raise InvalidInput(
                "OPTION_INVALID",
                option="NAME",
                problem=f"{shorten(ns.name)} is not a [[clients]] table with token = true "
                "in the configuration (--config)",
            )
        path = files[CLIENTS]
    else:
        path = files[OFFICERS if ns.role == "officer" else READERS]
    try:
        token = add_token(path, ns.name)
    except ValueError as exc:
        raise InvalidInput("OPTION_INVALID", option="NAME", problem=str(exc)) from None
    what = f"{ns.role} token" if ns.role else "token"
    print(f"added {what} for {ns.name} to {path}; it is shown only once:", file=sys.stderr)
    print(token)
    return 0


# -- parser -----------------------------------------------------------------------------


def client_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help="file holding the bearer token (default: KYSO_TOKEN, else the local "
        "CLI's credential when the server is on this machine)",
    )
    p.add_argument(
        "--timeout", type=seconds("--timeout"), default=30.0, help="seconds (default %(default)s)"
    )


def _change_options(p: argparse.ArgumentParser, *, reason_required: bool = True) -> None:
    p.add_argument(
        "--reason", required=reason_required, default=None, help="why (recorded in the audit log)"
    )
    p.add_argument(
        "--expected-version",
        type=integer("--expected-version", 0, UINT64_MAX),
        default=None,
        help="refuse (ABORTED) unless the store is at this version",
    )


def register(sub: Any) -> None:
    """Add ``trust`` to the ``kyso`` parser."""
    trust = sub.add_parser("trust", help="manage the trust store (security officers)")
    tsub = trust.add_subparsers(dest="trust_command", required=True)

    p = tsub.add_parser("list", help="list trusted certificates")
    p.add_argument("--role", choices=("anchor", "intermediate"))
    p.add_argument("--purpose", choices=_PURPOSES)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_list)

    p = tsub.add_parser("show", help="show one certificate (SHA-256, colons optional, prefix ok)")
    p.add_argument("fingerprint")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_show)

    p = tsub.add_parser("add", help="add one certificate (PEM or DER)")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--role",
        choices=("anchor", "intermediate"),
        help="default: self-signed -> anchor, otherwise intermediate",
    )
    p.add_argument(
        "--purpose",
        action="append",
        choices=_PURPOSES,
        help="repeat for several (default: signature)",
    )
    p.add_argument(
        "--allow-expired",
        action="store_true",
        help="accept an expired certificate (old signatures need their old roots)",
    )
    _change_options(p)
    p.set_defaults(func=_add)

    p = tsub.add_parser("remove", help="remove one certificate")
    p.add_argument("fingerprint")
    p.add_argument(
        "--confirm",
        action="store_true",
        help="confirm removing an anchor that signatures may still depend on",
    )
    _change_options(p)
    p.set_defaults(func=_remove)

    p = tsub.add_parser("import", help="import a bundle (PEM, DER, P7B) whole or not at all")
    p.add_argument("file", type=Path)
    p.add_argument("--purpose", action="append", choices=_PURPOSES)
    p.add_argument("--allow-expired", action="store_true")
    p.add_argument(
        "--skip-existing",
        action="store_true",
        help="ignore certificates already trusted instead of refusing the bundle",
    )
    _change_options(p)
    p.set_defaults(func=_import)

    p = tsub.add_parser("export", help="print the trust store (PEM by default)")
    p.add_argument("--format", choices=("pem", "p7b"), default="pem")
    p.add_argument("--anchors-only", action="store_true")
    p.add_argument("-o", "--output", type=Path, default=None)
    p.set_defaults(func=_export)

    p = tsub.add_parser("install-bundle", help="install a bundle shipped with kyso (e.g. vn-gov)")
    p.add_argument("name")
    _change_options(p, reason_required=False)
    p.set_defaults(func=_install_bundle)

    p = tsub.add_parser("bundles", help="list the bundles that can be installed")
    p.set_defaults(func=_bundles)

    p = tsub.add_parser("history", help="audit entries of the trust store")
    p.add_argument("--limit", type=integer("--limit", 0, UINT32_MAX), default=100)
    p.add_argument("--cert", default=None, help="only entries naming this fingerprint")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_history)

    p = tsub.add_parser("status", help="storage, Redis state, revocation cache counters")
    p.add_argument(
        "--json", action="store_true", help="accepted for symmetry: the status is always JSON"
    )
    p.set_defaults(func=_status)

    p = tsub.add_parser("token", help="create a client token (run on the server machine)")
    p.add_argument("action", choices=("add",))
    p.add_argument("name")
    p.add_argument(
        "--role",
        choices=("officer", "reader"),
        default=None,
        help="a token of the trust store's legacy officer/reader files; without it, a token "
        "for the [[clients]] table NAME (token = true)",
    )
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the server's TOML configuration (default: $KYSO_HOME/kyso.toml)",
    )
    p.set_defaults(func=_token_add)

    for child in tsub.choices.values():
        client_options(child)
