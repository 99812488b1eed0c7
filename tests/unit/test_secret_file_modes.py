"""kyso.secret_files and the personal-name log policy, without a server."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from kyso.errors import InvalidInput
from kyso.secret_files import check_secret_directory, check_secret_file, write_secret
from kyso.server.log_privacy import SUBJECT_LOGGERS, apply_personal_name_policy


def test_write_secret_creates_0600_in_a_0700_directory(tmp_path: Path) -> None:
    path = tmp_path / "auth" / "nested" / "token"
    write_secret(path, "s3cr3t-value")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    path.chmod(0o644)
    write_secret(path, b"again")  # an existing file is made private again
    assert path.stat().st_mode & 0o777 == 0o600 and path.read_bytes() == b"again"
    with pytest.raises(FileExistsError):
        write_secret(path, "x", exclusive=True)
    check_secret_file(path, "s")
    check_secret_directory(tmp_path / "auth", "d")


@pytest.mark.parametrize(
    ("mode", "who"), [(0o640, "its group"), (0o604, "others"), (0o666, "group and others")]
)
def test_any_group_or_other_bit_is_refused_with_the_fix(
    tmp_path: Path, mode: int, who: str
) -> None:
    path = tmp_path / "key.pem"
    path.write_text("k")
    path.chmod(mode)
    with pytest.raises(InvalidInput) as caught:
        check_secret_file(path, "tls.private_key")
    err = caught.value
    assert err.code == "SECRET_FILE_UNPROTECTED"
    assert err.message_en == (
        f"tls.private_key: {path} has mode {mode:04o}: {who} may read or change it; "
        f"fix: chmod 600 {path}"
    )
    assert f"chmod 600 {path}" in err.message_vi and "tệp bí mật" in err.message_vi


def test_a_directory_and_what_it_holds(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    (tokens / "slot").mkdir(parents=True, mode=0o700)
    tokens.chmod(0o700)
    inner = tokens / "slot" / "token.object"
    inner.write_text("x")
    inner.chmod(0o644)
    with pytest.raises(InvalidInput, match=f"chmod 600 {inner}"):
        check_secret_directory(tokens, "SOFTHSM2_CONF directories.tokendir")
    inner.chmod(0o600)
    check_secret_directory(tokens, "SOFTHSM2_CONF directories.tokendir")


def test_a_missing_file_is_left_to_whoever_needs_it(tmp_path: Path) -> None:
    check_secret_file(tmp_path / "nothing", "x")


def test_another_owner_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing a file's owner needs root")
    path = tmp_path / "pin"
    path.write_text("123456")
    path.chmod(0o600)
    os.chown(path, 65534, 65534)
    with pytest.raises(InvalidInput, match="owned by uid 65534"):
        check_secret_file(path, "keys[0] (seal).pin_file")


def test_subject_loggers_are_held_at_warning_unless_enabled() -> None:
    try:
        apply_personal_name_policy(False)
        assert all(logging.getLogger(n).level == logging.WARNING for n in SUBJECT_LOGGERS)
        apply_personal_name_policy(True)
        assert all(logging.getLogger(n).level == logging.NOTSET for n in SUBJECT_LOGGERS)
    finally:
        apply_personal_name_policy(False)
