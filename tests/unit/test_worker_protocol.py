"""The server's decoding of worker messages: builtins only, of known shapes; the values that
are more than builtins rebuilt from checked fields (issue 9 §1: a worker that runs attacker
code must not run code in the server, nor change any of its live objects)."""

from __future__ import annotations

import contextlib
import pickle
import threading
import zoneinfo
from datetime import datetime

import pytest

from kyso.server import worker_protocol
from kyso.server.worker_protocol import (
    ProtocolViolation,
    check_shape,
    loads,
    refusals,
    sign_result_from_wire,
    sign_result_to_wire,
)
from signer.model import PadesLevel, PreparedDocument, Profile, SignResult
from signer.placement import SignatureBox

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


class _Boom:
    def __reduce__(self) -> tuple[object, ...]:
        import os

        return (os.system, ("echo pwned > /dev/null",))


def _result() -> SignResult:
    return SignResult(
        field_name="Sig1",
        profile=Profile.ORGANISATION,
        level=PadesLevel.B_T,
        signer_subject="CN=x",
        signing_time=datetime(2026, 12, 2, 7, tzinfo=HCM),
        box=SignatureBox(1, 2.0, 3.0, 4.0, 5.0),
        size=10,
        sha256="00" * 32,
    )


def test_a_global_callable_is_refused() -> None:
    with pytest.raises(ProtocolViolation, match=r"posix\.system"):
        loads(pickle.dumps(("ok", _Boom(), "", 1, False)))


@pytest.mark.parametrize(
    "value",
    [
        ("builtins", "eval"),
        ("builtins", "getattr"),
        ("signer.model", "PadesLevel"),
        ("datetime", "datetime"),
        ("kyso.server.settings", "Settings"),
    ],
)
def test_no_global_resolves(value: tuple[str, str]) -> None:
    module, name = value
    with pytest.raises(ProtocolViolation):
        loads(f"c{module}\n{name}\n.".encode())  # protocol 0 GLOBAL


def test_a_live_enum_member_cannot_be_changed() -> None:
    """The review's attack: BUILD on an enum member reached through getattr, in a message
    that is then refused, changed Profile's lookup table for good."""
    before = dict(Profile._value2member_map_)
    blob = (
        b"cbuiltins\ngetattr\n(csigner.model\nProfile\nVORGANISATION\ntR(}V_value_\nVpersonal\nsb."
    )
    with pytest.raises(ProtocolViolation):
        loads(blob)
    assert Profile._value2member_map_ == before
    assert Profile.ORGANISATION.value == "organisation"


def test_signing_results_round_trip_as_plain_fields() -> None:
    result = _result()
    prepared = PreparedDocument(
        signed_attributes=b"a", document_digest=b"d", start=1, end=2, result=result
    )
    for value in (result, prepared):
        wire = sign_result_to_wire(value)
        message = check_shape(loads(pickle.dumps(("ok", wire, "", 1, False))))
        rebuilt = sign_result_from_wire(message[1])
        assert rebuilt == value or (
            isinstance(rebuilt, SignResult)
            and rebuilt.signing_time == value.signing_time  # fixed offset, same instant
        )


@pytest.mark.parametrize(
    "change",
    [
        {"profile": "root"},
        {"level": "B-Z"},
        {"signing_time": "2026-12-02T07:00:00"},  # no offset
        {"box": (1, 2.0, 3.0, float("inf"), 5.0)},
        {"size": True},
        {"field_name": b"Sig1"},
        {"sha256": None},
    ],
)
def test_a_wrong_signing_result_is_a_violation(change: dict[str, object]) -> None:
    wire = {**sign_result_to_wire(_result()), **change}
    with pytest.raises(ProtocolViolation):
        sign_result_from_wire(wire)


def test_the_protocols_plain_messages_pass() -> None:
    for message in [
        ("ok", b"report", "ab" * 32, 123, False),
        ("fetch_refusals", [("fetch.allow", "private", "10.0.0.1")]),
        ("cache_put", "ocsp:1", b"der", 1.5e9),
        ("cache_put", "crl:1", b"der", None),
        ("error", ("InvalidInput", "NOT_A_PDF", {"problem": "x", "n": 1}, "en", "vi"), 1, False),
        ("sign_raw", b"attrs", "sha256", 10, 20),
        ("http", "POST", "http://x/ocsp", "OCSP", "application/ocsp-response", b"req", "t"),
        ("log", "kyso", 20, "text", None),
        ("ready", 1, 2, 3, 4, 7),
    ]:
        assert check_shape(loads(pickle.dumps(message))) == message
    assert refusals([("s", "p" * 1000, "h")])[0].problem == "p" * 500


@pytest.mark.parametrize(
    "message",
    [
        [],
        ("nope",),
        ("ok", b"x", "", 1),  # a field short
        ("ok", b"x", "", True, False),  # bool for int
        ("ok", ["x"], "", 1, False),
        ("cache_put", "k", "not bytes", None),
        ("fetch_refusals", ["not a refusal"]),
        ("fetch_refusals", [("a", "b")]),
        ("error", ("Internal", "X", {"p": [1]}, "en", "vi"), 1, False),
        ("error", ("Internal", "X"), 1, False),
        ("crash", 1),
        (1, 2),
    ],
)
def test_a_wrong_shape_is_a_violation(message: object) -> None:
    with pytest.raises(ProtocolViolation):
        check_shape(loads(pickle.dumps(message)))


def test_a_damaged_pickle_is_a_violation() -> None:
    with pytest.raises(ProtocolViolation, match="not readable"):
        loads(b"\x80\x05garbage")


def _send(conn: object, data: bytes) -> None:
    with contextlib.suppress(OSError):
        conn.send_bytes(data)  # type: ignore[attr-defined]


def test_an_oversized_message_breaks_the_pipe() -> None:
    import multiprocessing

    a, b = multiprocessing.Pipe()
    # the reader refuses by the length header, before reading (or allocating) the body
    writer = threading.Thread(
        target=_send, args=(a, b"x" * (worker_protocol.MESSAGE_LIMIT + 1)), daemon=True
    )
    writer.start()
    with pytest.raises(OSError):
        worker_protocol.decode(b)
    b.close()
    writer.join(5)
