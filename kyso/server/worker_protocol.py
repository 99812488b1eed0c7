"""What the server accepts from a worker: plain data of known shapes, nothing that runs code.

A worker parses hostile documents. If one of them ever achieves code execution there, the
worker's messages are the attacker's, and ``multiprocessing``'s ``Connection.recv`` would
unpickle them: any importable callable, run in the server process that holds the keys.
:func:`decode` reads one message of at most :data:`MESSAGE_LIMIT` bytes and unpickles it with
:class:`_DataOnly`, which resolves no global at all (``find_class`` is the only way a pickle
reaches a class or callable: ``REDUCE``, ``BUILD``, ``NEWOBJ`` and the extension registry all go
through it), so a message is builtins only and cannot touch a live object of the server.
:func:`check_shape` then holds the message to its kind's shape (:data:`SHAPES`), and the values
that are more than builtins (a refusal, a time, a signing result) are rebuilt by the server
from checked fields (:func:`refusals`, :func:`sign_result_from_wire`). A message that fails
any of this is a :class:`ProtocolViolation`: the pool kills the worker and answers
``VERIFY_WORKER_LOST``.

The direction server → worker (jobs, the trust snapshot) stays pickled: the server is trusted.
"""

from __future__ import annotations

import io
import math
import pickle
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from kyso.pki.fetching import Refusal
from signer.model import PadesLevel, PreparedDocument, Profile, SignResult
from signer.placement import SignatureBox

#: Largest message a worker may send (bytes): a report's proto is far smaller (its lists are
#: capped, docs/robustness.md); a larger message is a violation, not a memory cost.
MESSAGE_LIMIT = 64 * 1024 * 1024

_N: Any = type(None)
_ERROR_STATE = (str, str, dict, str, str)
#: Each kind's fields after the kind, as types (a tuple of types: any of them).
SHAPES: dict[str, tuple[Any, ...]] = {
    "ready": (int, int, int, int, int),
    "log": (str, int, str, (str, _N)),
    "fetch_refusals": (list,),
    "http": (str, str, str, str, bytes, str),  # method, URL, purpose, accept, body, type
    "cache_get": (str,),
    "cache_put": (str, bytes, (float, _N)),  # the worker's next_update: not used (the
    # server reads an answer's freshness from the answer, worker_messages.cache_put)
    "cache_count": (bool,),
    "cache_error": (),
    "cache_stale": (bytes,),
    "sign_raw": (bytes, str, int, int),
    "ok": ((bytes, dict), str, int, bool),  # report bytes, or a signing result's fields
    "error": (tuple, int, bool),
    "memory": (),
    "crash": (str,),
}


class ProtocolViolation(Exception):
    """A worker sent something outside the protocol; it is no longer trusted."""


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise ProtocolViolation(f"a worker's message names {module[:60]}.{name[:60]}")

    def persistent_load(self, pid: Any) -> Any:
        raise ProtocolViolation("a worker's message holds a persistent reference")


def loads(blob: bytes) -> Any:
    """Unpickle ``blob`` as plain data (str, bytes, numbers, bool, None, tuple, list, dict);
    raises :class:`ProtocolViolation` for anything else or a damaged pickle."""
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
    if message[0] == "fetch_refusals" and not all(
        isinstance(r, tuple) and len(r) == 3 and all(isinstance(v, str) for v in r)
        for r in message[1]
    ):
        raise ProtocolViolation("a worker's fetch refusals are not (setting, problem, host)")
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


def refusals_to_wire(items: Any) -> list[tuple[str, str, str]]:
    """A job's fetch refusals as plain tuples (the worker's side)."""
    return [(r.setting, r.problem, r.host) for r in items]


def refusals(wire: list[tuple[str, str, str]]) -> list[Refusal]:
    """The refusals of a checked ``fetch_refusals`` message, each text at most 500 chars."""
    return [Refusal(setting[:200], problem[:500], host[:300]) for setting, problem, host in wire]


def sign_result_to_wire(result: SignResult | PreparedDocument) -> dict[str, Any]:
    """A signing job's result as plain fields (the worker's side)."""
    if isinstance(result, PreparedDocument):
        wire = {k: getattr(result, k) for k in ("signed_attributes", "document_digest")}
        wire.update(start=result.start, end=result.end, result=sign_result_to_wire(result.result))
        return wire
    box = result.box
    return {
        "field_name": result.field_name,
        "profile": result.profile.value,
        "level": result.level.value,
        "signer_subject": result.signer_subject,
        "signing_time": result.signing_time.isoformat(),
        "box": None if box is None else (box.page, box.x1, box.y1, box.x2, box.y2),
        "size": result.size,
        "sha256": result.sha256,
        "pdfa": result.pdfa,
    }


def _field(wire: dict[str, Any], name: str, kind: Any) -> Any:
    value = wire.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolViolation(f"a worker's signing result has a wrong {name}")
    return value


def sign_result_from_wire(wire: Any) -> SignResult | PreparedDocument:
    """Rebuild a signing result from a worker's plain fields, each checked (type, enum value,
    a timezone-aware ISO time, a box of four finite numbers); raises :class:`ProtocolViolation`."""
    if not isinstance(wire, dict):
        raise ProtocolViolation("a worker's signing result is not a set of fields")
    if "signed_attributes" in wire:
        return PreparedDocument(
            signed_attributes=_field(wire, "signed_attributes", bytes),
            document_digest=_field(wire, "document_digest", bytes),
            start=_field(wire, "start", int),
            end=_field(wire, "end", int),
            result=_sign_result(_field(wire, "result", dict)),
        )
    return _sign_result(wire)


def _sign_result(wire: dict[str, Any]) -> SignResult:
    try:
        profile = Profile(_field(wire, "profile", str))
        level = PadesLevel(_field(wire, "level", str))
        signing_time = datetime.fromisoformat(_field(wire, "signing_time", str))
    except ValueError:
        raise ProtocolViolation("a worker's signing result has a wrong value") from None
    if signing_time.tzinfo is None:
        raise ProtocolViolation("a worker's signing time has no offset")
    box = wire.get("box")
    if box is not None:
        if not (
            isinstance(box, tuple)
            and len(box) == 5
            and isinstance(box[0], int)
            and all(isinstance(v, int | float) and math.isfinite(v) for v in box[1:])
        ):
            raise ProtocolViolation("a worker's signing result has a wrong box")
        box = SignatureBox(box[0], *(float(v) for v in box[1:]))
    return SignResult(
        field_name=_field(wire, "field_name", str)[:200],
        profile=profile,
        level=level,
        signer_subject=_field(wire, "signer_subject", str)[:1000],
        signing_time=signing_time,
        box=box,
        size=_field(wire, "size", int),
        sha256=_field(wire, "sha256", str)[:64],
        pdfa=_field(wire, "pdfa", str)[:40],
    )


def decode(conn: Connection) -> tuple[Any, ...]:
    """The next message from a worker's pipe, checked. Raises :class:`ProtocolViolation`,
    ``OSError`` (a message over :data:`MESSAGE_LIMIT` bytes, or the pipe broke) or
    ``EOFError`` (the worker is gone)."""
    return check_shape(loads(conn.recv_bytes(MESSAGE_LIMIT)))


__all__ = [
    "MESSAGE_LIMIT",
    "SHAPES",
    "ProtocolViolation",
    "check_shape",
    "decode",
    "loads",
    "refusals",
    "refusals_to_wire",
    "sign_result_from_wire",
    "sign_result_to_wire",
]
