"""Storage backends of the trust store, chosen by :func:`trust_store.open_store`.

Public modules, imported by name (nothing is imported here, so a local store never loads the
Redis client):

* :mod:`trust_store.backends.local` -- one directory per version, swapped atomically;
* :mod:`trust_store.backends.redis` -- Redis shared by the replicas, one Lua script per change.
"""

__all__ = ["local", "redis"]
