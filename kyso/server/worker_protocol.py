"""What the server accepts from a worker: plain data of known shapes, nothing that runs code.

A worker parses hostile documents. If one of them ever achieves code execution there, the
worker's messages are the attacker's, and ``multiprocessing``'s ``Connection.recv`` would
unpickle them: any importable callable, run in the server process that holds the keys.
:func:`decode` reads one message of at most :data:`MESSAGE_LIMIT` bytes and unpickles it with
:class:`_DataOnly`, which resolves no global except the value classes in :data:`VALUE_CLASSES`
(``find_class`` is the only way a pickle reaches a callable: ``REDUCE``, ``BUILD``, ``NEWOBJ``
and the extension registry all go through it). :func:`check_shape` then holds the message to
its kind's shape (:data:`SHAPES`). A message that fails either is a :class:`ProtocolViolation`:
the pool kills the worker and answers ``VERIFY_WORKER_LOST``.

The direction server → worker (jobs, the trust snapshot) stays pickled: the server is trusted.
"""

from __future__ import annotations

import enum
import io
import pickle
import zoneinfo
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from kyso.pki.fetching import Refusal

#: Largest message a worker may send (bytes): a report's proto is far smaller (its lists are
#: capped, docs/robustness.md); a larger message is a violation, not a memory cost.
MESSAGE_LIMIT = 64 * 1024 * 1024

#: The only classes a worker's message may hold beyond str, bytes, int, float, bool, None,
#: tuple, list, dict: values whose construction runs no code of the sender's choosing.
VALUE_CLASSES: frozenset[tuple[str, str]] = frozenset(
    {
        ("datetime", "datetime"),
        ("datetime", "timezone"),
        ("datetime", "timedelta"),
        ("zoneinfo", "ZoneInfo"),
        ("kyso.pki.fetching", "Refusal"),
        ("signer.model", "SignResult"),
        ("signer.model", "PreparedDocument"),
        ("signer.model", "Profile"),
        ("signer.model", "PadesLevel"),
        ("signer.placement", "SignatureBox"),
    }
)

_N: Any = type(None)
_ERROR_STATE = (str, str, dict, str, str)
#: Each kind's fields after the kind, as types (a tuple of types: any of them).
SHAPES: dict[str, tuple[Any, ...]] = {
    "ready": (int, int, int, int, int),
    "log": (str, int, str, (str, _N)),
    "fetch_refusals": (list,),
    "fetch": (str, str, float, bool),
    "cache_get": (str,),
    "cache_put": (str, bytes, (datetime, _N)),
    "cache_count": (bool,),
    "cache_error": (),
    "cache_stale": (bytes,),
    "sign_raw": (bytes, str, int, int),
    "ok": (object, str, int, bool),
    "error": (tuple, int, bool),
    "memory": (),
    "crash": (str,),
}


class ProtocolViolation(Exception):
    """A worker sent something outside the protocol; it is no longer trusted."""


def _value_attribute(cls: Any, name: Any) -> Any:
    """``getattr`` as pickle uses it, limited to an enum member (pickled as
    ``getattr(EnumClass, name)``) and ``ZoneInfo._unpickle`` (a time zone by its key): a
    general ``getattr`` on an allowed class would reach ``__subclasses__`` and so anything."""
    if isinstance(cls, enum.EnumMeta) and isinstance(name, str) and name in cls.__members__:
        return cls.__members__[name]
    if cls is zoneinfo.ZoneInfo and name == "_unpickle":
        return zoneinfo.ZoneInfo._unpickle  # type: ignore[attr-defined]
    raise ProtocolViolation("a worker's message asks for an attribute outside the protocol")


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("builtins", "getattr"):
            return _value_attribute
        if (module, name) in VALUE_CLASSES:
            return super().find_class(module, name)
        raise ProtocolViolation(f"a worker's message names {module[:60]}.{name[:60]}")

    def persistent_load(self, pid: Any) -> Any:
        raise ProtocolViolation("a worker's message holds a persistent reference")


def loads(blob: bytes) -> Any:
    """Unpickle ``blob`` as plain data (:data:`VALUE_CLASSES` allowed); raises
    :class:`ProtocolViolation` for anything else or a damaged pickle."""
    try:
        return _DataOnly(io.BytesIO(blob)).load()
    except ProtocolViolation:
        raise
    except Exception as exc:  # a damaged pickle: any of pickle's many exceptions
        raise ProtocolViolation(
            f"a worker's message is not readable ({type(exc).__name__})"
        ) from None


def check_shape(message: Any) -> tuple[Any, ...]:
    """``message`` if it is a tuple ``(kind, *fields)`` of a known kind and shape; raises
    :class:`ProtocolViolation` otherwise."""
    if not isinstance(message, tuple) or not message or not isinstance(message[0], str):
        raise ProtocolViolation("a worker's message is not a (kind, ...) tuple")
    shape = SHAPES.get(message[0])
    if shape is None:
        raise ProtocolViolation(f"a worker's message has an unknown kind {message[0][:40]!r}")
    fields = message[1:]
    if len(fields) != len(shape) or not all(
        isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        for value, kind in zip(fields, shape, strict=True)
    ):
        raise ProtocolViolation(f"a worker's {message[0]!r} message has the wrong shape")
    if message[0] == "fetch_refusals" and not all(isinstance(r, Refusal) for r in message[1]):
        raise ProtocolViolation("a worker's fetch refusals are not refusals")
    if message[0] == "error":
        state = message[1]
        if len(state) != len(_ERROR_STATE) or not all(
            isinstance(v, t) for v, t in zip(state, _ERROR_STATE, strict=True)
        ):
            raise ProtocolViolation("a worker's error has the wrong shape")
        if not all(
            isinstance(k, str) and isinstance(v, str | int | float) for k, v in state[2].items()
        ):
            raise ProtocolViolation("a worker's error has parameters that are not plain values")
    return message


def decode(conn: Connection) -> tuple[Any, ...]:
    """The next message from a worker's pipe, checked. Raises :class:`ProtocolViolation`,
    ``OSError`` (a message over :data:`MESSAGE_LIMIT` bytes, or the pipe broke) or
    ``EOFError`` (the worker is gone)."""
    return check_shape(loads(conn.recv_bytes(MESSAGE_LIMIT)))


__all__ = [
    "MESSAGE_LIMIT",
    "SHAPES",
    "VALUE_CLASSES",
    "ProtocolViolation",
    "check_shape",
    "decode",
    "loads",
]
