"""kyso-client: the ``kyso.v1`` gRPC stubs and a Python client for kyso (docs/api.md).

>>> from kyso_client import KysoClient
>>> with KysoClient("127.0.0.1:50051", token=TOKEN) as kyso:          # doctest: +SKIP
...     signed = kyso.sign(Path("draft.pdf"), key="van-thu", profile="organisation")
...     report = kyso.verify(signed.document)

Installs without the server's dependencies (pyHanko, certomancer, redis). The names below
are imported on first use (PEP 562), so ``import kyso_client.channel`` (the ``kyso`` CLI's
channel) does not load the client, tenacity and every stub module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kyso_client.channel import CHUNK, UNARY_LIMIT, BearerToken, TlsOptions, make_channel
    from kyso_client.client import DEFAULT_TIMEOUT, KysoClient, RetryPolicy, SignResult
    from kyso_client.errors import DOMAIN, LOCALE_VI, KysoRpcError

_WHERE = {
    "CHUNK": "channel",
    "UNARY_LIMIT": "channel",
    "BearerToken": "channel",
    "TlsOptions": "channel",
    "make_channel": "channel",
    "DEFAULT_TIMEOUT": "client",
    "KysoClient": "client",
    "RetryPolicy": "client",
    "SignResult": "client",
    "DOMAIN": "errors",
    "LOCALE_VI": "errors",
    "KysoRpcError": "errors",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CHUNK",
    "DEFAULT_TIMEOUT",
    "DOMAIN",
    "LOCALE_VI",
    "UNARY_LIMIT",
    "BearerToken",
    "KysoClient",
    "KysoRpcError",
    "RetryPolicy",
    "SignResult",
    "TlsOptions",
    "make_channel",
]
