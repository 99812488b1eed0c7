"""The composition root: what every servicer of one server process shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kyso.server.config import Config
from trust_store import TrustStore, open_store


@dataclass
class AppContext:
    config: Config
    trust: TrustStore
    # Extra shared components, registered by the *_api modules under stable names
    # (e.g. "revocation" for the shared revocation fetchers, "keys" for the key registry).
    components: dict[str, Any] = field(default_factory=dict)
    interceptors: list[Any] = field(default_factory=list)
    closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:  # noqa: S112 - closing is best effort
                continue


def build_context(config: Config) -> AppContext:
    """Create the shared components once per server process."""
    from kyso.pki.revocation_cache import fetcher_backend

    ctx = AppContext(config=config, trust=open_store(config))
    redis_client = None
    if config.redis_url:
        import redis

        redis_client = redis.Redis.from_url(
            config.redis_url, socket_timeout=2, socket_connect_timeout=2
        )
        ctx.closers.append(redis_client.close)
    ctx.components["redis"] = redis_client
    ctx.components["revocation"] = fetcher_backend(config, redis_client)
    ctx.closers.insert(0, ctx.trust.close)  # stops the trust store's Redis follower, last
    from kyso.server.auth import build_interceptor  # guards kyso.v1.TrustStore only

    ctx.interceptors.append(build_interceptor(ctx))
    return ctx
