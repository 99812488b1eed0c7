"""Secrets stay secret: kyso refuses to start on a key, PIN, token or credential file that
group or others may read, or that another user owns (docs/security.md, "Secrets")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kyso.cli.channel import EXIT_ERROR
from kyso.errors import InvalidInput
from kyso.server.app import running_server
from kyso.server.secret_check import softhsm_token_directory
from kyso.server.tokens import add_token
from tests.log_scan import scan_output


def _pem_key(pki: Any, config_factory: Any, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    key = tmp_path / "keys" / "organisation.key.pem"
    key.parent.mkdir(mode=0o700)
    shutil.copyfile(pki.key_path("organisation"), key)
    key.chmod(0o600)
    table = config_factory.key_table("organisation", profiles=("organisation",), backend="pem")
    return {**table, "key_file": key, **extra}


def _refused(config: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught, running_server(config):
        pass
    assert caught.value.code == "SECRET_FILE_UNPROTECTED"
    return caught.value


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_readable_key_file_stops_the_server(
    mode: int, pki: Any, config_factory: Any, make_config: Any, tmp_path: Path
) -> None:
    table = _pem_key(pki, config_factory, tmp_path)
    config = make_config(keys=[table])
    with running_server(config):
        pass  # 0600: starts
    Path(table["key_file"]).chmod(mode)
    err = _refused(config)
    assert f"keys[0] (organisation).key_file: {table['key_file']} has mode {mode:04o}" in str(err)
    assert f"chmod 600 {table['key_file']}" in err.message_en
    assert f"chmod 600 {table['key_file']}" in err.message_vi


def test_a_pin_file_owned_by_another_user_stops_the_server(
    pki: Any, config_factory: Any, make_config: Any, tmp_path: Path
) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing a file's owner needs root")
    pin = tmp_path / "keys" / "p12.pin"
    table = config_factory.key_table("organisation", profiles=("organisation",), backend="pkcs12")
    pin.parent.mkdir(mode=0o700)
    pin.write_text(pki.pkcs12_passphrase.decode())
    pin.chmod(0o600)
    table.pop("pin_env")
    table["pin_file"] = pin
    p12 = tmp_path / "keys" / "organisation.p12"
    shutil.copyfile(table["key_file"], p12)
    p12.chmod(0o600)
    table["key_file"] = p12
    config = make_config(keys=[table])
    with running_server(config):
        pass
    os.chown(pin, 65534, 65534)
    err = _refused(config)
    assert "pin_file" in err.message_en and "owned by uid 65534" in err.message_en
    assert f"chown 0 {pin}" in err.message_en


def test_the_checkpoint_key_and_token_files_are_checked(make_config: Any, tmp_path: Path) -> None:
    config = make_config(keys=["personal"])
    with running_server(config):
        pass
    key = config.home / "audit" / "checkpoint.key"
    assert key.stat().st_mode & 0o777 == 0o600
    key.chmod(0o644)
    assert f"chmod 600 {key}" in _refused(config).message_en
    key.chmod(0o600)
    readers = config.home / "auth" / "reader-tokens"
    add_token(readers, "auditor")
    readers.chmod(0o640)
    err = _refused(config)
    assert "trust_store.reader_tokens_file" in err.message_en
    readers.chmod(0o600)


def test_a_readable_softhsm_token_directory_stops_the_server(
    make_config: Any, softhsm_token: Any
) -> None:
    tokens = softhsm_token_directory()
    assert tokens is not None and tokens.is_dir()
    config = make_config(keys=["personal"])
    tokens.chmod(0o755)
    try:
        err = _refused(config)
    finally:
        tokens.chmod(0o700)
    assert "SOFTHSM2_CONF directories.tokendir" in err.message_en
    assert f"chmod 700 {tokens}" in err.message_en


def test_kyso_serve_prints_one_line_naming_the_file_and_the_fix(
    pki: Any, config_factory: Any, make_config: Any, tmp_path: Path
) -> None:
    table = _pem_key(pki, config_factory, tmp_path)
    config = make_config(keys=[table])
    Path(table["key_file"]).chmod(0o644)
    done = subprocess.run(
        [sys.executable, "-m", "kyso.cli", "serve", "--config", str(config.home / "kyso.toml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    scan_output("the stderr of kyso serve", done.stderr)
    assert done.returncode == EXIT_ERROR, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("kyso: SECRET_FILE_UNPROTECTED: keys[0] (organisation).key_file")
    assert f"chmod 600 {table['key_file']}" in done.stderr
