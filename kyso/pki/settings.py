"""The ``[fetch]`` section: what outbound fetches (OCSP, CRL, AIA caIssuers, TSA) may cost and
where they may go.

Every fetch goes through :mod:`kyso.pki.fetching`; these limits are its data. A limit that is hit
is named by its setting (``fetch.max_response_bytes``) in the log and in the verification
report (docs/robustness.md).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, Field

from kyso.settings import SettingsModel, Strings

MiB = 1024 * 1024


def _networks(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(
                f"{value[:64]!r} is not an IP network (e.g. 10.0.0.0/8 or 127.0.0.1)"
            ) from None
    return values


def _hosts(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        host, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
        if not host or any(c in host for c in "/@ ") or (port and not port.isdigit()):
            raise ValueError(f"{value[:64]!r} is not HOST or HOST:PORT")
    return values


Networks = Annotated[Strings, AfterValidator(_networks)]
Hosts = Annotated[Strings, AfterValidator(_hosts)]


class FetchSettings(SettingsModel):
    """Bounds of one fetch and of all fetches of one request; where fetches may go."""

    timeout_seconds: float = Field(
        5.0,
        gt=0,
        description="total time of one fetch (connect, send, whole body), not per socket read",
    )
    max_response_bytes: int = Field(
        16 * MiB,
        ge=1024,
        description="largest response body of one fetch (streamed; aborted when exceeded)",
    )
    max_fetches_per_request: int = Field(
        24, ge=0, description="fetches one request (one RPC) may make; 0: none"
    )
    max_bytes_per_request: int = Field(
        32 * MiB, ge=1024, description="response bytes all fetches of one request may receive"
    )
    max_seconds_per_request: float = Field(
        15.0,
        gt=0,
        description="time all fetches of one request may use; also the fetch deadline of a "
        "caller that sends no deadline (a caller's earlier deadline wins)",
    )
    aia_hosts: Hosts = Field(
        ("ca.gov.vn",),
        description="HOST or HOST:PORT whose caIssuers (AIA) URLs may be fetched to complete a "
        "chain; AIA elsewhere is not followed",
    )
    allowed_networks: Networks = Field(
        (),
        description="loopback/private/link-local networks fetches may reach (CIDR, e.g. "
        "`10.0.0.0/8`); such addresses are refused otherwise",
    )


__all__ = ["FetchSettings"]
