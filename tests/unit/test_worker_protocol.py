"""The server's decoding of worker messages: plain data only (issue 9 §1, a worker that runs
attacker code must not run code in the server)."""

from __future__ import annotations

import contextlib
import pickle
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kyso.pki.fetching import Refusal
from kyso.server import worker_protocol
from kyso.server.worker_protocol import ProtocolViolation, check_shape, loads
from signer.model import PadesLevel, PreparedDocument, Profile, SignResult
from signer.placement import SignatureBox


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
        signing_time=datetime(2026, 12, 2, 7, tzinfo=timezone(timedelta(hours=7))),
        box=SignatureBox(1, 2.0, 3.0, 4.0, 5.0),
        size=10,
        sha256="00" * 32,
    )


def test_a_global_callable_is_refused() -> None:
    blob = pickle.dumps(("ok", _Boom(), "", 1, False))
    with pytest.raises(ProtocolViolation, match=r"posix\.system"):
        loads(blob)


@pytest.mark.parametrize(
    "value",
    [
        ("builtins", "eval"),
        ("subprocess", "Popen"),
        ("kyso.server.settings", "Settings"),
        ("signer.model", "DocumentWork"),
    ],
)
def test_only_value_classes_resolve(value: tuple[str, str]) -> None:
    module, name = value
    blob = f"c{module}\n{name}\n.".encode()  # protocol 0 GLOBAL
    with pytest.raises(ProtocolViolation):
        loads(blob)


def test_the_protocols_values_round_trip() -> None:
    refusal = Refusal(setting="fetch.allow", problem="private", host="10.0.0.1")
    result = _result()
    prepared = PreparedDocument(
        signed_attributes=b"a", document_digest=b"d", start=1, end=2, result=result
    )
    for message in [
        ("ok", b"report", "ab" * 32, 123, False),
        ("ok", result, "", 1, True),
        ("ok", prepared, "", 1, False),
        ("fetch_refusals", [refusal]),
        ("cache_put", "ocsp:1", b"der", datetime.now(UTC)),
        ("cache_put", "crl:1", b"der", None),
        ("error", ("InvalidInput", "NOT_A_PDF", {"problem": "x", "n": 1}, "en", "vi"), 1, False),
        ("sign_raw", b"attrs", "sha256", 10, 20),
        ("fetch", "ocsp", "http://x", 0.1, True),
        ("log", "kyso", 20, "text", None),
    ]:
        assert check_shape(loads(pickle.dumps(message))) == message


@pytest.mark.parametrize(
    "message",
    [
        [],
        ("nope",),
        ("ok", b"x", "", 1),  # a field short
        ("ok", b"x", "", True, False),  # bool for int
        ("cache_put", "k", "not bytes", None),
        ("fetch_refusals", ["not a refusal"]),
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


def test_an_oversized_message_breaks_the_pipe() -> None:
    import multiprocessing
    import threading

    a, b = multiprocessing.Pipe()
    # the reader refuses by the length header, before reading (or allocating) the body
    writer = threading.Thread(
        target=_send,
        args=(a, b"x" * (worker_protocol.MESSAGE_LIMIT + 1)),
        daemon=True,
    )
    writer.start()
    with pytest.raises(OSError):
        worker_protocol.decode(b)
    b.close()
    writer.join(5)


def _send(conn: object, data: bytes) -> None:
    with contextlib.suppress(OSError):
        conn.send_bytes(data)  # type: ignore[attr-defined]


def test_getattr_reaches_enum_members_only() -> None:
    assert loads(pickle.dumps(PadesLevel.B_LT)) is PadesLevel.B_LT
    hcm = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
    assert loads(pickle.dumps(datetime(2026, 12, 2, tzinfo=hcm))).tzinfo is hcm
    # getattr(Refusal, "__class__"): the first step of a __subclasses__ walk
    blob = b"cbuiltins\ngetattr\n(ckyso.pki.fetching\nRefusal\nV__class__\ntR."
    with pytest.raises(ProtocolViolation, match="outside the protocol"):
        loads(blob)
    blob = b"cbuiltins\ngetattr\n(csigner.model\nPadesLevel\nV__class__\ntR."
    with pytest.raises(ProtocolViolation, match="outside the protocol"):
        loads(blob)
