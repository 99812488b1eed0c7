"""glibc ``malloc`` settings of kyso's processes (issue 9 §8: memory flat under load).

* **The server process** lives as long as the service, and every request's bytes pass through
  it on their way to a worker (a Verify document up to ``max_document_bytes``, an Intake
  package, a hostile 4 MB ``/Contents``). glibc serves a block above its mmap threshold with
  ``mmap`` (returned to the OS when freed), but it raises that threshold to the size of each
  such block freed, up to 32 MiB: after the first large message the next ones come from the
  heaps of the gRPC threads' arenas, where freed space stays as fragmentation (the server
  process rose from 138 to ~210 MiB under the hostile load, docs/benchmarks.md). A fixed
  threshold keeps large blocks on ``mmap``; fewer arenas keep the threads' heaps from
  multiplying the fragmentation.
* **A worker** runs one request at a time under RLIMIT_AS, where each thread's arena would
  reserve 64 MiB of address space (name resolution starts helper threads): one arena.

``mallopt`` is glibc's (``man 3 mallopt``); elsewhere these calls do nothing.
"""

from __future__ import annotations

import contextlib
import ctypes

_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

#: Blocks from this size up are mmapped and returned to the OS when freed (bytes).
SERVER_MMAP_THRESHOLD = 256 * 1024
#: The server process's malloc arenas (glibc's default is 8 per core).
SERVER_ARENAS = 4


def _mallopt(param: int, value: int) -> bool:
    with contextlib.suppress(Exception):
        return bool(ctypes.CDLL(None).mallopt(param, value))
    return False


def tune_server() -> bool:
    """Fix the mmap threshold and cap the arenas of this (the server) process; True when
    glibc took both. Call before the gRPC threads start."""
    threshold = _mallopt(_M_MMAP_THRESHOLD, SERVER_MMAP_THRESHOLD)
    return _mallopt(_M_ARENA_MAX, SERVER_ARENAS) and threshold


def one_arena() -> bool:
    """One malloc arena for this (a worker) process; True when glibc took it."""
    return _mallopt(_M_ARENA_MAX, 1)


__all__ = ["SERVER_ARENAS", "SERVER_MMAP_THRESHOLD", "one_arena", "tune_server"]
