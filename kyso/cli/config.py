"""``kyso config check FILE``: validate a configuration as ``kyso serve --config FILE`` would.

The same checks and the same one-line messages as the server's start-up (the file's keys and
types, unknown keys with the closest known one, the ``KYSO_*`` environment overrides, a
plaintext address off loopback), without starting anything or creating a file. Exit 0 when
the configuration is valid, 1 when it is not (the message on stderr, English and Vietnamese).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kyso.errors import KysoError

EXIT_VALID, EXIT_INVALID = 0, 1


def register(sub: Any) -> None:
    """Add ``config check`` to the ``kyso`` parser."""
    p = sub.add_parser("config", help="check a configuration file")
    actions = p.add_subparsers(dest="config_command", required=True)
    check = actions.add_parser(
        "check", help="validate FILE (and the KYSO_* environment) as kyso serve would"
    )
    check.add_argument("file", type=Path, help="the TOML configuration")
    check.set_defaults(func=_check)


def _check(ns: argparse.Namespace) -> int:
    from kyso.server.app import check_plaintext
    from kyso.server.settings import load_settings

    try:
        settings = load_settings(ns.file)
        check_plaintext(settings.listen, "listen", tls=settings.tls is not None)
    except KysoError as err:
        print(f"kyso: {err}", file=sys.stderr)
        return EXIT_INVALID
    print(
        f"kyso: {ns.file}: valid: listen {settings.listen}, {len(settings.keys)} key(s), "
        f"{len(settings.clients)} client(s), data directory {settings.home} "
        "(cấu hình hợp lệ)"
    )
    return EXIT_VALID
