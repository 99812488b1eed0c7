"""Files holding secrets (private keys, PINs, tokens, credentials): created private, checked.

kyso creates every such file with mode 0600 and every directory of them with 0700, owned by
the user kyso runs as (:func:`write_secret`, :func:`private_directory`). At start-up the
server checks each secret it is configured with (:func:`check_secret_file`,
:func:`check_secret_directory`): one readable or writable by group or others, or owned by
another user, stops it with one line naming the setting, the file and the fix
(``SECRET_FILE_UNPROTECTED``). Anyone else who can read a key file or a PIN can sign.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kyso.errors import InvalidInput

#: Permission bits a secret file or directory must not have: any for group or others.
FORBIDDEN_BITS = 0o077


def write_secret(path: Path, data: bytes | str, *, exclusive: bool = False) -> None:
    """Write ``data`` to ``path``, created 0600 before any byte is written (an existing file
    is truncated and set to 0600); the parent directory is created 0700. ``exclusive``:
    :class:`FileExistsError` when it exists."""
    private_directory(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data.encode() if isinstance(data, str) else data)
        os.fsync(fd)
    finally:
        os.close(fd)


def private_directory(path: Path) -> Path:
    """``path`` as a directory; each one created on the way (``path`` and missing parents) is
    0700, existing ones are left as they are. Returned."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
    return path


def _refuse(path: Path, setting: str, problem: str, fix: str) -> InvalidInput:
    return InvalidInput(
        "SECRET_FILE_UNPROTECTED", setting=setting, path=str(path), problem=problem, fix=fix
    )


def _check(path: Path, setting: str, *, directory: bool) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return  # a missing file is reported by whoever needs it
    except OSError as exc:
        raise _refuse(path, setting, exc.strerror or "cannot be read", "check its path") from None
    mode = stat.S_IMODE(info.st_mode)
    uid = os.geteuid()
    if info.st_uid != uid:
        raise _refuse(
            path,
            setting,
            f"is owned by uid {info.st_uid}, not by the user kyso runs as (uid {uid})",
            f"chown {uid} {path}",
        )
    if mode & FORBIDDEN_BITS:
        who = (
            "group and others"
            if mode & 0o070 and mode & 0o007
            else ("its group" if mode & 0o070 else "others")
        )
        wanted = "700" if directory else "600"
        raise _refuse(
            path,
            setting,
            f"has mode {mode:04o}: {who} may read or change it",
            f"chmod {wanted} {path}",
        )


def check_secret_file(path: Path, setting: str) -> None:
    """Refuse (``SECRET_FILE_UNPROTECTED``) a secret file that group or others may access,
    or that is not owned by the user kyso runs as; a missing file passes (others report it)."""
    _check(path, setting, directory=False)


def check_secret_directory(path: Path, setting: str, *, recursive: bool = True) -> None:
    """The same for a directory of secrets (a token directory) and, ``recursive``, all it
    holds."""
    _check(path, setting, directory=True)
    if recursive and path.is_dir():
        for child in sorted(path.rglob("*")):
            _check(child, setting, directory=child.is_dir())


__all__ = [
    "FORBIDDEN_BITS",
    "check_secret_directory",
    "check_secret_file",
    "private_directory",
    "write_secret",
]
