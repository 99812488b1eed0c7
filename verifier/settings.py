"""The verifier's settings: the ``[verifier]`` section."""

from __future__ import annotations

from pydantic import Field

from kyso.settings import OptionalExistingDirectory, SettingsModel


class VerifierSettings(SettingsModel):
    """Which validation policy applies by default, and how long a validation may fetch."""

    policy_dir: OptionalExistingDirectory = Field(
        None, description="directory of extra policies (`<name>.json`); they override shipped ones"
    )
    default_policy: str = Field(
        "vn-gov", description="policy used when a request names none (checked at start-up)"
    )
    fetch_revocation: bool = Field(
        True, description="fetch OCSP/CRL when a request does not say (false: offline)"
    )
    request_timeout_seconds: float = Field(
        30.0, gt=0, description="time budget of one validation, network fetches included"
    )


__all__ = ["VerifierSettings"]
