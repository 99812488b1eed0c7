"""The deadline of the signing request being served, checked between the steps of a signature.

A signing RPC runs inside :func:`scope` with a :class:`WorkDeadline`: the caller's deadline
(the instant its fetches are cut off, kyso.server.deadlines), else ``[signer]
request_timeout_seconds``. The signer calls :func:`check` before each step that costs time or
uses the key (after the certificate precheck, before the token signs, before the timestamp):
a request whose caller has gone, or whose deadline has passed, stops there — the key is not
used and no usage is counted. A failure that happens once the deadline has passed (a
revocation or TSA fetch cut off by it) is reported as what it is: ``DEADLINE_EXCEEDED``
(``SIGNING_DEADLINE_EXCEEDED``), not as the TSA or the certificate being at fault.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kyso.errors import DeadlineExceeded, KysoError


def _never() -> bool:
    return False


@dataclass(frozen=True)
class WorkDeadline:
    """``at``: :func:`time.monotonic` instant after which the work is pointless; ``ended``: true
    once the call itself ended (cancelled by the client, or answered by gRPC's deadline);
    ``cut``: true once a fetch of this request was cut off by this deadline (its fetches end a
    little before ``at``)."""

    at: float
    ended: Callable[[], bool] = _never
    cut: Callable[[], bool] = _never

    def passed(self) -> bool:
        return self.ended() or self.cut() or time.monotonic() >= self.at


_current: contextvars.ContextVar[WorkDeadline | None] = contextvars.ContextVar(
    "kyso_signing_deadline", default=None
)


def check(step: str) -> None:
    """Raise :class:`DeadlineExceeded` (``SIGNING_DEADLINE_EXCEEDED``) before ``step`` when
    the request's deadline has passed or its caller has gone; no-op outside a scope."""
    deadline = _current.get()
    if deadline is not None and deadline.passed():
        raise DeadlineExceeded("SIGNING_DEADLINE_EXCEEDED", step=step)


def current() -> WorkDeadline | None:
    """The deadline of the signing request this thread serves (None outside a scope)."""
    return _current.get()


@contextlib.contextmanager
def scope(deadline: WorkDeadline) -> Iterator[WorkDeadline]:
    """Make ``deadline`` the one :func:`check` sees; a :class:`KysoError` raised once it has
    passed becomes ``SIGNING_DEADLINE_EXCEEDED`` (the original chained as its cause)."""
    token = _current.set(deadline)
    try:
        yield deadline
    except DeadlineExceeded:
        raise
    except KysoError as exc:
        if deadline.passed():
            late = DeadlineExceeded("SIGNING_DEADLINE_EXCEEDED", step=exc.code)
            late.signature_made = exc.signature_made  # the key signed: that still counts
            raise late from exc
        raise
    finally:
        _current.reset(token)


__all__ = ["WorkDeadline", "check", "current", "scope"]
