"""The owner's side of consent: ``kyso keys enroll`` and the ``--otp`` of ``kyso sign``.

``kyso keys enroll KEY`` is a local administration command, run on the server machine as
the user kyso runs as: it reads the server's configuration, makes a new TOTP secret for the
key, stores it sealed under the data directory (or in the replicas' Redis) and prints its
``otpauth://`` URI once, for the owner's authenticator app. Nothing goes over the network
and nothing is logged.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from kyso.errors import AlreadyExists, InvalidInput, NotFound

#: The environment variables ``--otp`` and ``--owner-pin`` default to.
OTP_ENV = "KYSO_OTP"
OWNER_PIN_ENV = "KYSO_OWNER_PIN"


def read_otp(ns: argparse.Namespace) -> str | None:
    """The owner's one-time code: ``--otp CODE``, ``--otp -`` (asked without echo on a
    terminal, else the first line of standard input), else ``$KYSO_OTP``, else None."""
    value = ns.otp if ns.otp is not None else os.environ.get(OTP_ENV) or None
    if value != "-":
        return value.strip() if value is not None else None
    if sys.stdin.isatty():
        return getpass.getpass("kyso: owner's one-time code: ").strip()
    return sys.stdin.readline().strip()


def read_owner_pin(ns: argparse.Namespace) -> str | None:
    """The token's user PIN for a ``consent = "pin"`` key: ``--owner-pin -`` (asked without
    echo on a terminal, else the first line of standard input), else ``$KYSO_OWNER_PIN``.
    Never taken from the command line itself (other users see it in the process list)."""
    if ns.owner_pin == "-":
        if sys.stdin.isatty():
            return getpass.getpass("kyso: key owner's PIN: ")
        return sys.stdin.readline().rstrip("\r\n")
    if ns.owner_pin is not None:
        raise InvalidInput(
            "OPTION_INVALID",
            option="--owner-pin",
            problem=f"only '-' (asked without echo) is accepted; or set {OWNER_PIN_ENV}",
        )
    return os.environ.get(OWNER_PIN_ENV) or None


def _settings(config: Path | None) -> Any:
    from kyso.server.settings import default_home, load_settings

    if config is None:
        config = default_home() / "kyso.toml"  # what `kyso serve` writes for its defaults
        if not config.is_file():
            raise InvalidInput(
                "CONFIG_INVALID",
                problem=f"no --config given and {config} does not exist",
            )
    return load_settings(config)


def _enroll(ns: argparse.Namespace) -> int:
    from signer.key_use import open_key_guard

    settings = _settings(ns.config)
    config = next((k for k in settings.keys if k.name == ns.name), None)
    if config is None:
        raise NotFound("KEY_NOT_FOUND", key=ns.name)
    if config.owner_consent != "totp":
        raise InvalidInput(
            "CONFIG_INVALID",
            problem=f'key {ns.name}: consent is "{config.owner_consent}"; enrolment is for '
            '"totp" keys',
        )
    client = None
    if settings.redis_url:
        import redis

        client = redis.Redis.from_url(settings.redis_url, socket_timeout=5)
    try:
        guard = open_key_guard(
            settings.signer, settings.home, client, settings.trust_store.redis_namespace
        )
        secrets = guard.consent.secrets
        if secrets.enrolled(ns.name) and not ns.replace:
            raise AlreadyExists("CONSENT_ENROLLED", key=ns.name)
        secret = secrets.enrol(ns.name)
        guard.state.clear_consent(ns.name)  # a new secret: no lock, no step of the old one
    finally:
        if client is not None:
            client.close()
    from signer.consent_secrets import provisioning_uri

    print(provisioning_uri(secret, ns.name))
    where = "Redis" if client is not None else str(secrets.master_key_file.parent)
    print(
        f"kyso: key {ns.name} enrolled (TOTP, RFC 6238: SHA-1, 6 digits, 30 s; sealed in "
        f"{where}). Give the URI above to the key's owner now, for an authenticator app: "
        "it is not shown again.",
        file=sys.stderr,
    )
    return 0


def register_enroll(keys_parser: argparse.ArgumentParser, func: Any) -> None:
    """``kyso keys enroll KEY``; plain ``kyso keys`` keeps listing (``func``)."""
    sub = keys_parser.add_subparsers(dest="keys_command", metavar="{enroll}")
    p = sub.add_parser(
        "enroll",
        help="make and enrol the owner's TOTP secret of a key (on the server machine)",
    )
    p.add_argument("name", metavar="KEY", help="the key's name in the configuration")
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the server's TOML configuration (default: $KYSO_HOME/kyso.toml)",
    )
    p.add_argument(
        "--replace", action="store_true", help="replace a secret already enrolled (new device)"
    )
    p.set_defaults(func=_enroll)
    keys_parser.set_defaults(func=func)


def add_otp_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--otp",
        metavar="CODE",
        default=None,
        help="the key owner's one-time code for this document; '-' asks for it without echo "
        f"(or reads standard input); default ${OTP_ENV}",
    )
    parser.add_argument(
        "--owner-pin",
        metavar="-",
        default=None,
        help="for a key whose consent is the token's PIN: '-' asks for it without echo "
        f"(or reads standard input); default ${OWNER_PIN_ENV}",
    )


__all__ = [
    "OTP_ENV",
    "OWNER_PIN_ENV",
    "add_otp_option",
    "read_otp",
    "read_owner_pin",
    "register_enroll",
]
