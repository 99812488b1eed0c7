"""PSV: a failure at the validation time, re-decided with a proof of existence."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from pyhanko_certvalidator.errors import ExpiredError, PathBuildingError, RevokedError

from tests.unit.process_inputs import T0
from verifier.process.psv import Decision, past_signature_validation

_PATH: Any = SimpleNamespace(name="path")


def _state(ee: bool = True) -> Any:
    return SimpleNamespace(
        is_ee_cert=ee,
        is_side_validation=False,
        cert_path_stack=SimpleNamespace(head=_PATH, last=_PATH),
    )


def _run(first: Decision, poe: datetime | None, second: Decision | None = None) -> Decision:
    calls: list[datetime] = []

    async def at_poe(when: datetime) -> Decision:
        calls.append(when)
        assert second is not None, "PSV must not validate again here"
        return second

    out = asyncio.run(past_signature_validation(first, poe, at_poe))
    assert len(calls) == (1 if second is not None else 0)
    return out


def _revoked(at: datetime, ee: bool = True) -> RevokedError:
    return RevokedError("revoked", SimpleNamespace(), at, _state(ee))  # type: ignore[arg-type]


CTX: Any = object()


def test_without_poe_the_first_answer_stands() -> None:
    first = Decision(None, CTX, _revoked(T0))
    assert _run(first, None) is first


def test_revoked_after_the_poe_passes() -> None:
    poe = T0
    out = _run(Decision(None, CTX, _revoked(T0 + timedelta(days=1))), poe)
    assert out.error is None and out.path is _PATH and out.revoked_after_poe is not None


def test_revoked_before_the_poe_does_not() -> None:
    first = Decision(None, CTX, _revoked(T0 - timedelta(days=1)))
    assert _run(first, T0) is first


def test_a_revoked_ca_is_not_saved_by_a_poe() -> None:
    first = Decision(None, CTX, _revoked(T0 + timedelta(days=1), ee=False))
    assert _run(first, T0) is first


def test_expired_since_is_validated_again_at_the_poe() -> None:
    expired = ExpiredError("expired", T0 + timedelta(days=1), _state())  # type: ignore[arg-type]
    second = Decision(_PATH, CTX, None)
    out = _run(Decision(None, CTX, expired), T0, second)
    assert out.path is _PATH and out.at_poe and out.error is None


def test_no_path_is_not_a_past_validation_matter() -> None:
    first = Decision(None, CTX, PathBuildingError("none"))
    assert _run(first, T0) is first
