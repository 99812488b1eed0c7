"""The ``kyso`` command: ``serve`` runs the server, every other command is a gRPC client.

Exit status, the same for every command: 0 success (TOTAL_PASSED, ACCEPT, SERVING); 1 a
negative result (TOTAL_FAILED, RETURN_TO_SENDER, a broken audit chain); 2 a result that is
neither (INDETERMINATE, ACCEPT_WITH_WARNINGS, a layout WARNING); 3 an error — a refused call,
an unreachable server, a bad command line (``COMMAND_LINE_INVALID``, not argparse's 2, which
would read as INDETERMINATE), a file that cannot be read or written, an output closed early
(``OUTPUT_CLOSED``) — printed as one line ``kyso: CODE: English (Vietnamese)``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from kyso.cli._input import seconds
from kyso.cli.channel import EXIT_ERROR, add_tls_options
from kyso.errors import InvalidInput, KysoError

DEFAULT_SERVER = "127.0.0.1:50051"


def _serve(ns: argparse.Namespace) -> int:
    from kyso.server import log_format
    from kyso.server.app import check_plaintext, serve
    from kyso.server.observability_settings import check_metrics_listen
    from kyso.server.settings import check_listen, load_settings

    for option, value, check in (
        ("--listen", ns.listen, check_listen),
        ("--metrics-listen", ns.metrics_listen, check_metrics_listen),
    ):
        if value is not None:
            try:
                check(value)
            except ValueError as exc:
                raise InvalidInput("CONFIG_INVALID", problem=f"{option}: {exc}") from None
    settings = load_settings(ns.config)
    log_format.configure(ns.log_format or settings.logging.format, verbose=ns.verbose)
    check_plaintext(  # before the embedded defaults create anything
        ns.listen or settings.listen,
        "--listen" if ns.listen else "listen",
        tls=settings.tls is not None,
    )
    on_serving: Callable[[str], None] | None = None
    if settings.embedded_defaults:
        from kyso.demo.embedded import ensure_demo, write_config

        settings = ensure_demo(settings, ns.listen)
        home, written = settings.home, settings.listen

        def _record(address: str) -> None:  # kyso.toml shows the port --listen :0 got
            if address != written:
                write_config(home, address)

        on_serving = _record

    elif settings.demo_pki:
        from kyso.demo.embedded import start_demo_responders

        start_demo_responders(settings)
    serve(settings, ns.listen, ns.metrics_listen, on_serving=on_serving)
    return 0


def _health(ns: argparse.Namespace) -> int:
    """Exit 0 when the server answers SERVING for ``--service`` (default ``""``, readiness: the
    Docker HEALTHCHECK), else 1. ``--list``: every name and its status (docs/operations.md);
    exit 0 when the overall one is SERVING."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from kyso.cli.channel import channel, credentials

    name = health_pb2.HealthCheckResponse.ServingStatus.Name
    try:
        with channel(ns.server, credentials(ns)) as ch:
            stub = health_pb2_grpc.HealthStub(ch)
            if ns.list:
                listed = stub.List(health_pb2.HealthListRequest(), timeout=ns.timeout).statuses
                statuses = {service: r.status for service, r in listed.items()}
            else:
                request = health_pb2.HealthCheckRequest(service=ns.service)
                statuses = {ns.service: stub.Check(request, timeout=ns.timeout).status}
    except grpc.RpcError as err:
        from kyso.cli.channel import speaks_tls, transport_error

        local = transport_error(err, ns.server, speaks_tls(ns))
        print(f"kyso: {local or err.code().name}", file=sys.stderr)
        return 1
    if ns.list:
        for service in sorted(statuses):
            print(f"{service or '(overall)'}\t{name(statuses[service])}")
    else:
        print(name(statuses[ns.service]))
    overall = statuses.get("" if ns.list else ns.service)
    return 0 if overall == health_pb2.HealthCheckResponse.SERVING else 1


class _Parser(argparse.ArgumentParser):
    """argparse with kyso's one error line and exit status 3 for a bad command line
    (argparse's own 2 means INDETERMINATE to ``kyso verify``). Sub-command parsers are of
    this class too."""

    def error(self, message: str) -> NoReturn:
        # one line, as every other mistake: the message says where the usage is
        print(f"kyso: {InvalidInput('COMMAND_LINE_INVALID', problem=message)}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _output_closed() -> int:
    """The reader of standard output went away (``kyso verify x.pdf --json | head -1``): one
    line on stderr, exit 3, and no second BrokenPipeError when Python flushes at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    try:
        print(f"kyso: {InvalidInput('OUTPUT_CLOSED')}", file=sys.stderr)
    except OSError:
        pass
    return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    from kyso.cli import audit as cli_audit
    from kyso.cli import config as cli_config
    from kyso.cli import intake as cli_intake
    from kyso.cli import layout as cli_layout
    from kyso.cli import sign as cli_sign
    from kyso.cli import trust as cli_trust
    from kyso.cli import verify as cli_verify

    parser = _Parser(prog="kyso", description="PAdES signing and verification service")
    parser.add_argument(
        "--server",
        default=os.environ.get("KYSO_SERVER", DEFAULT_SERVER),
        help="gRPC address of the kyso server (env KYSO_SERVER; default %(default)s)",
    )
    add_tls_options(parser)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the gRPC server")
    p.add_argument(
        "--config", type=Path, default=None, help="TOML config (default: embedded defaults)"
    )
    p.add_argument(
        "--listen", default=None, help="HOST:PORT (default from config, else 127.0.0.1:50051)"
    )
    p.add_argument(
        "--metrics-listen",
        default=None,
        metavar="HOST:PORT|off",
        help="Prometheus /metrics endpoint (default from config, else 127.0.0.1:9464 or the "
        "next free port); off: none",
    )
    p.add_argument(
        "--log-format",
        choices=("auto", "text", "json"),
        default=None,
        help="log lines as text or JSON (default from config, else auto: text on a terminal, "
        "JSON otherwise)",
    )
    p.set_defaults(func=_serve)
    p = sub.add_parser("health", help="ask the server's health service; exit 0 when SERVING")
    p.add_argument(
        "--timeout", type=seconds("--timeout"), default=4.0, help="seconds (default %(default)s)"
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--service",
        default="",
        help="health service name, e.g. kyso.v1.Signer or kyso.key/NAME (default: overall)",
    )
    which.add_argument(
        "--list", action="store_true", help="print every name and its status (docs/operations.md)"
    )
    p.set_defaults(func=_health)
    for module in (cli_sign, cli_verify, cli_layout, cli_intake, cli_trust, cli_audit, cli_config):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; every :class:`KysoError` (a bad number in the arguments included),
    a bad command line, a call that failed or never reached the server and an output closed
    early is one line on stderr, ``kyso: CODE: English (Vietnamese)`` as a refused call
    prints it, and exit status 3 (never a traceback)."""
    import grpc

    from kyso.cli.channel import report_rpc_error

    parser = build_parser()
    ns: argparse.Namespace | None = None
    try:
        ns = parser.parse_args(argv)
        logging.basicConfig(
            level=logging.DEBUG if ns.verbose else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        if not ns.verbose:  # fontTools reports every table of every font it subsets
            logging.getLogger("fontTools").setLevel(logging.ERROR)
        code = int(ns.func(ns))
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except KysoError as err:
        print(f"kyso: {err}", file=sys.stderr)  # as the server's status: CODE: English (Vi)
        return EXIT_ERROR
    except grpc.RpcError as err:  # a command that did not catch its own
        report_rpc_error(err, ns)
        return EXIT_ERROR
    except BrokenPipeError:
        return _output_closed()


if __name__ == "__main__":
    sys.exit(main())
