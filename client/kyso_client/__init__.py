"""kyso-client: the ``kyso.v1`` gRPC stubs and a Python client for kyso (docs/api.md).

>>> from kyso_client import KysoClient
>>> with KysoClient("127.0.0.1:50051", token=TOKEN) as kyso:          # doctest: +SKIP
...     signed = kyso.sign(Path("draft.pdf"), key="van-thu", profile="organisation")
...     report = kyso.verify(signed.document)

Installs without the server's dependencies (pyHanko, certomancer, redis).
"""

from kyso_client.channel import CHUNK, UNARY_LIMIT, BearerToken, TlsOptions, make_channel
from kyso_client.client import DEFAULT_TIMEOUT, KysoClient, RetryPolicy, SignResult
from kyso_client.errors import DOMAIN, LOCALE_VI, KysoRpcError

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
