"""signer.deadline: the checks between a signature's steps and what a failure after the
deadline is reported as."""

from __future__ import annotations

import time

import pytest

from kyso.errors import DeadlineExceeded, Precondition, Unavailable
from signer import deadline
from signer.deadline import WorkDeadline


def test_outside_a_request_nothing_is_checked() -> None:
    deadline.check("signature")


def test_time_left_lets_the_work_go_on_and_errors_through() -> None:
    with deadline.scope(WorkDeadline(time.monotonic() + 60)):
        deadline.check("signature")
        with pytest.raises(Unavailable):
            with deadline.scope(WorkDeadline(time.monotonic() + 60)):
                raise Unavailable("TSA_UNAVAILABLE")


def test_a_passed_deadline_stops_the_next_step() -> None:
    with pytest.raises(DeadlineExceeded) as raised:
        with deadline.scope(WorkDeadline(time.monotonic() - 0.01)):
            deadline.check("signature")
    assert raised.value.code == "SIGNING_DEADLINE_EXCEEDED"
    assert "signature" in raised.value.message_en


def test_a_caller_gone_stops_the_work() -> None:
    with pytest.raises(DeadlineExceeded):
        with deadline.scope(WorkDeadline(time.monotonic() + 60, ended=lambda: True)):
            deadline.check("precheck")


def test_a_failure_caused_by_a_cut_fetch_is_the_deadline() -> None:
    """A TSA or OCSP fetch cut off by the deadline fails the step with the backend's code;
    the caller is told the truth: its deadline."""
    with pytest.raises(DeadlineExceeded) as raised:
        with deadline.scope(WorkDeadline(time.monotonic() + 60, cut=lambda: True)):
            raise Precondition("CERT_REVOCATION_UNKNOWN")
    assert isinstance(raised.value.__cause__, Precondition)
    assert "CERT_REVOCATION_UNKNOWN" in raised.value.message_en


def test_the_scope_ends_with_the_request() -> None:
    with deadline.scope(WorkDeadline(time.monotonic() - 1)):
        pass
    deadline.check("signature")  # no scope any more: nothing to stop
