"""Request ids, the notes of a request, and the two log formats (kyso.server.request_log,
kyso.server.log_format)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from kyso.server import log_format, request_log
from kyso.server.observability_settings import check_metrics_listen
from kyso.server.request_log import REQUEST_ID_KEY, RequestIdFilter, RequestRecord


@pytest.mark.parametrize("given", ["dms-7f3a-0001", "a" * 128, "3f2a:9b/x+y=z@q_r.s"])
def test_a_well_formed_request_id_is_kept(given):
    assert request_log.request_id_from(((REQUEST_ID_KEY, given),)) == given


@pytest.mark.parametrize("given", ["", "a" * 129, "with space", "line\nbreak", "ký-số", '"{}"'])
def test_anything_else_gets_a_new_uuid(given):
    made = request_log.request_id_from(((REQUEST_ID_KEY, given),))
    assert made != given and len(made) == 32 and int(made, 16) >= 0


def test_no_metadata_gets_a_new_id_each_time():
    assert request_log.request_id_from(None) != request_log.request_id_from(())


def test_notes_go_to_the_current_record_only():
    request_log.note_client("outside")  # no request: nothing happens
    record = RequestRecord(method="Signer.Sign", request_id="r1")
    token = request_log.enter(record)
    try:
        request_log.note_client("dms-backend")
        request_log.note_document("AB" * 32)
        request_log.note_document("cd" * 32)  # the first document is the caller's
        request_log.note_signature("", "personal", "B-T")
        request_log.note_verification("TOTAL_PASSED")
        request_log.note_layout([("NUMBER_SYMBOL", "FAIL")] * 100)
    finally:
        request_log.leave(token)
    assert request_log.current_record() is None
    assert record.client == "dms-backend" and record.document_sha256 == "ab" * 32
    assert [(s.key, s.profile, s.level) for s in record.signatures] == [
        ("two-step", "personal", "B-T")
    ]
    assert record.indications == ["TOTAL_PASSED"] and len(record.layout_findings) == 64


def _emit(fmt: str) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log_format.formatter(fmt))  # type: ignore[arg-type]
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("kyso.test.format")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        token = request_log.enter(RequestRecord(method="Verifier.Verify", request_id="rid-1"))
        try:
            logger.warning("inside %s", "a request", extra={"code": "OK", "duration_ms": 1.5})
        finally:
            request_log.leave(token)
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_json_lines_carry_the_request_id_and_the_extra_fields():
    inside, outside = (json.loads(line) for line in _emit("json").splitlines())
    assert inside["message"] == "inside a request" and inside["request_id"] == "rid-1"
    assert (inside["level"], inside["logger"]) == ("WARNING", "kyso.test.format")
    assert inside["code"] == "OK" and inside["duration_ms"] == 1.5
    assert inside["time"].endswith("Z") and "T" in inside["time"]
    assert outside["request_id"] == "-"


def test_text_lines_carry_the_request_id():
    inside, outside = _emit("text").splitlines()
    assert "[rid-1]: inside a request" in inside and "[-]: outside" in outside


def test_auto_is_text_on_a_terminal_only():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert log_format.resolve("auto", Tty()) == "text"
    assert log_format.resolve("auto", io.StringIO()) == "json"
    assert log_format.resolve("text", io.StringIO()) == "text"


@pytest.mark.parametrize("good", ["off", "127.0.0.1:9464", "[::1]:0", "0.0.0.0:9464"])
def test_metrics_listen_accepts(good):
    assert check_metrics_listen(good) == good


@pytest.mark.parametrize("bad", ["9464", "on", "127.0.0.1:99999", "OFF"])
def test_metrics_listen_refuses(bad):
    with pytest.raises(ValueError, match="or off"):
        check_metrics_listen(bad)
