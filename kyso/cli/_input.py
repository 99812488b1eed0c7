"""What the user typed on the command line: files to read or write, numbers to parse.

Every failure is a catalogue error (``FILE_UNREADABLE``, ``FILE_UNWRITABLE``,
``OPTION_INVALID``), which ``kyso.cli.main`` prints as one line and exit status 3,
never a traceback.  Number parsers are argparse ``type`` functions: they raise the
catalogue error themselves, so a bad number is reported like every other error
rather than as argparse's usage message (whose exit status 2 means INDETERMINATE
to ``kyso verify``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

from kyso.errors import InvalidInput

#: The largest value of a protobuf ``uint32`` / ``uint64`` field.
UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1


def _unreadable(path: Path, exc: OSError) -> InvalidInput:
    return InvalidInput("FILE_UNREADABLE", path=str(path), problem=exc.strerror or str(exc))


def unwritable(path: Path, exc: OSError) -> InvalidInput:
    """The catalogue error (FILE_UNWRITABLE) for an ``OSError`` while writing ``path``."""
    return InvalidInput("FILE_UNWRITABLE", path=str(path), problem=exc.strerror or str(exc))


def readable_size(path: Path) -> int:
    """The size in bytes of the regular file ``path``, after opening it for reading.

    Opening, not only ``stat``: a directory or an unreadable file is refused here, before
    anything is sent.  Raises :class:`InvalidInput` (FILE_UNREADABLE).
    """
    try:
        with path.open("rb") as f:
            return os.fstat(f.fileno()).st_size
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def read_bytes(path: Path) -> bytes:
    """The contents of ``path``; raises :class:`InvalidInput` (FILE_UNREADABLE)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def read_text(path: Path) -> str:
    """The UTF-8 text of ``path``; raises :class:`InvalidInput` (FILE_UNREADABLE)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("FILE_UNREADABLE", path=str(path), problem="not UTF-8 text") from exc
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``; raises :class:`InvalidInput` (FILE_UNWRITABLE)."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise unwritable(path, exc) from exc


def integer(option: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number from ``low`` to ``high`` (OPTION_INVALID)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise InvalidInput(
                "OPTION_INVALID", option=option, problem=f"{text!r} is not a whole number"
            ) from None
        if not low <= value <= high:
            raise InvalidInput(
                "OPTION_INVALID", option=option, problem=f"{value} is not from {low} to {high}"
            )
        return value

    return parse


def seconds(option: str) -> Callable[[str], float]:
    """An argparse ``type``: a finite number of seconds above 0 (OPTION_INVALID)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise InvalidInput(
                "OPTION_INVALID", option=option, problem=f"{text!r} is not a number of seconds > 0"
            )
        return value

    return parse
