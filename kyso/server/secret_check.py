"""The start-up check of every secret file the server is configured with (issue 8, item 6).

Private keys (``[[keys]]`` key files, the TLS key, the audit checkpoint key, the embedded
defaults' client keys), the owner-consent master key and sealed TOTP secrets, PIN files, the
SoftHSM2 token directory, bearer-token files and the local CLI's credential must be readable
by the user kyso runs as only: :func:`check_secrets` refuses to start otherwise, with one line
naming the setting, the file and the fix (``SECRET_FILE_UNPROTECTED``,
:mod:`kyso.secret_files`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from kyso.secret_files import check_secret_directory, check_secret_file
from kyso.server.settings import Settings
from kyso.server.tokens import LOCAL_CREDENTIAL_FILE, token_files


def softhsm_token_directory(conf: str | None = None) -> Path | None:
    """``directories.tokendir`` of the SoftHSM2 configuration (``SOFTHSM2_CONF``), if any."""
    conf = conf if conf is not None else os.environ.get("SOFTHSM2_CONF")
    if not conf:
        return None
    try:
        text = Path(conf).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r"^\s*directories\.tokendir\s*=\s*(.+?)\s*$", text, re.MULTILINE)
    return Path(match.group(1)) if match else None


def secret_files(settings: Settings) -> Iterator[tuple[str, Path]]:
    """(setting, path) of every secret file named by ``settings`` (existing or not)."""
    for index, key in enumerate(settings.keys):
        where = f"keys[{index}] ({key.name})"
        if key.key_file is not None and key.backend in ("pem", "pkcs12"):
            yield f"{where}.key_file", key.key_file
        if key.pin_file is not None:
            yield f"{where}.pin_file", key.pin_file
    if settings.tls is not None:
        yield "tls.private_key", settings.tls.private_key
    if settings.audit.checkpoint_pkcs11_module is None:
        yield "audit.checkpoint_key", settings.audit.key_file(settings.home)
    if settings.audit.checkpoint_pin_file is not None:
        yield "audit.checkpoint_pin_file", settings.audit.checkpoint_pin_file
    settings_of = {
        "clients": "tokens_file",
        "officers": "trust_store.officer_tokens_file",
        "readers": "trust_store.reader_tokens_file",
    }
    for kind, path in token_files(settings).items():
        yield settings_of.get(kind, f"the {kind} token file"), path
    yield "the local CLI's credential", settings.home / "auth" / LOCAL_CREDENTIAL_FILE
    master = settings.signer.master_key_file(settings.home)
    yield "signer.consent_master_key_file", master
    for sealed in sorted(master.parent.glob("*.totp")):  # the owners' sealed TOTP secrets
        yield "the enrolled owner secrets (kyso keys enroll)", sealed
    for client_key in sorted((settings.home / "clients").glob("*.key")):  # embedded defaults
        yield "the local client keys (<home>/clients)", client_key


def check_secrets(settings: Settings) -> None:
    """Refuse to start (:class:`kyso.errors.InvalidInput`, ``SECRET_FILE_UNPROTECTED``) when
    a secret file, or the SoftHSM2 token directory of a PKCS#11 key, may be read by group or
    others or is owned by another user."""
    for setting, path in secret_files(settings):
        check_secret_file(path, setting)
    modules = [k.module or "" for k in settings.keys if k.backend == "pkcs11"]
    modules.append(settings.audit.checkpoint_pkcs11_module or "")
    if any("softhsm" in module for module in modules):
        # a key's module_env names the configuration kyso will export; else the environment's
        confs = {
            k.module_env.get("SOFTHSM2_CONF") or os.environ.get("SOFTHSM2_CONF")
            for k in settings.keys
            if "softhsm" in (k.module or "")
        } or {os.environ.get("SOFTHSM2_CONF")}
        for conf in sorted(c for c in confs if c):
            token_dir = softhsm_token_directory(conf)
            if token_dir is not None:
                check_secret_directory(token_dir, "SOFTHSM2_CONF directories.tokendir")


__all__ = ["check_secrets", "secret_files", "softhsm_token_directory"]
