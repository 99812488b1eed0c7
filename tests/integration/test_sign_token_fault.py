"""A PKCS#11 token that goes away and comes back is used again without a restart (issue 9 §7).

The token here is a second SoftHSM2 token of the session's module, so moving its directory
away is what pulling a USB token out looks like to kyso: cached key handles go stale
(CKR_OBJECT_HANDLE_INVALID) and the module stops listing its slots (CKR_GENERAL_ERROR)
until it is re-initialised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from documents import decree30_pdf
from test_sign_support import RECT_SMALL, rpc_error, sign, stub

from kyso.server.settings import Settings
from kyso.v1 import signer_pb2 as pb
from tests.pki import SoftHsmToken, make_softhsm_token

FAULT_TOKEN = "kyso-fault"
# A search iterator of a session the token lost is finalised late, and says so on stderr.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(scope="module")
def fault_token(pki, softhsm_token: SoftHsmToken) -> SoftHsmToken:
    # Same token directory (one SOFTHSM2_CONF per process), its own token and PIN.
    return make_softhsm_token(
        softhsm_token.conf_path.parent,
        pki,
        labels=("personal",),
        token_label=FAULT_TOKEN,
        pin_env="TEST_KYSO_FAULT_PIN",
    )


@pytest.fixture(scope="module")
def kyso_config(config_factory, fault_token: SoftHsmToken, tmp_path_factory) -> Settings:
    keys = [
        config_factory.key_table(
            "personal", "fault", token_label=FAULT_TOKEN, pin_env=fault_token.pin_env
        ),
        config_factory.key_table("personal-ec", "steady"),
    ]
    return config_factory.make(tmp_path_factory.mktemp("kyso-token-fault"), keys=keys)


def _token_dir(token: SoftHsmToken) -> Path:
    """The directory SoftHSM2 keeps this token in (the one whose token.object names it)."""
    tokens = token.conf_path.parent / "tokens"
    for candidate in tokens.iterdir():
        if FAULT_TOKEN.encode() in (candidate / "token.object").read_bytes():
            return candidate
    raise AssertionError("token directory not found")


def _keys(channel: grpc.Channel) -> dict[str, pb.SigningKeyInfo]:
    return {k.name: k for k in stub(channel).ListKeys(pb.ListKeysRequest(), timeout=30).keys}


def _take_away(directory: Path, how: str) -> Callable[[], None]:
    """Make the token go away (``directory``: its whole directory moved out of the token
    directory, as pulling a USB token out; ``objects``: its object files moved away, the
    directory left: cached handles go stale, CKR_OBJECT_HANDLE_INVALID, reproducer
    token_fault.py ``objects``); return what brings it back."""
    if how == "directory":
        # Out of the token directory: SoftHSM2 takes every directory in it for a token.
        away = directory.parent.parent / f"{directory.name}.away"
        directory.rename(away)
        return lambda: away.rename(directory)
    stash = directory.parent.parent / f"{directory.name}.objects.away"
    stash.mkdir()
    for item in directory.glob("*.object"):
        item.rename(stash / item.name)

    def back() -> None:
        for item in stash.glob("*.object"):
            item.rename(directory / item.name)
        stash.rmdir()

    return back


@pytest.mark.parametrize("how", ["directory", "objects"])
def test_token_away_and_back(
    grpc_channel: grpc.Channel, fault_token, assert_pdfsig_ok, how: str
) -> None:
    document = decree30_pdf()
    placement = pb.SignPlacement(rect=RECT_SMALL)
    sign(grpc_channel, document, key="fault", level=pb.PADES_B_B, placement=placement)
    assert _keys(grpc_channel)["fault"].available

    bring_back = _take_away(_token_dir(fault_token), how)
    try:
        status, code = rpc_error(
            lambda: sign(
                grpc_channel, document, key="fault", level=pb.PADES_B_B, placement=placement
            )
        )
        assert status in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.NOT_FOUND), code
        listed = _keys(grpc_channel)
        assert not listed["fault"].available
        assert listed["fault"].unavailable_code
        # A key on another token of the same module keeps signing while one is away.
        sign(grpc_channel, document, key="steady", level=pb.PADES_B_B, placement=placement)
    finally:
        bring_back()

    deadline = time.monotonic() + 10
    while True:
        try:
            resp = sign(
                grpc_channel, document, key="fault", level=pb.PADES_B_B, placement=placement
            )
            break
        except grpc.RpcError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    assert_pdfsig_ok(resp.document, expected_signatures=1)
    assert _keys(grpc_channel)["fault"].available
    steady = sign(grpc_channel, document, key="steady", level=pb.PADES_B_B, placement=placement)
    assert_pdfsig_ok(steady.document, expected_signatures=1)
